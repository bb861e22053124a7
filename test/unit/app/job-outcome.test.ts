/** The one mapping from a job's conclusion to what is posted on the commit and emitted. */
import { describe, expect, it } from "vitest";
import { describeConclusion } from "../../../lib/app/job-outcome.ts";
import { ConfigError, ManifestError, ManifestSetError, PartialSyncError } from "../../../lib/errors.ts";
import { SyncMetric } from "../../../lib/telemetry/metric-names.ts";
import { aTarget } from "../../factories/sync.ts";
import { anObjectOutcome, aSyncResult } from "../../factories/sync-result.ts";
import { sha } from "../../factories/webhook.ts";

const HEAD = sha("head");
const target = aTarget("team-a", { name: "web", repo: "acme/platform" });
const metric = (metrics: ReadonlyArray<{ name: string; value: number }>, name: string) =>
  metrics.find((m) => m.name === name)?.value;

describe("describeConclusion", () => {
  it("posts nothing for a drift check that found nothing, but still counts the sync", () => {
    // Prepare
    const result = aSyncResult([anObjectOutcome("app", "unchanged")]);

    // Act
    const described = describeConclusion({
      type: "synced",
      target,
      head: HEAD,
      result,
      durationMs: 400,
      scheduled: true,
      skipped: [],
    });

    // Assess
    expect(described.finish).toBeUndefined();
    expect(described.outcome).toBe("no-changes");
    expect(described.message).toBe("no changes (1 unchanged) in 0.4s");
    expect(metric(described.metrics, SyncMetric.Succeeded)).toBe(1);
    expect(metric(described.metrics, SyncMetric.ObjectsCreated)).toBeUndefined();
  });

  it("says a sync took back drift, and counts the objects it corrected", () => {
    // Prepare
    const result = aSyncResult([anObjectOutcome("app", "updated"), anObjectOutcome("db", "unchanged")], {
      drift: true,
    });

    // Act
    const described = describeConclusion({
      type: "synced",
      target,
      head: HEAD,
      result,
      durationMs: 200,
      scheduled: true,
      skipped: [],
    });

    // Assess
    expect(described.outcome).toBe("drift-corrected");
    expect(described.finish).toEqual(
      expect.objectContaining({
        sha: HEAD,
        state: "success",
        description: "drift corrected: 1 updated in 0.2s",
      }),
    );
    expect(metric(described.metrics, SyncMetric.DriftCorrected)).toBe(1);
  });

  it("reports alert-mode drift as a failure naming the objects, with their diffs", () => {
    // Prepare
    const result = aSyncResult([anObjectOutcome("app", "updated")], { drift: true });

    // Act
    const described = describeConclusion({ type: "drift-detected", target, head: HEAD, result, skipped: [] });

    // Assess
    expect(described.finish).toEqual(
      expect.objectContaining({ state: "failure", description: "drift detected: ConfigMap team-a/app" }),
    );
    expect(described.finish?.text).toContain("+a: 2");
    expect(metric(described.metrics, SyncMetric.DriftDetected)).toBe(1);
  });

  it("annotates manifest problems at file:line and calls configuration errors `error`", () => {
    // Prepare
    const manifests = new ManifestSetError([
      new ManifestError({ file: "deploy/app.yaml", line: 3 }, "bad indentation"),
    ]);

    // Act
    const bad = describeConclusion({ type: "failed", target, sha: HEAD, kind: "sync", error: manifests });
    const config = describeConclusion({
      type: "failed",
      target,
      sha: HEAD,
      kind: "sync",
      error: new ConfigError("clusters.prod", "unknown cluster"),
    });

    // Assess
    expect(bad.finish?.state).toBe("failure");
    expect(bad.finish?.summary).toMatch(/^Nothing was changed in the cluster: 1 manifest problem\(s\)\./);
    expect(bad.finish?.annotations).toEqual([expect.objectContaining({ path: "deploy/app.yaml", line: 3 })]);
    expect(config.finish?.state).toBe("error");
    expect(config.finish?.annotations).toBeUndefined();
    expect([bad.outcome, config.outcome]).toEqual(["failed", "failed"]);
  });

  it("reports a superseded commit as success naming the head, and posts nothing for a drift job of an unknown target", () => {
    // Act
    const superseded = describeConclusion({ type: "superseded", target, sha: sha("old"), head: HEAD });
    const unknown = describeConclusion({
      type: "unknown-target",
      repo: "acme/other",
      target: "gone",
      sha: undefined,
      kind: "sync",
      message: 'unknown target "gone"',
    });

    // Assess
    expect(superseded.finish).toEqual(
      expect.objectContaining({ state: "success", description: `superseded by ${HEAD.slice(0, 7)}` }),
    );
    expect(metric(superseded.metrics, SyncMetric.Superseded)).toBe(1);
    expect(unknown.finish).toBeUndefined();
    expect(metric(unknown.metrics, SyncMetric.Failed)).toBe(1);
  });

  it("lists skipped files in the summary and counts them in the status description", () => {
    // Prepare
    const result = aSyncResult([anObjectOutcome("app", "created")]);
    const skipped = [
      { path: "deploy/link.yaml", reason: "symbolic link (not followed)" },
      { path: "deploy/README.md", reason: "not a manifest" },
    ];

    // Act
    const described = describeConclusion({
      type: "synced",
      target,
      head: HEAD,
      result,
      durationMs: 100,
      scheduled: false,
      skipped,
    });

    // Assess
    expect(described.finish?.description).toBe("1 created in 0.1s; 2 files skipped");
    expect(described.finish?.summary).toContain(
      "### Skipped files (2)\n\n- `deploy/link.yaml`: symbolic link (not followed)\n- `deploy/README.md`: not a manifest",
    );
  });

  it("says what a sync wrote before it failed, instead of claiming nothing changed, and points at the failed object", () => {
    // Prepare
    const error = new PartialSyncError("applying ConfigMap team-a/b failed: exceeded quota", {
      retryable: false,
      object: "ConfigMap team-a/b",
      source: { file: "deploy/b.yaml", line: 4 },
      writes: {
        inventoryWidened: true,
        applied: ["ConfigMap team-a/a"],
        pruned: [],
        notApplied: ["ConfigMap team-a/b"],
        notPruned: [],
      },
    });

    // Act
    const described = describeConclusion({ type: "failed", target, sha: HEAD, kind: "sync", error });

    // Assess
    expect(described.finish?.summary).not.toContain("Nothing was changed");
    expect(described.finish?.summary).toMatch(
      /^The sync failed after writes began at `ConfigMap team-a\/b` \(`deploy\/b\.yaml:4`\): 1 write\(s\) went through, 1 did not\./,
    );
    // A permanent cause comes back on the next sync: converging needs the cause fixed first.
    expect(described.finish?.summary).toContain(
      "1 did not. Every write is in the inventory, so nothing is orphaned; the next sync converges once the cause below is fixed.",
    );
    expect(described.finish?.summary).toContain("**Applied (1)**\n- `ConfigMap team-a/a`");
    expect(described.finish?.annotations).toEqual([
      expect.objectContaining({ path: "deploy/b.yaml", line: 4 }),
    ]);
  });
});
