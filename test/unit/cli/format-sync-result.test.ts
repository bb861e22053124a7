import { describe, expect, it } from "vitest";
import {
  colourDiff,
  formatCounts,
  formatSyncResult,
  syncResultJson,
} from "../../../lib/cli/format-sync-result.ts";
import { createPalette } from "../../../lib/cli/palette.ts";
import type { ObjectOutcome, SyncResult } from "../../../lib/sync/sync-result.ts";

function anOutcome(
  overrides: Partial<ObjectOutcome> & Pick<ObjectOutcome, "outcome" | "name">,
): ObjectOutcome {
  return {
    object: `ConfigMap apps/${overrides.name}`,
    groupKind: "ConfigMap",
    namespace: "apps",
    validated: true,
    ...overrides,
  };
}

function aSyncResult(overrides: Partial<SyncResult> = {}): SyncResult {
  const outcomes = overrides.outcomes ?? [];
  const count = (o: ObjectOutcome["outcome"]) => outcomes.filter((x) => x.outcome === o).length;
  return {
    target: "web",
    mode: "plan",
    revision: { sha: "0123456789abcdef0123456789abcdef01234567" },
    previousRevision: undefined,
    desiredDigest: "sha256:desired",
    drift: false,
    applySetId: "applyset-x-v1",
    changed: outcomes.some((o) => o.outcome !== "unchanged" && o.outcome !== "skipped"),
    outcomes,
    counts: {
      created: count("created"),
      updated: count("updated"),
      unchanged: count("unchanged"),
      pruned: count("pruned"),
      skipped: count("skipped"),
    },
    dryRunFallbacks: 0,
    requests: { reads: 3, writes: 0, dryRuns: 1, listPages: 1 },
    durationsMs: { read: 1, plan: 1, dryRun: 1, apply: 0, prune: 0, record: 0, total: 1234 },
    parentUpdated: false,
    ...overrides,
  };
}

const DIFF =
  "--- live ConfigMap apps/a\n+++ desired ConfigMap apps/a\n@@ -1,1 +1,1 @@\n-color: blue\n+color: green\n";
const context = { target: "web", namespace: "apps", parent: "pullbridge-web", server: "https://k8s" };

describe("formatSyncResult", () => {
  it("lists each change with its file:line and reason, the diffs, and a plan summary", () => {
    // Prepare
    const result = aSyncResult({
      outcomes: [
        anOutcome({
          name: "a",
          outcome: "updated",
          source: { file: "deploy/a.yaml", document: 0, line: 3, column: 1 },
          reason: ".data.color: value differs",
          diff: DIFF,
        }),
        anOutcome({ name: "gone", outcome: "pruned" }),
        anOutcome({ name: "same", outcome: "unchanged" }),
      ],
    });

    // Act
    const text = formatSyncResult(result, context, createPalette(false));

    // Assess
    expect(text.split("\n")).toEqual([
      "Plan for target web (namespace apps, ApplySet parent Secret apps/pullbridge-web, https://k8s)",
      "",
      "  ~ ConfigMap apps/a     deploy/a.yaml:3  .data.color: value differs",
      "  - ConfigMap apps/gone                   no longer in Git",
      "",
      ...DIFF.trimEnd().split("\n"),
      "",
      "Plan: 1 to update, 1 to prune, 1 unchanged in 1.2s.",
    ]);
  });

  it("reports a sync without diffs, naming the short revision", () => {
    // Prepare
    const result = aSyncResult({
      mode: "apply",
      revision: { sha: "0123456789abcdef0123456789abcdef01234567+dirty" },
      outcomes: [anOutcome({ name: "a", outcome: "created", diff: DIFF })],
    });

    // Act
    const text = formatSyncResult(result, context, createPalette(false));

    // Assess
    expect(text).not.toContain("+++");
    expect(text.split("\n").at(-1)).toBe("Synced 0123456+dirty: 1 created, 0 unchanged in 1.2s.");
  });

  it("calls out drift when the cluster no longer matches what the last sync applied", () => {
    // Prepare
    const result = aSyncResult({
      drift: true,
      previousRevision: {
        sha: "fedcba9876543210fedcba9876543210fedcba98",
        time: "2025-11-22T09:00:00Z",
        summary: "{}",
      },
      outcomes: [anOutcome({ name: "a", outcome: "updated", diff: DIFF })],
    });

    // Act
    const lines = formatSyncResult(result, context, createPalette(false)).split("\n");

    // Assess
    expect(lines.at(-2)).toBe(
      "Drift: the cluster differs from what fedcba9 applied from these same manifests — someone changed it outside Git.",
    );
  });

  it("says 'No changes' when nothing would change", () => {
    // Act
    const text = formatSyncResult(
      aSyncResult({ outcomes: [anOutcome({ name: "a", outcome: "unchanged" })] }),
      context,
      createPalette(false),
    );

    // Assess
    expect(text.split("\n").at(-1)).toBe("No changes: 1 unchanged in 1.2s.");
  });
});

