import { describe, expect, it } from "vitest";
import {
  batchAnnotations,
  formatDiffText,
  formatOutcomeSummary,
  manifestAnnotations,
  type ObjectDiff,
  type ObjectOutcome,
} from "../../../lib/reporting/format-check-run.ts";
import { CHECK_RUN_TEXT_LIMIT, utf8Length } from "../../../lib/reporting/format-text.ts";

const outcomes: ObjectOutcome[] = [
  { object: "ConfigMap team-a/settings", action: "unchanged" },
  { object: "Deployment.apps team-a/web", action: "create", file: "apps/web/deploy.yaml" },
  { object: "Service team-a/web", action: "update", file: "apps/web/service.yaml" },
  { object: "ConfigMap team-a/old", action: "prune" },
];

const aDiff = (i: number, lines: number): ObjectDiff => ({
  object: `ConfigMap team-a/cm-${i}`,
  diff: Array.from({ length: lines }, (_, l) => `+  key-${l}: value-${l}`).join("\n"),
});

describe("formatOutcomeSummary", () => {
  it("lists each object under its outcome, unchanged ones collapsed", () => {
    // Act
    const summary = formatOutcomeSummary(outcomes);

    // Assess
    expect(summary).toBe(
      [
        "### Created (1)\n\n- `Deployment.apps team-a/web` — `apps/web/deploy.yaml`",
        "### Updated (1)\n\n- `Service team-a/web` — `apps/web/service.yaml`",
        "### Pruned (1)\n\n- `ConfigMap team-a/old`",
        "<details><summary>Unchanged (1)</summary>\n\n- `ConfigMap team-a/settings`\n\n</details>",
      ].join("\n\n"),
    );
  });

  it("uses preview wording and puts rejected objects first with their reason", () => {
    // Prepare
    const preview: ObjectOutcome[] = [
      ...outcomes,
      {
        object: "Secret team-b/creds",
        action: "failed",
        reason: 'forbidden: cannot create secrets in "team-b"',
      },
    ];

    // Act
    const summary = formatOutcomeSummary(preview, {
      kind: "preview",
      lead: "The dry-run rejected 1 object.",
    });

    // Assess
    expect(
      summary.startsWith(
        "The dry-run rejected 1 object.\n\n### Rejected (1)\n\n- `Secret team-b/creds`: forbidden",
      ),
    ).toBe(true);
    expect(summary).toContain("### To create (1)");
    expect(summary).toContain("### To change (1)");
    expect(summary).toContain("### To prune (1)");
  });

  it("stays within GitHub's limit for thousands of objects", () => {
    // Prepare
    const many = Array.from({ length: 5_000 }, (_, i) => ({
      object: `ConfigMap team-a/a-rather-long-config-map-name-${i}`,
      action: "create" as const,
      file: `apps/generated/config-map-number-${i}.yaml`,
    }));

    // Act
    const summary = formatOutcomeSummary(many);

    // Assess
    expect(utf8Length(summary)).toBeLessThanOrEqual(CHECK_RUN_TEXT_LIMIT);
    expect(
      summary.endsWith("_…list truncated: GitHub limits a check run summary to 65,535 characters._"),
    ).toBe(true);
  });
});

describe("formatDiffText", () => {
  it("renders one fenced diff block per object", () => {
    // Act
    const text = formatDiffText([
      { object: "ConfigMap team-a/settings", diff: "-  mode: slow\n+  mode: fast\n" },
    ]);

    // Assess
    expect(text).toBe("#### `ConfigMap team-a/settings`\n\n```diff\n-  mode: slow\n+  mode: fast\n```");
  });

  it("keeps whole diffs while they fit and counts the rest, below 65,535 characters", () => {
    // Prepare: 40 diffs of ~5 KB each (~200 KB in total).
    const diffs = Array.from({ length: 40 }, (_, i) => aDiff(i, 200));

    // Act
    const text = formatDiffText(diffs);

    // Assess
    expect(utf8Length(text)).toBeLessThanOrEqual(CHECK_RUN_TEXT_LIMIT);
    expect(text.length).toBeLessThan(65_535);
    const shown = text.match(/^#### /gm)?.length ?? 0;
    expect(shown).toBeGreaterThan(0);
    expect(
      text.endsWith(
        `_…${40 - shown} more objects not shown: GitHub limits a check run text to 65,535 characters._`,
      ),
    ).toBe(true);
    expect((text.match(/^```/gm)?.length ?? 0) % 2).toBe(0);
  });

  it("says how many changed objects have no diff, after the diffs and within the limit", () => {
    // Prepare
    const diffs = Array.from({ length: 40 }, (_, i) => aDiff(i, 200));

    // Act
    const text = formatDiffText(diffs, 4_900);
    const none = formatDiffText([], 3);

    // Assess
    expect(utf8Length(text)).toBeLessThanOrEqual(CHECK_RUN_TEXT_LIMIT);
    expect(text).toMatch(
      /more objects not shown: GitHub limits .*\n\n_…4900 more changed objects without a diff \(past the sync's diff budget\); every object is listed in the summary\._$/,
    );
    expect(none).toBe(
      "_…3 more changed objects without a diff (past the sync's diff budget); every object is listed in the summary._",
    );
  });

  it("shows the start of a single diff too large on its own, fence closed", () => {
    // Act
    const text = formatDiffText([aDiff(0, 10_000)]);

    // Assess
    expect(utf8Length(text)).toBeLessThanOrEqual(CHECK_RUN_TEXT_LIMIT);
    expect(text.startsWith("#### `ConfigMap team-a/cm-0`\n\n```diff\n+  key-0: value-0")).toBe(true);
    expect((text.match(/^```/gm)?.length ?? 0) % 2).toBe(0);
  });

  it("cannot be broken by backticks inside the diff", () => {
    // Act
    const text = formatDiffText([
      { object: "ConfigMap a/b", diff: "+  script: |\n+    ```sh\n+    echo hi" },
    ]);

    // Assess
    expect(text).toContain("````diff\n");
    expect(text.endsWith("\n````")).toBe(true);
  });
});

describe("manifest annotations", () => {
  it("point at the repo-root path and line", () => {
    // Act
    const annotations = manifestAnnotations([
      { file: "apps/web/deploy.yaml", line: 12, column: 3, message: "spec.replicas: expected integer" },
      { file: "./apps/web/svc.yaml", message: "document is not a Kubernetes object" },
    ]);

    // Assess
    expect(annotations).toEqual([
      {
        path: "apps/web/deploy.yaml",
        line: 12,
        column: 3,
        level: "failure",
        title: "invalid manifest",
        message: "spec.replicas: expected integer",
      },
      {
        path: "apps/web/svc.yaml",
        line: 1,
        level: "failure",
        title: "invalid manifest",
        message: "document is not a Kubernetes object",
      },
    ]);
  });

  it("are sent in batches of 50", () => {
    // Act
    const batches = batchAnnotations(Array.from({ length: 120 }, (_, i) => i));

    // Assess
    expect(batches.map((b) => b.length)).toEqual([50, 50, 20]);
    expect(batches.flat()).toEqual(Array.from({ length: 120 }, (_, i) => i));
  });
});
