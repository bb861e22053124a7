import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { createClusterClient } from "../../../lib/cluster/adapters/kube-cluster-client.ts";
import { kubeConfigFromText, kubeConfigFromToken } from "../../../lib/cluster/adapters/kube-config.ts";
import { ClusterError } from "../../../lib/errors.ts";
import { CLUSTER_ROLES, CONFIGMAPS, configMap } from "../../factories/sync.ts";
import { createTestNamespace, grantWorker, kubeConfigFor } from "../../support/kube.ts";
import { untilWorkerCanList } from "./sync-fixture.ts";

describe("the Kubernetes cluster client", () => {
  it("maps kinds to resources and scope with aggregated discovery, cached until refreshed", async () => {
    // Prepare
    const cp = inject("controlPlane");
    const cluster = await createClusterClient({
      kubeConfig: kubeConfigFromToken({
        server: cp.server,
        caData: Buffer.from(cp.caPem).toString("base64"),
        token: cp.worker.token,
      }),
    });

    // Act
    const refreshed = await cluster.discover({ refresh: true });
    const afterRefresh = cluster.requestCounts().reads;
    const cached = await cluster.discover();

    // Assess
    expect(afterRefresh).toBe(2); // /api and /apis
    expect(cluster.requestCounts().reads).toBe(2);
    expect(cached.resolve({ apiVersion: "apps/v1", kind: "Deployment" })).toEqual({
      group: "apps",
      version: "v1",
      kind: "Deployment",
      resource: "deployments",
      namespaced: true,
    });
    expect(refreshed.resolve({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole" })).toEqual(
      CLUSTER_ROLES,
    );
    expect(refreshed.preferred({ group: "", kind: "ConfigMap" })).toEqual(CONFIGMAPS);
    expect(refreshed.resolve({ apiVersion: "v1", kind: "NoSuchKind" })).toBeUndefined();
  });

  it("follows LIST pagination and counts every page as a read", async () => {
    // Prepare
    const namespace = await createTestNamespace("pages");
    await grantWorker(namespace);
    await untilWorkerCanList(namespace);
    const cluster = await createClusterClient({ kubeConfig: kubeConfigFor("worker") });
    for (let i = 0; i < 7; i++) {
      await cluster.apply({
        resource: CONFIGMAPS,
        object: configMap(namespace, `cm-${i}`, { i: String(i) }, { labels: { batch: "one" } }),
        force: false,
        dryRun: false,
      });
    }
    const before = cluster.requestCounts();

    // Act
    const listed = await cluster.list({
      resource: CONFIGMAPS,
      namespace,
      labelSelector: "batch=one",
      pageSize: 3,
    });

    // Assess
    expect(listed.pages).toBe(3);
    expect(listed.items.map((i) => i.metadata.name).sort()).toEqual(
      Array.from({ length: 7 }, (_, i) => `cm-${i}`),
    );
    expect(listed.items.every((i) => i.apiVersion === "v1" && i.kind === "ConfigMap")).toBe(true);
    const after = cluster.requestCounts();
    expect(after.listPages - before.listPages).toBe(3);
    expect(after.writes).toBe(7);
  });

  it("applies `keep` to each item as its page arrives and drops what it rejects", async () => {
    // Prepare
    const namespace = await createTestNamespace("keep");
    await grantWorker(namespace);
    await untilWorkerCanList(namespace);
    const cluster = await createClusterClient({ kubeConfig: kubeConfigFor("worker") });
    for (let i = 0; i < 5; i++) {
      await cluster.apply({
        resource: CONFIGMAPS,
        object: configMap(namespace, `cm-${i}`, { i: String(i) }),
        force: false,
        dryRun: false,
      });
    }
    const seen: string[] = [];

    // Act
    const listed = await cluster.list({
      resource: CONFIGMAPS,
      namespace,
      labelSelector: "",
      pageSize: 2,
      keep: (item) => {
        seen.push(`${item.apiVersion}/${item.kind}/${item.metadata.name}`);
        if (Number(item.metadata.name.slice(3)) % 2 === 1) return undefined;
        return { apiVersion: item.apiVersion, kind: item.kind, metadata: { name: item.metadata.name } };
      },
    });

    // Assess
    expect(listed.pages).toBe(3);
    expect(seen.sort()).toEqual(Array.from({ length: 5 }, (_, i) => `v1/ConfigMap/cm-${i}`));
    expect(listed.items).toEqual(
      [0, 2, 4].map((i) => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: `cm-${i}` } })),
    );
  });

  it("counts dry-runs apart from writes and never persists a dry-run", async () => {
    // Prepare
    const namespace = await createTestNamespace("dry");
    await grantWorker(namespace);
    await untilWorkerCanList(namespace);
    const cluster = await createClusterClient({ kubeConfig: kubeConfigFor("worker") });

    // Act
    const answer = await cluster.apply({
      resource: CONFIGMAPS,
      object: configMap(namespace, "ghost"),
      force: false,
      dryRun: true,
    });
    const read = await cluster.get({ resource: CONFIGMAPS, namespace, name: "ghost" });

    // Assess
    expect(answer.metadata.name).toBe("ghost");
    expect(read).toBeUndefined();
    expect(cluster.requestCounts()).toMatchObject({ writes: 0, dryRuns: 1, reads: 1 });
  });

  it("deletes with a uid precondition and reports a replaced object as gone", async () => {
    // Prepare
    const namespace = await createTestNamespace("del");
    await grantWorker(namespace);
    await untilWorkerCanList(namespace);
    const cluster = await createClusterClient({ kubeConfig: kubeConfigFor("worker") });
    const created = await cluster.apply({
      resource: CONFIGMAPS,
      object: configMap(namespace, "x"),
      force: false,
      dryRun: false,
    });

    // Act
    const wrongUid = await cluster.delete({
      resource: CONFIGMAPS,
      namespace,
      name: "x",
      uid: "00000000-0000-0000-0000-000000000000",
    });
    const deleted = await cluster.delete({
      resource: CONFIGMAPS,
      namespace,
      name: "x",
      uid: created.metadata.uid,
    });
    const again = await cluster.delete({ resource: CONFIGMAPS, namespace, name: "x" });

    // Assess
    expect(wrongUid).toBe("gone");
    expect(deleted).toBe("deleted");
    expect(again).toBe("gone");
  });

  it("maps a 403 to a permanent ClusterError naming the object, and impersonates when asked", async () => {
    // Prepare
    const namespace = await createTestNamespace("imp");
    const cp = inject("controlPlane");
    const text = await readFile(join(cp.dir, "admin.kubeconfig"), "utf8");
    const asWorker = await createClusterClient({
      kubeConfig: kubeConfigFromText({ text, context: "admin" }),
      impersonate: { user: "pullbridge-worker", groups: ["pullbridge:workers"] },
    });

    // Act
    const error = await asWorker.get({ resource: CONFIGMAPS, namespace, name: "anything" }).then(
      () => undefined,
      (e: unknown) => e,
    );

    // Assess
    expect(error).toBeInstanceOf(ClusterError);
    expect((error as ClusterError).status).toBe(403);
    expect((error as ClusterError).retryable).toBe(false);
    expect((error as ClusterError).object).toBe(`ConfigMap ${namespace}/anything`);
    expect((error as ClusterError).message).toContain(
      'User "pullbridge-worker" cannot get resource "configmaps"',
    );
  });

  it("refuses a kubeconfig context that does not exist, naming the known ones", () => {
    // Prepare
    const text = [
      "apiVersion: v1",
      "kind: Config",
      "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]",
      "users: [{name: u, user: {token: t}}]",
      "contexts: [{name: prod, context: {cluster: c, user: u}}]",
      "current-context: prod",
    ].join("\n");

    // Act
    const attempt = () => kubeConfigFromText({ text, context: "staging" });

    // Assess
    expect(attempt).toThrow(/kubeconfig has no context "staging" \(known: prod\)/);
  });
});
