/**
 * Phase 5, prune: delete what left Git, in reverse stage order (members before the Namespaces and
 * CRDs that hold them), each with a uid precondition so a re-created object is never deleted.
 */
import { PRUNE_ORDER } from "./order-stages.ts";
import { runBounded } from "./run-bounded.ts";
import type { PruneEntry, SyncContext } from "./sync-state.ts";

/** Deletes every planned prune; the first failure stops new deletes and is thrown. */
export async function pruneStages(ctx: SyncContext, prunes: readonly PruneEntry[]): Promise<void> {
  for (const stage of PRUNE_ORDER) {
    ctx.signal?.throwIfAborted();
    const stagePrunes = prunes.filter((p) => p.stage === stage);
    await runBounded(
      stagePrunes,
      { concurrency: ctx.concurrency, stopOnError: true, signal: ctx.signal },
      async (p) => {
        await ctx.cluster.delete({
          resource: p.resource,
          namespace: p.live.metadata.namespace,
          name: p.live.metadata.name,
          uid: p.live.metadata.uid,
          signal: ctx.signal,
        });
      },
    );
  }
}
