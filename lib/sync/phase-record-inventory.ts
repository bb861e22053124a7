/**
 * The ApplySet parent writes around the apply: widen it before the first member write (so an
 * interrupted sync can never leave members the inventory does not list), and after a successful
 * prune shrink it to what remains and record this revision.
 */
import {
  type ApplySetInventory,
  buildApplySetParent,
  formatSummary,
  readApplySetParent,
  type SyncSummaryCounts,
  sameMembership,
  shrinkInventory,
  widenInventory,
} from "./applyset-parent.ts";
import type { Membership, SyncContext } from "./sync-state.ts";

type ParentOptions = { targetName: string; toolingVersion: string };

/** The parent after this write, and whether anything was written. */
export type ParentWrite = { inventory: ApplySetInventory; written: boolean };

/**
 * Widens the parent to the union of what it lists and what this sync will hold; writes only when
 * that (or the lifecycle cursor) differs from `current`, the parent as read.
 */
export async function widenParent(
  ctx: SyncContext,
  options: ParentOptions & {
    inventory: ApplySetInventory;
    current: ApplySetInventory;
    remaining: Membership;
  },
): Promise<ParentWrite> {
  const widened = widenInventory(options.inventory, options.remaining);
  if (options.current.exists && sameMembership(widened, options.current)) {
    return { inventory: widened, written: false };
  }
  return { inventory: await writeParent(ctx, { ...options, inventory: widened }), written: true };
}

/** Shrinks the parent to exactly what remains and records the revision, time, counts and digest. */
export async function recordInventory(
  ctx: SyncContext,
  options: ParentOptions & {
    inventory: ApplySetInventory;
    remaining: Membership;
    lastSync: { sha: string; now: Date; counts: SyncSummaryCounts; digest: string };
  },
): Promise<ApplySetInventory> {
  const { lastSync } = options;
  return await writeParent(ctx, {
    ...options,
    inventory: {
      ...shrinkInventory(options.inventory, options.remaining),
      lastSync: {
        sha: lastSync.sha,
        time: lastSync.now.toISOString(),
        summary: formatSummary(lastSync.counts),
        digest: lastSync.digest,
      },
    },
  });
}

async function writeParent(
  ctx: SyncContext,
  options: ParentOptions & { inventory: ApplySetInventory },
): Promise<ApplySetInventory> {
  const answer = await ctx.cluster.applyApplySetParent({
    parent: buildApplySetParent(options),
    signal: ctx.signal,
  });
  return { ...options.inventory, exists: true, resourceVersion: answer.metadata.resourceVersion };
}

/**
 * Records a multi-step sync's cursor on the parent (creating the parent when the target has none
 * yet), leaving everything else as it is; writes nothing when the parent already says it.
 * Refuses a parent of other tooling, or a damaged one, as a sync does.
 */
export async function recordCursor(
  ctx: SyncContext,
  options: ParentOptions & { namespace: string; parentName: string; cursor: string },
): Promise<ApplySetInventory> {
  const live = await ctx.cluster.getApplySetParent({
    namespace: options.namespace,
    name: options.parentName,
    signal: ctx.signal,
  });
  const inventory = readApplySetParent({
    parent: live,
    name: options.parentName,
    namespace: options.namespace,
  });
  if (inventory.lifecycle === options.cursor) return inventory;
  return await writeParent(ctx, { ...options, inventory: { ...inventory, lifecycle: options.cursor } });
}
