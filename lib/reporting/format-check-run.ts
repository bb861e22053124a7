/**
 * Check run bodies: the summary (per-object outcomes), the text (readable diffs) and the
 * annotations (manifest problems at file:line). Pure; sizes stay within GitHub's limits.
 */
import type { ReportAnnotation, ReportKind } from "./commit-reporter.ts";
import {
  ANNOTATIONS_PER_REQUEST,
  CHECK_RUN_TEXT_LIMIT,
  fenceFor,
  truncateMarkdown,
  utf8Length,
} from "./format-text.ts";

export type ObjectAction = "create" | "update" | "prune" | "unchanged" | "failed";

/** What happened (or, for a preview, would happen) to one object. */
export type ObjectOutcome = {
  /** Human-readable identity, e.g. `Deployment.apps team-a/web` (see `describeObject`). */
  object: string;
  action: ObjectAction;
  /** Manifest file it came from (repo-root-relative), when known. */
  file?: string;
  /** Why it failed (for `failed`). */
  reason?: string;
};

/** A readable diff of one object; Secret data must already be masked by whoever rendered it. */
export type ObjectDiff = { object: string; diff: string };

const HEADINGS: Record<ReportKind, Record<ObjectAction, string>> = {
  sync: { failed: "Failed", create: "Created", update: "Updated", prune: "Pruned", unchanged: "Unchanged" },
  preview: {
    failed: "Rejected",
    create: "To create",
    update: "To change",
    prune: "To prune",
    unchanged: "Unchanged",
  },
};

const ORDER: readonly ObjectAction[] = ["failed", "create", "update", "prune", "unchanged"];

function outcomeLine(outcome: ObjectOutcome): string {
  const file = outcome.file === undefined ? "" : ` — \`${outcome.file}\``;
  const reason = outcome.reason === undefined ? "" : `: ${outcome.reason.replace(/\s+/g, " ")}`;
  return `- \`${outcome.object}\`${file}${reason}`;
}

/**
 * Markdown listing every object under its outcome (failed first, unchanged collapsed), with an
 * optional lead paragraph (e.g. the error). Truncated below GitHub's limit.
 */
export function formatOutcomeSummary(
  outcomes: readonly ObjectOutcome[],
  options: { kind?: ReportKind; lead?: string } = {},
): string {
  const headings = HEADINGS[options.kind ?? "sync"];
  const sections: string[] = options.lead ? [options.lead] : [];
  for (const action of ORDER) {
    const group = outcomes.filter((o) => o.action === action);
    if (group.length === 0) continue;
    const lines = group.map(outcomeLine).join("\n");
    sections.push(
      action === "unchanged"
        ? `<details><summary>${headings[action]} (${group.length})</summary>\n\n${lines}\n\n</details>`
        : `### ${headings[action]} (${group.length})\n\n${lines}`,
    );
  }
  if (outcomes.length === 0) sections.push("No objects.");
  return truncateMarkdown(
    sections.join("\n\n"),
    CHECK_RUN_TEXT_LIMIT,
    "_…list truncated: GitHub limits a check run summary to 65,535 characters._",
  );
}

/**
 * The diffs as Markdown, one fenced `diff` block per object. Whole objects are kept while they
 * fit; the rest are counted in a closing note, so a huge change still renders cleanly.
 * `withoutDiff`: changed objects the sync rendered no diff for (past its diff budget), said at the end.
 */
export function formatDiffText(diffs: readonly ObjectDiff[], withoutDiff = 0): string {
  if (withoutDiff === 0) return formatDiffBlocks(diffs, CHECK_RUN_TEXT_LIMIT);
  const note = `_…${withoutDiff} more changed object${withoutDiff === 1 ? "" : "s"} without a diff (past the sync's diff budget); every object is listed in the summary._`;
  const body = formatDiffBlocks(diffs, CHECK_RUN_TEXT_LIMIT - utf8Length(note) - 2);
  return diffs.length === 0 ? note : `${body}\n\n${note}`;
}

function formatDiffBlocks(diffs: readonly ObjectDiff[], limit: number): string {
  if (diffs.length === 0) return "No changes.";
  const blocks = diffs.map(({ object, diff }) => {
    const fence = fenceFor(diff);
    return `#### \`${object}\`\n\n${fence}diff\n${diff.replace(/\n$/, "")}\n${fence}`;
  });
  const note = (n: number) =>
    `_…${n} more object${n === 1 ? "" : "s"} not shown: GitHub limits a check run text to 65,535 characters._`;
  const kept: string[] = [];
  let size = 0;
  for (const [i, block] of blocks.entries()) {
    const remaining = blocks.length - i - 1;
    const reserve = remaining > 0 ? utf8Length(note(remaining)) + 2 : 0;
    if (size + utf8Length(block) + 2 + reserve > limit) {
      const omitted = blocks.length - i;
      if (kept.length === 0) {
        // Not even the first diff fits: show its beginning rather than nothing.
        return truncateMarkdown(block, limit, note(omitted).replace("not shown", "truncated or not shown"));
      }
      kept.push(note(omitted));
      return kept.join("\n\n");
    }
    kept.push(block);
    size += utf8Length(block) + 2;
  }
  return kept.join("\n\n");
}

/** A manifest problem: file relative to the repository root (as the manifest loader reports it), 1-based line. */
export type ManifestProblem = {
  file: string;
  line?: number;
  column?: number;
  message: string;
  title?: string;
};

/** Annotations for manifest problems (failure level), pointing at the file and line. */
export function manifestAnnotations(problems: readonly ManifestProblem[]): ReportAnnotation[] {
  return problems.map((problem) => ({
    path: problem.file.replace(/^\.?\/+/, ""),
    line: Math.max(1, problem.line ?? 1),
    ...(problem.column === undefined ? {} : { column: problem.column }),
    level: "failure",
    title: problem.title ?? "invalid manifest",
    message: problem.message,
  }));
}

/** Splits annotations into GitHub's batches of 50. */
export function batchAnnotations<T>(
  annotations: readonly T[],
  size: number = ANNOTATIONS_PER_REQUEST,
): T[][] {
  const batches: T[][] = [];
  for (let i = 0; i < annotations.length; i += size) batches.push(annotations.slice(i, i + size));
  return batches;
}
