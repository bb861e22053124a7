import { describe, expect, it } from "vitest";
import type { ClusterPort } from "../../../lib/cluster/cluster-port.ts";
import { ApplySetAnnotation } from "../../../lib/sync/applyset-id.ts";
import { configMap, desired, interruptedAfterWrites, secret } from "../../factories/sync.ts";
import { readAsAdmin, resourceVersions, runSync, workerCluster, workerNamespace } from "./sync-fixture.ts";

function setA(namespace: string) {
  return ["a1", "a2", "a3"].map((name) => desired(configMap(namespace, name, { rev: "A" })));
}

function setB(namespace: string) {
  return [
    desired(configMap(namespace, "a1", { rev: "B" })),
    ...Array.from({ length: 10 }, (_, i) => desired(configMap(namespace, `b${i}`, { rev: "B" }))),
    desired(secret(namespace, "b-secret", { token: "B" })),
  ];
}

/** A port that aborts the given controller once `afterWrites` real writes have completed. */
function abortingAfterWrites(
  inner: ClusterPort,
  controller: AbortController,
  afterWrites: number,
): ClusterPort {
  const start = inner.requestCounts().writes;
  const check = () => {
    if (inner.requestCounts().writes - start >= afterWrites) controller.abort(new Error("deadline reached"));
  };
  return {
    ...inner,
    apply: async (o) => {
      const result = await inner.apply(o);
      if (!o.dryRun) check();
      return result;
    },
    applyApplySetParent: async (o) => {
      const result = await inner.applyApplySetParent(o);
      check();
      return result;
    },
  };
}

describe("interrupted syncs", () => {
  it("a sync killed mid-apply prunes nothing, and the re-run converges", async () => {
    // Prepare
    const { namespace, target } = await workerNamespace("interrupt");
    const cluster = await workerCluster();
    await runSync(cluster, target, setA(namespace));
    const failing = interruptedAfterWrites(cluster, 4); // parent widen + 3 applies

    // Act
    const interrupted = await runSync(failing, target, setB(namespace), {}, { concurrency: 1 }).catch(
      (error: unknown) => error,
    );
    const afterInterruption = await resourceVersions(namespace);
    const parentMidway = await readAsAdmin({
      apiVersion: "v1",
      kind: "Secret",
      namespace,
      name: `pullbridge-${target.name}`,
    });
    const rerun = await runSync(cluster, target, setB(namespace));
    const settled = await runSync(cluster, target, setB(namespace));

    // Assess
    expect(interrupted).toBeInstanceOf(Error);
    expect(afterInterruption.has("ConfigMap/a2")).toBe(true);
    expect(afterInterruption.has("ConfigMap/a3")).toBe(true);
    expect(parentMidway?.metadata.annotations?.[ApplySetAnnotation.containsGroupKinds]).toBe(
      "ConfigMap,Secret",
    );
    expect(rerun.counts.pruned).toBe(2);
    expect(rerun.counts.created + rerun.counts.updated + rerun.counts.unchanged).toBe(12);
    expect(rerun.counts.unchanged).toBeGreaterThan(0);
    expect(settled.changed).toBe(false);
    const live = await resourceVersions(namespace);
    expect([...live.keys()].filter((k) => k.startsWith("ConfigMap/")).sort()).toEqual(
      ["a1", ...Array.from({ length: 10 }, (_, i) => `b${i}`)].map((n) => `ConfigMap/${n}`).sort(),
    );
  });

  it("objects written by an aborted sync stay in the inventory: reverting prunes them, leaving no orphans", async () => {
    // Prepare
    const { namespace, target } = await workerNamespace("abort");
    const cluster = await workerCluster();
    await runSync(cluster, target, setA(namespace));
    const controller = new AbortController();
    const aborting = abortingAfterWrites(cluster, controller, 6);

    // Act
    const aborted = await runSync(aborting, target, setB(namespace), { signal: controller.signal }).catch(
      (error: unknown) => error,
    );
    const midway = await resourceVersions(namespace);
    const revert = await runSync(cluster, target, setA(namespace));

    // Assess
    expect(aborted).toBeInstanceOf(Error);
    expect(controller.signal.aborted).toBe(true);
    const writtenByAborted = [...midway.keys()].filter((k) => /^ConfigMap\/b|^Secret\/b-secret/.test(k));
    expect(writtenByAborted.length).toBeGreaterThan(0);
    expect(revert.outcomes.filter((o) => o.outcome === "pruned").length).toBe(writtenByAborted.length);
    const after = await resourceVersions(namespace);
    expect([...after.keys()].filter((k) => /^ConfigMap\/b|^Secret\/b-secret/.test(k))).toEqual([]);
    const a1 = await readAsAdmin({ apiVersion: "v1", kind: "ConfigMap", namespace, name: "a1" });
    expect(a1?.data).toEqual({ rev: "A" });
  });
});
