/**
 * Phase 5, prune: delete what left Git, in reverse stage order (members before the Namespaces and
 * CRDs that hold them), each with a uid precondition so a re-created object is never deleted.
 */
import { PRUNE_ORDER } from "./order-stages.ts";
import { runBounded } from "./run-bounded.ts";
import type { PruneEntry, SyncContext } from "./sync-state.ts";

/** How the prune ended: the deletes the server confirmed, and the failure that stopped it, if any. */
export type PruneOutcome = {
  pruned: readonly PruneEntry[];
  failure: { failed: PruneEntry | undefined; error: unknown } | undefined;
};

/** Deletes every planned prune; the first failure stops new deletes (in-flight ones finish). */
export async function pruneStages(ctx: SyncContext, prunes: readonly PruneEntry[]): Promise<PruneOutcome> {
  // Local to this call: which deletes were confirmed, and which entry each failure belongs to.
  const confirmed = new Set<PruneEntry>();
  const failures = new Map<unknown, PruneEntry>();
  const pruned = () => prunes.filter((p) => confirmed.has(p));
  try {
    for (const stage of PRUNE_ORDER) {
      ctx.signal?.throwIfAborted();
      const stagePrunes = prunes.filter((p) => p.stage === stage);
      await runBounded(
        stagePrunes,
        { concurrency: ctx.concurrency, stopOnError: true, signal: ctx.signal },
        async (p) => {
          try {
            await ctx.cluster.delete({
              resource: p.resource,
              namespace: p.live.metadata.namespace,
              name: p.live.metadata.name,
              uid: p.live.metadata.uid,
              signal: ctx.signal,
            });
            confirmed.add(p);
          } catch (error) {
            failures.set(error, p);
            throw error;
          }
        },
      );
    }
    return { pruned: pruned(), failure: undefined };
  } catch (error) {
    return { pruned: pruned(), failure: { failed: failures.get(error), error } };
  }
}
