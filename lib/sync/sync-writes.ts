/**
 * The write half of a sync, after the whole-set dry-run passed: the parent's own Namespace (when
 * this sync creates it) → widen the ApplySet parent → apply stages → prune → record. A failure
 * after the first confirmed write becomes a PartialSyncError that lists what was written.
 *
 * Why the parent's Namespace goes first, and why that keeps "an interrupted sync cannot orphan
 * objects": the parent Secret lives in the target's namespace, so when the sync creates that
 * Namespace the parent cannot be written before it (404). Interrupted right after the Namespace,
 * the cluster holds one new object the parent does not list yet: the Namespace itself, labelled
 * part-of. The next sync still has it in Git (or it would not have been written), finds it as a
 * member (its kind is desired, so it is listed) and records it. Should Git drop it before that
 * sync, it is not pruned — it holds the target's inventory, which the Namespace prune guard
 * refuses anyway — and no other object is ever written before the parent is widened. Interrupted
 * after the widen, every written object is listed, as for any other sync.
 */
import type { Target } from "../config/targets.ts";
import type { ApplySetInventory, SyncSummaryCounts } from "./applyset-parent.ts";
import { failureAfterWrites } from "./describe-partial-sync.ts";
import { Stage } from "./order-stages.ts";
import { applyStages } from "./phase-apply-stages.ts";
import { pruneStages } from "./phase-prune.ts";
import { recordInventory, widenParent } from "./phase-record-inventory.ts";
import type { Change, LiveRead, PlannedSync, SyncContext, ValidatedSync } from "./sync-state.ts";

export type WriteOptions = {
  target: Target;
  toolingVersion: string;
  read: LiveRead;
  /** The parent as this sync writes it (`read.inventory` with this step's lifecycle cursor). */
  inventory: ApplySetInventory;
  plan: PlannedSync;
  validated: ValidatedSync;
  lastSync: { sha: string; now: Date; counts: SyncSummaryCounts };
  crdTimeoutMs: number;
  /** Called after each phase, for phase durations. */
  lap: (phase: "apply" | "prune" | "record") => void;
  /**
   * A step of a multi-step sync that is not the last wave: apply only, neither prune nor record
   * the commit (the widened parent still lists everything this sync will hold).
   */
  applyOnly?: boolean;
};

/** Writes the validated sync; returns the changes as applied (deferred ones validated on the way). */
export async function writeSync(ctx: SyncContext, options: WriteOptions): Promise<readonly Change[]> {
  const { target, read, plan, validated } = options;
  const apply = (changes: readonly Change[], discovery = read.discovery) =>
    applyStages(ctx, {
      changes,
      discovery,
      forceConflicts: target.forceConflicts,
      crdTimeoutMs: options.crdTimeoutMs,
    });
  const progress = { inventoryWidened: false, changes: validated.changes, prunes: plan.prunes, pruned: [] };
  const parent = { targetName: target.name, toolingVersion: options.toolingVersion };

  const [parentNamespace, rest] = splitParentNamespace(validated.changes, target.namespace);
  const first = await apply(parentNamespace);
  if (!first.ok) throw failureAfterWrites({ ...progress, applied: first.applied }, first);
  const earlier = parentNamespace;
  const widened = await widenParent(ctx, {
    ...parent,
    inventory: options.inventory,
    current: read.inventory,
    remaining: plan.remaining,
  }).catch((error: unknown) => {
    throw failureAfterWrites({ ...progress, applied: earlier }, { failed: undefined, error });
  });
  const afterWiden = { ...progress, inventoryWidened: widened.written };
  const applied = await apply(rest, first.discovery);
  if (!applied.ok)
    throw failureAfterWrites({ ...afterWiden, applied: [...earlier, ...applied.applied] }, applied);
  const changes = [...first.changes, ...applied.changes];
  options.lap("apply");
  const byKey = new Map(changes.map((c) => [c.planned.key, c]));
  if (options.applyOnly) return validated.changes.map((c) => byKey.get(c.planned.key) ?? c);

  const pruned = await pruneStages(ctx, plan.prunes);
  if (pruned.failure)
    throw failureAfterWrites({ ...afterWiden, applied: changes, pruned: pruned.pruned }, pruned.failure);
  options.lap("prune");

  await recordInventory(ctx, {
    ...parent,
    inventory: widened.inventory,
    remaining: plan.remaining,
    lastSync: { ...options.lastSync, digest: read.desiredDigest },
  }).catch((error: unknown) => {
    throw failureAfterWrites(
      { ...afterWiden, applied: changes, pruned: pruned.pruned },
      { failed: undefined, error },
    );
  });
  options.lap("record");
  return validated.changes.map((c) => byKey.get(c.planned.key) ?? c);
}

/** The Namespace that will hold the ApplySet parent, when this sync creates it: it must exist before the parent. */
function splitParentNamespace(
  changes: readonly Change[],
  parentNamespace: string,
): [readonly Change[], readonly Change[]] {
  const isParentNamespace = (c: Change) =>
    c.action === "create" &&
    c.planned.stage === Stage.namespaces &&
    c.planned.object.metadata.name === parentNamespace;
  return [changes.filter(isParentNamespace), changes.filter((c) => !isParentNamespace(c))];
}
