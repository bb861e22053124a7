/**
 * Reliability, through the real engine: a sample of the property-generated bad trees (every
 * defect class) plus manifests only the cluster can refuse (`memory: 512mb`, invalid base64 in a
 * Secret, a number in `stringData`, an invalid key), each synced in `apply` mode against the real
 * API server as the scoped worker. Each must fail naming its file and line, with zero writes.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { runSyncCommand } from "../../../lib/app/sync-command.ts";
import { createClusterClient } from "../../../lib/cluster/adapters/kube-cluster-client.ts";
import { ManifestSetError, SyncRefusedError } from "../../../lib/errors.ts";
import { badManifestTree, DEFECTS } from "../../factories/bad-manifests.ts";
import { aFileTree } from "../../factories/manifests.ts";
import { aTarget } from "../../factories/sync.ts";
import { createTestNamespace, grantWorker, kubeConfigFor } from "../../support/kube.ts";
import { untilWorkerCanList } from "../sync/sync-fixture.ts";

const SAMPLE = 44;

/** Manifests that load fine and only the API server's dry-run refuses (the line of the object is 2). */
const clusterRefused = (namespace: string): Record<string, string> => ({
  "deploy/memory.yaml": [
    "---",
    "apiVersion: apps/v1",
    "kind: Deployment",
    `metadata: {name: mem, namespace: ${namespace}}`,
    "spec:",
    "  selector: {matchLabels: {app: mem}}",
    "  template:",
    "    metadata: {labels: {app: mem}}",
    "    spec: {containers: [{name: app, image: nginx, resources: {limits: {memory: 512mb}}}]}",
    "",
  ].join("\n"),
  "deploy/base64.yaml": `---\napiVersion: v1\nkind: Secret\nmetadata: {name: b64, namespace: ${namespace}}\ndata: {key: "not base64!!"}\n`,
  "deploy/pin.yaml": `---\napiVersion: v1\nkind: Secret\nmetadata: {name: pin, namespace: ${namespace}}\nstringData: {pin: 98765432}\n`,
  "deploy/key.yaml": `---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: key, namespace: ${namespace}}\ndata: {"a b": x}\n`,
});

describe("bad manifests through the real engine", () => {
  it("each fails naming file:line, and nothing is written", async () => {
    // Prepare
    const namespace = await createTestNamespace("bad");
    await grantWorker(namespace);
    await untilWorkerCanList(namespace);
    const cluster = await createClusterClient({ kubeConfig: kubeConfigFor("worker") });
    const target = aTarget(namespace, { path: "deploy" });
    const generated = fc.sample(badManifestTree(namespace), { numRuns: SAMPLE, seed: 20261202 });
    const refused = Object.entries(clusterRefused(namespace)).map(([file, text]) => ({
      files: { [file]: text },
      badFile: file,
      badLines: [2, 2] as const,
      defect: "cluster-refused" as const,
    }));
    const outcomes: Array<{ defect: string; named: boolean; writes: number; kind: string }> = [];

    // Act
    for (const tree of [...generated, ...refused]) {
      const before = cluster.requestCounts().writes;
      const error = await runSyncCommand(
        {
          cluster,
          toolingVersion: "pullbridge/test",
          now: () => new Date(),
          readTree: async () => aFileTree(tree.files),
        },
        { target, configuredTargets: [target], discoverWatch: false, revision: "bad", mode: "apply" },
      ).then(
        () => undefined,
        (e: unknown) => e,
      );
      const [first, last] = tree.badLines;
      const locations =
        error instanceof ManifestSetError
          ? error.errors.map((e) => e.location)
          : error instanceof SyncRefusedError
            ? error.refusals.map((r) => r.source).filter((s) => s !== undefined)
            : [];
      outcomes.push({
        defect: tree.defect,
        kind: error instanceof Error ? error.name : String(error),
        writes: cluster.requestCounts().writes - before,
        named: locations.some(
          (l) =>
            l.file === tree.badFile &&
            (tree.defect === "invalid-utf8" ||
              (l.line !== undefined && l.line >= first && l.line <= last + 1)),
        ),
      });
    }
    const left = await cluster.list({
      resource: { group: "", version: "v1", kind: "ConfigMap", resource: "configmaps", namespaced: true },
      namespace,
      labelSelector: "",
    });
    await cluster.close();
    console.log(
      `[reliability] bad manifests through the engine: ${outcomes.length} synced, ${outcomes.filter((o) => o.named).length} named file:line, ${outcomes.reduce((n, o) => n + o.writes, 0)} writes, kinds ${JSON.stringify(Object.fromEntries([...new Set(outcomes.map((o) => o.kind))].map((k) => [k, outcomes.filter((o) => o.kind === k).length])))}`,
    );

    // Assess
    expect(outcomes.filter((o) => !o.named || o.writes !== 0)).toEqual([]);
    expect(new Set(outcomes.map((o) => o.kind))).toEqual(new Set(["ManifestSetError", "SyncRefusedError"]));
    expect(new Set(generated.map((t) => t.defect)).size).toBe(DEFECTS.length);
    expect(left.items.filter((i) => i.metadata.name !== "kube-root-ca.crt")).toEqual([]);
  });
});