describe("colourDiff", () => {
  it("colours additions, removals, hunks and headers like git diff", () => {
    // Act
    const lines = colourDiff(DIFF.trimEnd(), createPalette(true)).split("\n");

    // Assess
    expect(lines).toEqual([
      "\u001b[1m--- live ConfigMap apps/a\u001b[22m",
      "\u001b[1m+++ desired ConfigMap apps/a\u001b[22m",
      "\u001b[36m@@ -1,1 +1,1 @@\u001b[39m",
      "\u001b[31m-color: blue\u001b[39m",
      "\u001b[32m+color: green\u001b[39m",
    ]);
  });
});

describe("formatCounts", () => {
  it("uses future tense for plans and past tense for syncs, and mentions kept objects", () => {
    // Prepare
    const counts = { created: 2, updated: 0, unchanged: 5, pruned: 1, skipped: 1 };

    // Act
    const plan = formatCounts({ mode: "plan", counts });
    const applied = formatCounts({ mode: "apply", counts });

    // Assess
    expect(plan).toBe("2 to create, 1 to prune, 1 kept by a prune guard, 5 unchanged");
    expect(applied).toBe("2 created, 1 pruned, 1 kept by a prune guard, 5 unchanged");
  });
});

describe("syncResultJson", () => {
  it("gives every object its outcome, source, diff and ignored fields, with nulls rather than missing keys", () => {
    // Prepare
    const result = aSyncResult({
      outcomes: [
        anOutcome({
          name: "a",
          outcome: "updated",
          source: { file: "deploy/a.yaml", document: 0, line: 3, column: 1 },
          reason: "r",
          diff: DIFF,
          ignored: ["/data/replicas"],
        }),
        anOutcome({ name: "same", outcome: "unchanged" }),
      ],
    });

    // Act
    const json = syncResultJson(result, { namespace: "apps" });

    // Assess
    expect(json).toEqual({
      target: "web",
      namespace: "apps",
      mode: "plan",
      revision: "0123456789abcdef0123456789abcdef01234567",
      previousRevision: null,
      changed: true,
      drift: false,
      counts: { created: 0, updated: 1, unchanged: 1, pruned: 0, skipped: 0 },
      objects: [
        {
          object: "ConfigMap apps/a",
          groupKind: "ConfigMap",
          namespace: "apps",
          name: "a",
          outcome: "updated",
          source: "deploy/a.yaml:3:1",
          reason: "r",
          diff: DIFF,
          ignored: ["/data/replicas"],
        },
        {
          object: "ConfigMap apps/same",
          groupKind: "ConfigMap",
          namespace: "apps",
          name: "same",
          outcome: "unchanged",
          source: null,
          reason: null,
          diff: null,
          ignored: [],
        },
      ],
      durationMs: 1234,
      requests: { reads: 3, writes: 0, dryRuns: 1, listPages: 1 },
    });
  });
});

describe("formatSyncResult with a diff budget", () => {
  const result = aSyncResult({
    outcomes: [
      anOutcome({ name: "a", outcome: "updated", diff: DIFF }),
      anOutcome({ name: "b", outcome: "created", diff: `+${"x".repeat(2000)}\n` }),
    ],
  });

  it("summarises diffs larger than the budget, keeping the plan table", () => {
    // Act
    const text = formatSyncResult(result, context, createPalette(false), { maxDiffBytes: 1024 });

    // Assess
    expect(text).toContain("ConfigMap apps/a");
    expect(text).toContain("ConfigMap apps/b");
    expect(text).not.toContain("+color: green");
    expect(text).toContain(
      "Diffs left out: 2 diff(s), 2 KB — more than 1 KB; use --full-diff or --output json to see them.",
    );
  });

  it("prints the diffs within the budget, and none at all with showDiffs: false (diff --summary)", () => {
    // Act
    const within = formatSyncResult(result, context, createPalette(false), { maxDiffBytes: 1024 * 1024 });
    const summary = formatSyncResult(result, context, createPalette(false), { showDiffs: false });

    // Assess
    expect(within).toContain("+color: green");
    expect(summary).not.toContain("+color: green");
    expect(summary).not.toContain("Diffs left out");
    expect(summary).toContain("ConfigMap apps/a");
  });
});
