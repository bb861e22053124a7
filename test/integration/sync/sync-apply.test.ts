import { describe, expect, it } from "vitest";
import { SyncRefusedError } from "../../../lib/errors.ts";
import { ApplySetAnnotation, ApplySetLabel, PullbridgeAnnotation } from "../../../lib/sync/applyset-id.ts";
import { configMap, deployment, desired, secret, service, serviceAccount } from "../../factories/sync.ts";
import {
  adminCluster,
  readAsAdmin,
  resourceVersions,
  runSync,
  workerCluster,
  workerNamespace,
} from "./sync-fixture.ts";

function appSet(namespace: string, revision: string) {
  return [
    configMap(namespace, "settings", { mode: revision }),
    secret(namespace, "credentials", { password: `pw-${revision}` }),
    service(namespace, "web"),
    serviceAccount(namespace, "web"),
    deployment(namespace, "web", { image: `nginx:${revision}` }),
  ].map((o) => desired(o));
}

describe("syncTarget against a real API server (worker identity)", () => {
  it("creates every object, labels it as a member and records the ApplySet parent", async () => {
    // Prepare
    const { namespace, target } = await workerNamespace("create");
    const cluster = await workerCluster();

    // Act
    const result = await runSync(cluster, target, appSet(namespace, "1"));

    // Assess
    expect(result.counts).toEqual({ created: 5, updated: 0, unchanged: 0, pruned: 0, skipped: 0 });
    expect(result.changed).toBe(true);
    const cm = await readAsAdmin({ apiVersion: "v1", kind: "ConfigMap", namespace, name: "settings" });
    expect(cm?.metadata.labels?.[ApplySetLabel.partOf]).toBe(result.applySetId);
    const parent = await readAsAdmin({
      apiVersion: "v1",
      kind: "Secret",
      namespace,
      name: `pullbridge-${target.name}`,
    });
    expect(parent?.metadata.labels?.[ApplySetLabel.id]).toBe(result.applySetId);
    expect(parent?.metadata.annotations).toMatchObject({
      [ApplySetAnnotation.tooling]: "pullbridge/0.1.0",
      [ApplySetAnnotation.containsGroupKinds]: "ConfigMap,Deployment.apps,Secret,Service,ServiceAccount",
      [ApplySetAnnotation.additionalNamespaces]: "",
      [PullbridgeAnnotation.lastSyncSha]: "a1",
      [PullbridgeAnnotation.lastSyncTime]: "2026-01-02T03:04:05.000Z",
      [PullbridgeAnnotation.lastSyncSummary]:
        '{"created":5,"updated":0,"unchanged":0,"pruned":0,"skipped":0}',
    });
  });

  it("re-syncing the same set writes nothing and leaves every resourceVersion unchanged", async () => {
    // Prepare
    const { namespace, target } = await workerNamespace("noop");
    const cluster = await workerCluster();
    await runSync(cluster, target, appSet(namespace, "1"));
    const before = await resourceVersions(namespace);
    const writesBefore = cluster.requestCounts().writes;

    // Act
    const result = await runSync(cluster, target, appSet(namespace, "1"), { revision: { sha: "a2" } });

    // Assess
    expect(result.counts).toEqual({ created: 0, updated: 0, unchanged: 5, pruned: 0, skipped: 0 });
    expect(result.changed).toBe(false);
    expect(result.requests.writes).toBe(0);
    expect(result.requests.dryRuns).toBe(0);
    expect(result.dryRunFallbacks).toBe(0);
    expect(cluster.requestCounts().writes).toBe(writesBefore);
    expect(result.outcomes.every((o) => o.decidedBy === "managed-fields")).toBe(true);
    expect(await resourceVersions(namespace)).toEqual(before);
  });

  it("updates only what changed and prunes what left Git", async () => {
    // Prepare
    const { namespace, target } = await workerNamespace("update");
    const cluster = await workerCluster();
    await runSync(cluster, target, appSet(namespace, "1"));
    const next = appSet(namespace, "1")
      .filter((d) => d.object.kind !== "ServiceAccount")
      .map((d) =>
        d.object.kind === "ConfigMap" ? desired(configMap(namespace, "settings", { mode: "2" })) : d,
      );

    // Act
    const result = await runSync(cluster, target, next);

    // Assess
    expect(result.counts).toEqual({ created: 0, updated: 1, unchanged: 3, pruned: 1, skipped: 0 });
    expect(result.drift).toBe(false); // Git changed, not the cluster
    expect(result.requests).toMatchObject({ dryRuns: 1, writes: 3 }); // update + delete + parent record
    const updated = result.outcomes.find((o) => o.outcome === "updated");
    expect(updated).toMatchObject({
      object: `ConfigMap ${namespace}/settings`,
      reason: ".data.mode: value differs",
    });
    expect(updated?.before?.data).toEqual({ mode: "1" });
    expect(updated?.after?.data).toEqual({ mode: "2" });
    expect(
      await readAsAdmin({ apiVersion: "v1", kind: "ServiceAccount", namespace, name: "web" }),
    ).toBeUndefined();
    const parent = await readAsAdmin({
      apiVersion: "v1",
      kind: "Secret",
      namespace,
      name: `pullbridge-${target.name}`,
    });
    expect(parent?.metadata.annotations?.[ApplySetAnnotation.containsGroupKinds]).toBe(
      "ConfigMap,Deployment.apps,Secret,Service",
    );
  });

  it("masks Secret values in before/after objects and diffs, showing which value changed", async () => {
    // Prepare
    const { namespace, target } = await workerNamespace("mask");
    const cluster = await workerCluster();
    await runSync(cluster, target, [desired(secret(namespace, "db", { password: "one", user: "app" }))]);

    // Act
    const result = await runSync(cluster, target, [
      desired(secret(namespace, "db", { password: "two", user: "app" })),
    ]);

    // Assess
    const outcome = result.outcomes.find((o) => o.outcome === "updated");
    expect(outcome?.before?.data).toEqual({ password: "***", user: "***" });
    expect(outcome?.after?.data).toEqual({ password: "*** (changed)", user: "***" });
    expect(outcome?.diff).toContain('+  password: "*** (changed)"');
    const serialised = JSON.stringify(result);
    for (const value of ["one", "two"]) {
      expect(serialised).not.toContain(Buffer.from(value).toString("base64"));
      expect(serialised).not.toContain(`"${value}"`);
    }
  });

  it("reverting A → B → A leaves the cluster as after A", async () => {
    // Prepare
    const { namespace, target } = await workerNamespace("revert");
    const cluster = await workerCluster();
    const setA = [configMap(namespace, "one", { v: "a" }), configMap(namespace, "two", { v: "a" })].map((o) =>
      desired(o),
    );
    const setB = [
      configMap(namespace, "one", { v: "b", extra: "x" }),
      configMap(namespace, "three", { v: "b" }),
    ].map((o) => desired(o));
    await runSync(cluster, target, setA);
    const afterA = await Promise.all(
      ["one", "two", "three"].map((name) =>
        readAsAdmin({ apiVersion: "v1", kind: "ConfigMap", namespace, name }),
      ),
    );

    // Act
    await runSync(cluster, target, setB);
    const revert = await runSync(cluster, target, setA);

    // Assess
    const afterRevert = await Promise.all(
      ["one", "two", "three"].map((name) =>
        readAsAdmin({ apiVersion: "v1", kind: "ConfigMap", namespace, name }),
      ),
    );
    expect(afterRevert.map((o) => o?.data)).toEqual(afterA.map((o) => o?.data));
    expect(afterRevert.map((o) => o?.metadata.labels)).toEqual(afterA.map((o) => o?.metadata.labels));
    expect(revert.counts).toEqual({ created: 1, updated: 1, unchanged: 0, pruned: 1, skipped: 0 });
    const again = await runSync(cluster, target, setA);
    expect(again.changed).toBe(false);
  });

  it("refuses to prune everything when the desired set is empty, unless the target allows it", async () => {
    // Prepare
    const { namespace, target } = await workerNamespace("empty");
    const cluster = await workerCluster();
    await runSync(cluster, target, [desired(configMap(namespace, "keep"))]);
    const writes = cluster.requestCounts().writes;

    // Act
    const refused = await runSync(cluster, target, []).catch((error: unknown) => error);
    const allowed = await runSync(cluster, { ...target, allowEmpty: true }, []);

    // Assess
    expect(refused).toBeInstanceOf(SyncRefusedError);
    expect((refused as Error).message).toMatch(
      /desired set .* is empty and pruning would delete all 1 objects/,
    );
    expect(allowed.counts.pruned).toBe(1);
    expect(cluster.requestCounts().writes - writes).toBe(2); // the delete and the parent record, all by the allowed sync
    expect(
      await readAsAdmin({ apiVersion: "v1", kind: "ConfigMap", namespace, name: "keep" }),
    ).toBeUndefined();
  });

  it("never prunes a foreign object without the part-of label, even with a look-alike name", async () => {
    // Prepare
    const { namespace, target } = await workerNamespace("foreign");
    const cluster = await workerCluster();
    const admin = await adminCluster();
    const first = await runSync(cluster, target, [desired(configMap(namespace, "app-config"))]);
    const discovery = await admin.discover();
    const cmResource = discovery.resolve({ apiVersion: "v1", kind: "ConfigMap" });
    if (!cmResource) throw new Error("ConfigMap not served");
    await admin.apply({
      resource: cmResource,
      object: configMap(
        namespace,
        "app-config-2",
        { owner: "someone" },
        { labels: { [ApplySetLabel.partOf]: "applyset-other-v1" } },
      ),
      force: false,
      dryRun: false,
    });
    await admin.apply({
      resource: cmResource,
      object: configMap(namespace, "app-config-3"),
      force: false,
      dryRun: false,
    });

    // Act
    const result = await runSync(cluster, target, [desired(configMap(namespace, "other"))]);

    // Assess
    expect(result.outcomes.filter((o) => o.outcome === "pruned").map((o) => o.name)).toEqual(["app-config"]);
    expect(
      await readAsAdmin({ apiVersion: "v1", kind: "ConfigMap", namespace, name: "app-config-2" }),
    ).toBeDefined();
    expect(
      await readAsAdmin({ apiVersion: "v1", kind: "ConfigMap", namespace, name: "app-config-3" }),
    ).toBeDefined();
    expect(first.applySetId).toBe(result.applySetId);
  });

  it("keeps objects annotated pullbridge.dev/prune: disabled, and never deletes for a prune: false target", async () => {
    // Prepare
    const { namespace, target } = await workerNamespace("keep");
    const cluster = await workerCluster();
    await runSync(cluster, target, [
      desired(
        configMap(
          namespace,
          "pinned",
          { a: "1" },
          { annotations: { [PullbridgeAnnotation.prune]: "disabled" } },
        ),
      ),
      desired(configMap(namespace, "plain")),
      desired(configMap(namespace, "stays")),
    ]);

    // Act
    const guarded = await runSync(
      cluster,
      target,
      [desired(configMap(namespace, "stays"))].concat([desired(configMap(namespace, "plain"))]),
    );
    const noPrune = await runSync(cluster, { ...target, prune: false }, [
      desired(configMap(namespace, "stays")),
    ]);

    // Assess
    expect(guarded.outcomes.find((o) => o.name === "pinned")).toMatchObject({
      outcome: "skipped",
      reason: `annotated ${PullbridgeAnnotation.prune}: disabled`,
    });
    expect(
      noPrune.outcomes
        .filter((o) => o.outcome === "skipped")
        .map((o) => o.name)
        .sort(),
    ).toEqual(["pinned", "plain"]);
    expect(noPrune.requests.writes).toBe(0);
    expect(
      await readAsAdmin({ apiVersion: "v1", kind: "ConfigMap", namespace, name: "pinned" }),
    ).toBeDefined();
    expect(
      await readAsAdmin({ apiVersion: "v1", kind: "ConfigMap", namespace, name: "plain" }),
    ).toBeDefined();
  });

  it("keeps before/after and diffs for the first maxDiffs changes only; every object still validated and applied", async () => {
    // Prepare
    const { namespace, target } = await workerNamespace("budget");
    const cluster = await workerCluster();
    await runSync(cluster, target, appSet(namespace, "1"));

    // Act
    const result = await runSync(cluster, target, appSet(namespace, "2"), {
      revision: { sha: "a2" },
      maxDiffs: 2,
    });

    // Assess
    const changed = result.outcomes.filter((o) => o.outcome === "updated");
    expect(changed.map((o) => o.name).sort()).toEqual(["credentials", "settings", "web"]);
    expect(changed.every((o) => o.validated)).toBe(true);
    expect(changed.filter((o) => o.diff !== undefined && o.before && o.after)).toHaveLength(2);
    expect(changed.filter((o) => o.diff === undefined && !o.before && !o.after)).toHaveLength(1);
    const again = await runSync(cluster, target, appSet(namespace, "2"), { revision: { sha: "a2" } });
    expect(again.counts).toMatchObject({ created: 0, updated: 0, unchanged: 5 });
  });

  it("plan mode validates every change with a dry-run and writes nothing", async () => {
    // Prepare
    const { namespace, target } = await workerNamespace("plan");
    const cluster = await workerCluster();
    await runSync(cluster, target, [desired(configMap(namespace, "old"))]);
    const before = await resourceVersions(namespace);

    // Act
    const result = await runSync(cluster, target, appSet(namespace, "1"), { mode: "plan" });

    // Assess
    expect(result.mode).toBe("plan");
    expect(result.counts).toEqual({ created: 5, updated: 0, unchanged: 0, pruned: 1, skipped: 0 });
    expect(result.requests.writes).toBe(0);
    expect(result.requests.dryRuns).toBe(5);
    expect(result.outcomes.filter((o) => o.outcome === "created").every((o) => o.validated && o.after)).toBe(
      true,
    );
    expect(await resourceVersions(namespace)).toEqual(before);
  });

  it("normalised values (cpu 0.5 → 500m) are decided by a counted dry-run fallback, still without writes", async () => {
    // Prepare
    const { namespace, target } = await workerNamespace("quantity");
    const cluster = await workerCluster();
    const set = [desired(deployment(namespace, "web", { cpu: "0.5" }))];
    await runSync(cluster, target, set);
    const before = await resourceVersions(namespace);

    // Act
    const result = await runSync(cluster, target, set);

    // Assess
    expect(result.dryRunFallbacks).toBe(1);
    expect(result.outcomes[0]).toMatchObject({ outcome: "unchanged", decidedBy: "dry-run" });
    expect(result.requests).toMatchObject({ writes: 0, dryRuns: 1 });
    expect(await resourceVersions(namespace)).toEqual(before);
  });
});
