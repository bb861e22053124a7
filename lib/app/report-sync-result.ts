/**
 * A sync result as the reports show it: per-object outcomes for the check run summary, readable
 * diffs for its text, and the names of the objects that changed. The only reader of the engine's
 * result shape on the reporting side.
 */
import { formatDiffText, type ObjectDiff, type ObjectOutcome } from "../reporting/format-check-run.ts";
import type { SyncResult } from "../sync/sync-result.ts";
import { ENCRYPTED_REASON } from "./preview-encrypted.ts";

const ACTION = {
  created: "create",
  updated: "update",
  unchanged: "unchanged",
  pruned: "prune",
  skipped: "unchanged",
} as const;

const isChange = (outcome: string) => outcome === "created" || outcome === "updated" || outcome === "pruned";

/** One summary line per object; a kept (skipped) prune says why, a previewed encrypted object which keys change. */
export function outcomesOf(result: SyncResult): ObjectOutcome[] {
  return result.outcomes.map((o) => ({
    object: o.object,
    action: ACTION[o.outcome],
    ...(o.source ? { file: o.source.file } : {}),
    ...(o.reason?.startsWith(ENCRYPTED_REASON)
      ? { reason: o.reason }
      : o.outcome === "skipped" && o.reason
        ? { reason: `kept: ${o.reason}` }
        : o.ignored && o.ignored.length > 0
          ? { reason: `ignored: ${o.ignored.join(", ")}` }
          : {}),
  }));
}

/** The check run's text: the diffs the engine rendered (its first `maxDiffs` changes), and how many changed objects have none. */
export function diffTextOf(result: SyncResult): string {
  const changes = result.outcomes.filter((o) => isChange(o.outcome));
  const diffs: ObjectDiff[] = changes.flatMap((o) => (o.diff ? [{ object: o.object, diff: o.diff }] : []));
  return formatDiffText(diffs, changes.filter((o) => o.diff === undefined).length);
}

/** Names of the objects created, updated or pruned. */
export function changedObjects(result: SyncResult): string[] {
  return result.outcomes.filter((o) => isChange(o.outcome)).map((o) => o.object);
}
