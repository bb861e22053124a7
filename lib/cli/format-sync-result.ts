/**
 * How `pullbridge diff` and `pullbridge sync` print a SyncResult: one line per object that
 * changes (or would), the unified YAML diffs coloured like `git diff`, and a one-line summary.
 * The JSON form is the stable shape scripts read (`--output json`).
 */
import { formatLocation } from "../errors.ts";
import { formatDuration } from "../reporting/format-description.ts";
import type { ObjectOutcome, SyncResult } from "../sync/sync-result.ts";
import { formatTable } from "./format-table.ts";
import type { Palette } from "./palette.ts";

/** What the printed plan is about. */
export type PlanContext = {
  target: string;
  namespace: string;
  /** `pullbridge-<target>` in `namespace`. */
  parent: string;
  server: string;
};

const SIGN = { created: "+", updated: "~", pruned: "-", skipped: "!", unchanged: "=" } as const;

function colourFor(p: Palette, outcome: ObjectOutcome["outcome"]): (text: string) => string {
  if (outcome === "created") return p.green;
  if (outcome === "updated") return p.yellow;
  if (outcome === "pruned") return p.red;
  if (outcome === "skipped") return p.cyan;
  return p.dim;
}

function sourceOf(o: ObjectOutcome): string {
  return o.source ? formatLocation({ file: o.source.file, line: o.source.line }) : "";
}

function noteOf(o: ObjectOutcome, mode: SyncResult["mode"]): string {
  if (o.outcome === "pruned") return mode === "plan" ? "no longer in Git" : "no longer in Git: deleted";
  if (o.outcome === "skipped") return `kept: ${o.reason ?? "prune guard"}`;
  if (o.outcome === "created" && !o.validated)
    return "not dry-run yet: its CRD or Namespace is created first";
  const ignored = o.ignored && o.ignored.length > 0 ? `ignored: ${o.ignored.join(", ")}` : "";
  if (o.outcome === "updated" && o.reason) return ignored ? `${o.reason}; ${ignored}` : o.reason;
  return ignored;
}

/** Colours a unified diff like `git diff`. */
export function colourDiff(diff: string, p: Palette): string {
  if (!p.enabled) return diff;
  return diff
    .split("\n")
    .map((line) => {
      if (line.startsWith("+++") || line.startsWith("---")) return p.bold(line);
      if (line.startsWith("@@")) return p.cyan(line);
      if (line.startsWith("+")) return p.green(line);
      if (line.startsWith("-")) return p.red(line);
      return line;
    })
    .join("\n");
}

/** The diff of one changed object (the CLI asks the engine for every diff). */
function diffOf(o: ObjectOutcome): string {
  return o.diff ?? "";
}

/** `1 to create, 1 to update, 2 to prune, 40 unchanged` (plan) / `1 created, … ` (apply). */
export function formatCounts(result: Pick<SyncResult, "counts" | "mode">): string {
  const c = result.counts;
  const plan = result.mode === "plan";
  const parts = [
    c.created > 0 ? (plan ? `${c.created} to create` : `${c.created} created`) : "",
    c.updated > 0 ? (plan ? `${c.updated} to update` : `${c.updated} updated`) : "",
    c.pruned > 0 ? (plan ? `${c.pruned} to prune` : `${c.pruned} pruned`) : "",
    c.skipped > 0 ? `${c.skipped} kept by a prune guard` : "",
    `${c.unchanged} unchanged`,
  ].filter((part) => part !== "");
  return parts.join(", ");
}

