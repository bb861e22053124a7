import { describe, expect, it } from "vitest";
import { ClusterError, PartialSyncError } from "../../../lib/errors.ts";
import { computeDesiredSet } from "../../../lib/sync/compute-desired-set.ts";
import { describeWrites, failureAfterWrites } from "../../../lib/sync/describe-partial-sync.ts";
import type { Change } from "../../../lib/sync/sync-state.ts";
import { aTarget, CONFIGMAPS, configMap, desired, discoveryOf } from "../../factories/sync.ts";

const target = aTarget("apps");
const planned = computeDesiredSet({
  desired: ["a", "b"].map((n) => desired(configMap("apps", n), `apps/${n}.yaml`)),
  discovery: discoveryOf([CONFIGMAPS]),
  target,
  applySetId: "id",
});
const changes: Change[] = planned.map((p) => ({
  planned: p,
  before: undefined,
  action: "create",
  decidedBy: "managed-fields",
  reclaimFields: false,
  after: undefined,
  validated: true,
  detailed: true,
  deferred: false,
}));
const quota = new ClusterError("ConfigMap apps/b: server-side apply failed: 403 Forbidden: exceeded quota", {
  retryable: false,
  status: 403,
});

describe("failureAfterWrites", () => {
  it("keeps the original error when nothing was written (then 'nothing was changed' is true)", () => {
    // Act
    const error = failureAfterWrites(
      { inventoryWidened: false, changes, applied: [], prunes: [], pruned: [] },
      { failed: changes[0], error: quota },
    );

    // Assess
    expect(error).toBe(quota);
  });

  it("lists what was written and what was not, naming the failed object's file:line, as retryable as its cause", () => {
    // Act
    const error = failureAfterWrites(
      { inventoryWidened: true, changes, applied: changes.slice(0, 1), prunes: [], pruned: [] },
      { failed: changes[1], error: quota },
    );

    // Assess
    expect(error).toBeInstanceOf(PartialSyncError);
    const partial = error as PartialSyncError;
    expect(partial.retryable).toBe(false);
    expect(partial.cause).toBe(quota);
    expect(partial.object).toBe("ConfigMap apps/b");
    expect(partial.source?.file).toBe("apps/b.yaml");
    expect(partial.message).toMatch(
      /^ConfigMap apps\/b \(apps\/b\.yaml:\d+:1\): server-side apply failed: 403 Forbidden: exceeded quota; the sync stopped after writing/,
    );
    expect(partial.writes.applied).toEqual(["ConfigMap apps/a"]);
    expect(partial.writes.notApplied).toEqual(["ConfigMap apps/b"]);
  });
});

describe("describeWrites", () => {
  it("caps each list at five names", () => {
    // Act
    const text = describeWrites(
      {
        inventoryWidened: false,
        applied: Array.from({ length: 7 }, (_, i) => `ConfigMap apps/c${i}`),
        pruned: [],
        notApplied: [],
        notPruned: [],
      },
      true,
    );

    // Assess
    expect(text).toContain(
      "written: 7 applied (ConfigMap apps/c0, ConfigMap apps/c1, ConfigMap apps/c2, ConfigMap apps/c3, ConfigMap apps/c4 (+2 more)), 0 pruned;",
    );
  });

  it("says the next sync converges only when the cause is transient", () => {
    // Prepare
    const writes = { inventoryWidened: true, applied: [], pruned: [], notApplied: [], notPruned: [] };

    // Act
    const transient = describeWrites(writes, true);
    const permanent = describeWrites(writes, false);

    // Assess
    expect(transient).toMatch(/so the next sync converges$/);
    expect(permanent).toMatch(/so nothing is orphaned: the next sync converges once the cause is fixed$/);
  });
});
