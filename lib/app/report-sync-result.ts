/**
 * A sync result as the reports show it: per-object outcomes for the check run summary, readable
 * diffs for its text, and the names of the objects that changed. The only reader of the engine's
 * result shape on the reporting side.
 */
import { renderObjectDiff } from "../manifests/render-object-diff.ts";
import type { ObjectDiff, ObjectOutcome } from "../reporting/format-check-run.ts";
import type { SyncResult } from "../sync/sync-result.ts";

const ACTION = {
  created: "create",
  updated: "update",
  unchanged: "unchanged",
  pruned: "prune",
  skipped: "unchanged",
} as const;

const isChange = (outcome: string) => outcome === "created" || outcome === "updated" || outcome === "pruned";

/** One summary line per object; a kept (skipped) prune says why. */
export function outcomesOf(result: SyncResult): ObjectOutcome[] {
  return result.outcomes.map((o) => ({
    object: o.object,
    action: ACTION[o.outcome],
    ...(o.source ? { file: o.source.file } : {}),
    ...(o.outcome === "skipped" && o.reason ? { reason: `kept: ${o.reason}` } : {}),
  }));
}

/** The diffs of the changed objects; the engine renders the first `maxDiffs`, the rest are rendered here. */
export function diffsOf(result: SyncResult): ObjectDiff[] {
  return result.outcomes
    .filter((o) => isChange(o.outcome))
    .map((o) => ({ object: o.object, diff: o.diff ?? renderObjectDiff(o.before, o.after) }))
    .filter((d) => d.diff !== "");
}

/** Names of the objects created, updated or pruned. */
export function changedObjects(result: SyncResult): string[] {
  return result.outcomes.filter((o) => isChange(o.outcome)).map((o) => o.object);
}
