/**
 * Phase 2, plan: classify every object (create / update / check / unchanged / prune / skip),
 * decide which dry-runs must wait for a CRD or Namespace this sync creates, and what the
 * inventory holds afterwards. Pure.
 */
import type { Target } from "../config/targets.ts";
import { groupKindOf, type KubeObject, objectKey } from "../manifests/kube-object.ts";
import { refuseNamespacePrunes, refusePrunesBeyondPolicy } from "./check-prune-policy.ts";
import type { PlannedObject } from "./compute-desired-set.ts";
import { computeSyncPlan, type PlanEntry } from "./compute-sync-plan.ts";
import { Stage } from "./order-stages.ts";
import type { LiveState } from "./read-live-state.ts";
import { refuseInventoryCollisions, type TargetRef } from "./refuse-inventory-collisions.ts";
import type { LiveRead, Membership, PlannedSync, PruneEntry, SkipEntry, WriteEntry } from "./sync-state.ts";

/**
 * Builds the plan from what the read phase found. Throws SyncRefusedError for the inventory,
 * adoption and empty-set guards. `targets`: every configured target, whose ApplySet parents no
 * manifest may write.
 */
export function planSync(options: {
  read: LiveRead;
  target: Target;
  targets: readonly TargetRef[];
}): PlannedSync {
  const { read, target } = options;
  refuseInventoryCollisions({
    planned: read.planned,
    live: liveByKey(read.live),
    target,
    targets: options.targets,
  });
  const plan = computeSyncPlan({
    planned: read.planned,
    members: read.live.members,
    existing: read.live.existing,
    applySetId: read.inventory.id,
    target,
  });
  const prunes = plan.entries.filter((e): e is PruneEntry => e.action === "prune");
  refusePrunesBeyondPolicy({ prunes, target });
  refuseNamespacePrunes({ prunes, planned: read.planned, target, targets: options.targets });
  const deferredKeys = deferredDryRuns(plan.entries);
  const skips = plan.entries.filter((e): e is SkipEntry => e.action === "skip");
  return {
    entries: plan.entries,
    ambiguous: plan.ambiguous,
    toValidate: plan.entries.filter(
      (e): e is WriteEntry =>
        (e.action === "create" || e.action === "update" || e.action === "check") &&
        !deferredKeys.has(e.planned.key),
    ),
    deferredKeys,
    prunes,
    skips,
    remaining: remainingMembership(read.planned, skips),
  };
}

/** What the read phase found for each desired key: the member, or the adoption candidate (undefined: absent). */
function liveByKey(live: LiveState): ReadonlyMap<string, KubeObject | undefined> {
  const byKey = new Map(live.existing);
  for (const member of live.members) byKey.set(objectKey(member.object), member.object);
  return byKey;
}

/** Objects whose kind awaits a CRD, or whose Namespace, created by this sync: the server cannot dry-run them yet. */
function deferredDryRuns(entries: readonly PlanEntry[]): ReadonlySet<string> {
  const newNamespaces = new Set(
    entries.flatMap((e) =>
      e.action === "create" && e.planned.stage === Stage.namespaces ? [e.planned.object.metadata.name] : [],
    ),
  );
  const isDeferred = (p: PlannedObject) =>
    p.awaitsCrd ||
    (p.object.metadata.namespace !== undefined && newNamespaces.has(p.object.metadata.namespace));
  return new Set(
    entries.flatMap((e) =>
      (e.action === "create" || e.action === "update" || e.action === "check") && isDeferred(e.planned)
        ? [e.planned.key]
        : [],
    ),
  );
}

/** Everything desired, plus members a prune guard keeps. */
function remainingMembership(planned: readonly PlannedObject[], skips: readonly SkipEntry[]): Membership {
  return {
    groupKinds: [...planned.map((p) => p.groupKind), ...skips.map((s) => groupKindOf(s.live))],
    namespaces: [
      ...planned.flatMap((p) => (p.object.metadata.namespace ? [p.object.metadata.namespace] : [])),
      ...skips.flatMap((s) => (s.live.metadata.namespace ? [s.live.metadata.namespace] : [])),
    ],
  };
}