/** The human-readable plan or sync report. */
export function formatSyncResult(
  result: SyncResult,
  context: PlanContext,
  p: Palette,
  options: { showUnchanged?: boolean; showDiffs?: boolean; maxDiffBytes?: number } = {},
): string {
  const plan = result.mode === "plan";
  const lines: string[] = [];
  const title = plan ? "Plan for target" : "Synced target";
  lines.push(
    `${title} ${p.bold(context.target)} ${p.dim(`(namespace ${context.namespace}, ApplySet parent Secret ${context.namespace}/${context.parent}, ${context.server})`)}`,
  );
  const shown = result.outcomes.filter((o) => options.showUnchanged === true || o.outcome !== "unchanged");
  if (shown.length > 0) {
    lines.push("");
    const rows = shown.map((o) => {
      const colour = colourFor(p, o.outcome);
      return [colour(`${SIGN[o.outcome]} ${o.object}`), p.dim(sourceOf(o)), noteOf(o, result.mode)];
    });
    lines.push(
      ...formatTable(["", "", ""], rows)
        .split("\n")
        .slice(1)
        .map((line) => `  ${line}`),
    );
  }
  // A plan is read for its diffs; a sync report lists what was done (its JSON form keeps the diffs).
  let diffs = (options.showDiffs ?? plan) ? result.outcomes.map(diffOf).filter((d) => d !== "") : [];
  const diffBytes = diffs.reduce((n, d) => n + d.length, 0);
  const maxDiffBytes = options.maxDiffBytes ?? Number.POSITIVE_INFINITY;
  if (diffBytes > maxDiffBytes) {
    // A first diff of a set with large CRDs can be megabytes: past what a terminal can take, summarise.
    lines.push(
      "",
      p.dim(
        `Diffs left out: ${diffs.length} diff(s), ${formatBytes(diffBytes)} — more than ${formatBytes(maxDiffBytes)}; use --full-diff or --output json to see them.`,
      ),
    );
    diffs = [];
  }
  if (diffs.length > 0) {
    lines.push("");
    for (const diff of diffs) lines.push(colourDiff(diff.trimEnd(), p), "");
    lines.pop();
  }
  lines.push("");
  if (result.drift) {
    lines.push(
      p.yellow(
        `Drift: the cluster differs from what ${shortRevision(result.previousRevision?.sha ?? "the last sync")} applied from these same manifests — someone changed it outside Git.`,
      ),
    );
  }
  const summary = `${formatCounts(result)} ${p.dim(`in ${formatDuration(result.durationsMs.total)}`)}`;
  if (plan) lines.push(result.changed ? `Plan: ${summary}.` : `No changes: ${summary}.`);
  else
    lines.push(
      result.changed
        ? `Synced ${shortRevision(result.revision.sha)}: ${summary}.`
        : `No changes: ${summary}.`,
    );
  return lines.join("\n");
}

function shortRevision(revision: string): string {
  return /^[0-9a-f]{40}/.test(revision) ? revision.slice(0, 7) + revision.slice(40) : revision;
}

/** One object in `--output json`. */
export type SyncResultObjectJson = {
  object: string;
  groupKind: string;
  namespace: string | null;
  name: string;
  outcome: ObjectOutcome["outcome"];
  source: string | null;
  reason: string | null;
  diff: string | null;
};

/** The `--output json` document of `diff` and `sync`. */
export type SyncResultJson = {
  target: string;
  namespace: string;
  mode: SyncResult["mode"];
  revision: string;
  /** The revision the ApplySet parent recorded before (the last sync that wrote), if any. */
  previousRevision: string | null;
  changed: boolean;
  /** The cluster differs from what the last writing sync applied, with the same desired set: a hand edit. */
  drift: boolean;
  counts: SyncResult["counts"];
  objects: SyncResultObjectJson[];
  durationMs: number;
  requests: SyncResult["requests"];
  /** Files under the directory that were not read (symlinks, unsupported extensions), with why. */
  skipped?: { path: string; reason: string }[];
};

/** `2 files skipped:` and one indented line per file, after the plan; empty when none. */
export function formatSkippedFiles(skipped: readonly { path: string; reason: string }[], p: Palette): string {
  if (skipped.length === 0) return "";
  const head = p.yellow(`${skipped.length} file${skipped.length === 1 ? "" : "s"} skipped:`);
  return [head, ...skipped.map((f) => `  ${f.path} — ${f.reason}`)].join("\n");
}

/** The stable JSON shape (no colour, Secret values masked as in the diff). */
export function syncResultJson(result: SyncResult, context: Pick<PlanContext, "namespace">): SyncResultJson {
  return {
    target: result.target,
    namespace: context.namespace,
    mode: result.mode,
    revision: result.revision.sha,
    previousRevision: result.previousRevision?.sha ?? null,
    changed: result.changed,
    drift: result.drift,
    counts: result.counts,
    objects: result.outcomes.map((o) => {
      const diff = diffOf(o);
      return {
        object: o.object,
        groupKind: o.groupKind,
        namespace: o.namespace ?? null,
        name: o.name,
        outcome: o.outcome,
        source: o.source ? `${o.source.file}:${o.source.line}:${o.source.column}` : null,
        reason: o.reason ?? null,
        ignored: o.ignored ?? [],
        diff: diff === "" ? null : diff,
      };
    }),
    durationMs: Math.round(result.durationsMs.total),
    requests: result.requests,
  };
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${bytes} B`;
}
