/**
 * The failure of a sync that had already written: what was written, what was not, and which
 * object (file:line) failed — derived from the writes the server confirmed, never assumed. Pure.
 */
import { isRetryable, PartialSyncError, SyncRefusedError, type SyncWrites } from "../errors.ts";
import { describeObject } from "../manifests/kube-object.ts";
import { refusalReason, sourceOf } from "./refusal-text.ts";
import type { Change, PruneEntry } from "./sync-state.ts";

/** Names listed per group before "(+N more)". */
const LISTED = 5;

/** Everything the write half of a sync did and meant to do, at the moment it failed. */
export type WritesSoFar = {
  inventoryWidened: boolean;
  changes: readonly Change[];
  applied: readonly Change[];
  prunes: readonly PruneEntry[];
  pruned: readonly PruneEntry[];
};

/**
 * The error to throw for `error`: unchanged when nothing was written yet (then "nothing was
 * changed" is true), else a PartialSyncError listing the writes, as retryable as its cause.
 */
export function failureAfterWrites(
  progress: WritesSoFar,
  failure: { failed: Change | PruneEntry | undefined; error: unknown },
): unknown {
  const writes = writesOf(progress);
  if (!writes.inventoryWidened && writes.applied.length === 0 && writes.pruned.length === 0) {
    return failure.error;
  }
  const { failed, error } = failure;
  const planned = failed && "planned" in failed ? failed.planned : undefined;
  const object = planned
    ? describeObject(planned.object)
    : failed && "live" in failed
      ? describeObject(failed.live)
      : undefined;
  const what = planned
    ? `${object} (${sourceOf(planned)}): ${refusalReason(error)}`
    : object
      ? `deleting ${object}: ${refusalReason(error)}`
      : error instanceof Error
        ? error.message
        : String(error);
  return new PartialSyncError(`${what}; ${describeWrites(writes, isRetryable(error))}`, {
    retryable: isRetryable(error),
    object: object ?? (error instanceof SyncRefusedError ? error.object : undefined),
    source: planned?.source ?? (error instanceof SyncRefusedError ? error.source : undefined),
    writes,
    refusals: error instanceof SyncRefusedError ? error.refusals : undefined,
    cause: error,
  });
}

function writesOf(progress: WritesSoFar): SyncWrites {
  const applied = new Set(progress.applied.map((c) => c.planned.key));
  const pruned = new Set(progress.pruned);
  return {
    inventoryWidened: progress.inventoryWidened,
    applied: progress.applied.map((c) => describeObject(c.planned.object)),
    pruned: progress.pruned.map((p) => describeObject(p.live)),
    notApplied: progress.changes
      .filter((c) => !applied.has(c.planned.key))
      .map((c) => describeObject(c.planned.object)),
    notPruned: progress.prunes.filter((p) => !pruned.has(p)).map((p) => describeObject(p.live)),
  };
}

/**
 * `the sync stopped after writing to the cluster — written: the ApplySet parent (widened), 1
 * applied (ConfigMap apps/a); not written: 1 to apply (ConfigMap apps/b); …`. Says the next sync
 * converges only for a transient cause (`retryable`): a refused write is refused again until fixed.
 */
export function describeWrites(writes: SyncWrites, retryable: boolean): string {
  const written = [
    ...(writes.inventoryWidened ? ["the ApplySet parent (widened)"] : []),
    `${writes.applied.length} applied${listed(writes.applied)}`,
    `${writes.pruned.length} pruned${listed(writes.pruned)}`,
  ];
  const notWritten = [
    `${writes.notApplied.length} to apply${listed(writes.notApplied)}`,
    `${writes.notPruned.length} to prune${listed(writes.notPruned)}`,
  ];
  return (
    `the sync stopped after writing to the cluster — written: ${written.join(", ")}; ` +
    `not written (or not confirmed): ${notWritten.join(", ")}; the inventory lists everything written, so ` +
    (retryable
      ? "the next sync converges"
      : "nothing is orphaned: the next sync converges once the cause is fixed")
  );
}

function listed(names: readonly string[]): string {
  if (names.length === 0) return "";
  const more = names.length > LISTED ? ` (+${names.length - LISTED} more)` : "";
  return ` (${names.slice(0, LISTED).join(", ")}${more})`;
}
