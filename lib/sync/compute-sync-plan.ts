/**
 * Classifies every object: create, update, check (ambiguous: a dry-run decides), unchanged,
 * prune, or skip (kept despite leaving Git). Enforces the adoption and prune guards. Pure.
 */
import type { ApiResource } from "../cluster/cluster-port.ts";
import { FIELD_MANAGER } from "../cluster/cluster-port.ts";
import type { Target } from "../config/targets.ts";
import { SyncRefusedError } from "../errors.ts";
import { describeObject, type KubeObject, objectKey } from "../manifests/kube-object.ts";
import { ApplySetLabel, PRUNE_DISABLED, PullbridgeAnnotation } from "./applyset-id.ts";
import { applySetParentMarks } from "./applyset-parent.ts";
import type { PlannedObject } from "./compute-desired-set.ts";
import { compareWithManagedFields } from "./compute-managed-fields-comparison.ts";
import type { IgnoredPath } from "./ignore-fields.ts";
import { type Stage, stageOf } from "./order-stages.ts";

/**
 * A live member of the set, as listed. `unchanged`: the read phase already found it matches Git
 * (`matchesGit`) and kept only its identity, so memory follows what changes, not the set's size.
 */
export type LiveMember = { resource: ApiResource; object: KubeObject; unchanged?: true };

export type PlanEntry =
  | { action: "create"; planned: PlannedObject; adopted: false }
  | {
      action: "update";
      planned: PlannedObject;
      live: KubeObject;
      path: string;
      reason: string;
      adopted: boolean;
    }
  | { action: "check"; planned: PlannedObject; live: KubeObject; path: string; reason: string }
  | { action: "unchanged"; planned: PlannedObject; live: KubeObject }
  | { action: "prune"; resource: ApiResource; live: KubeObject; stage: Stage }
  | { action: "skip"; resource: ApiResource; live: KubeObject; stage: Stage; reason: string };

export type SyncPlan = {
  entries: PlanEntry[];
  /** Number of `check` entries: where managedFields could not decide and a dry-run will. */
  ambiguous: number;
};

type PlanTarget = Pick<Target, "name" | "adopt" | "prune" | "allowEmpty">;

/**
 * Builds the plan. `members` are the objects listed with our part-of selector; `existing` holds
 * the GET result (or undefined: not found) for each desired object that was not a member.
 */
export function computeSyncPlan(options: {
  planned: readonly PlannedObject[];
  members: readonly LiveMember[];
  existing: ReadonlyMap<string, KubeObject | undefined>;
  applySetId: string;
  target: PlanTarget;
}): SyncPlan {
  const { planned, members, applySetId, target } = options;
  const memberByKey = new Map<string, LiveMember>();
  for (const member of members) {
    // Defence in depth: the LIST used the selector, but never treat an unlabelled object as ours.
    if (member.object.metadata.labels?.[ApplySetLabel.partOf] !== applySetId) continue;
    memberByKey.set(objectKey(member.object), member);
  }
  const desired = planDesired({ ...options, memberByKey });
  const prunes = planPrunes({ planned, memberByKey, target });
  return { entries: [...desired.entries, ...prunes], ambiguous: desired.ambiguous };
}

/** Desired objects → create / update / check / unchanged; refuses adopting what another owner holds. */
function planDesired(options: {
  planned: readonly PlannedObject[];
  memberByKey: ReadonlyMap<string, LiveMember>;
  existing: ReadonlyMap<string, KubeObject | undefined>;
  target: PlanTarget;
}): SyncPlan {
  const { planned, memberByKey, existing, target } = options;
  const entries: PlanEntry[] = [];
  const refusals: string[] = [];
  let ambiguous = 0;
  for (const p of planned) {
    const member = memberByKey.get(p.key);
    if (member) {
      const entry = compareMember(p, member);
      if (entry.action === "check") ambiguous += 1;
      entries.push(entry);
      continue;
    }
    const found = existing.get(p.key);
    if (!found) {
      entries.push({ action: "create", planned: p, adopted: false });
      continue;
    }
    const owner = found.metadata.labels?.[ApplySetLabel.partOf];
    if (!target.adopt) {
      refusals.push(
        `${describeObject(p.object)} already exists and is not managed by target ${target.name}` +
          (owner ? ` (it belongs to ApplySet ${owner})` : "") +
          "; set adopt: true on the target to take it over",
      );
      continue;
    }
    entries.push({
      action: "update",
      planned: p,
      live: found,
      path: ".",
      reason: owner ? `adopted from ApplySet ${owner}` : "adopted",
      adopted: true,
    });
  }
  const firstRefusal = refusals[0];
  if (firstRefusal) {
    throw new SyncRefusedError(
      refusals.length > 1 ? `${firstRefusal} (and ${refusals.length - 1} more)` : firstRefusal,
    );
  }
  return { entries, ambiguous };
}

/**
 * Whether a (compacted) live member is what Git wants, by our manager's managed fields alone —
 * the plan's "unchanged". An object being deleted never is: it will be gone once its finalizers finish.
 */
export function matchesGit(
  desired: KubeObject,
  live: KubeObject,
  ignore: readonly IgnoredPath[] = [],
): boolean {
  if (live.metadata.deletionTimestamp !== undefined) return false;
  return compareWithManagedFields({ desired, live, manager: FIELD_MANAGER, ignore }).verdict === "unchanged";
}

/** A desired object that is already a member: unchanged, update, or check (a dry-run decides). */
function compareMember(p: PlannedObject, member: LiveMember): PlanEntry {
  if (member.unchanged) return { action: "unchanged", planned: p, live: member.object };
  const terminating = member.object.metadata.deletionTimestamp;
  if (terminating !== undefined) {
    // It matches Git now, but will be gone once its finalizers finish: never "unchanged".
    return {
      action: "update",
      planned: p,
      live: member.object,
      path: ".metadata.deletionTimestamp",
      reason: `being deleted (since ${String(terminating)}); a later sync re-creates it once it is gone`,
      adopted: false,
    };
  }
  const verdict = compareWithManagedFields({
    desired: p.object,
    live: member.object,
    manager: FIELD_MANAGER,
    ignore: p.ignore,
  });
  if (verdict.verdict === "unchanged") return { action: "unchanged", planned: p, live: member.object };
  if (verdict.verdict === "changed") {
    return {
      action: "update",
      planned: p,
      live: member.object,
      path: verdict.path,
      reason: verdict.reason,
      adopted: false,
    };
  }
  return { action: "check", planned: p, live: member.object, path: verdict.path, reason: verdict.reason };
}

/** Members that left Git → prune, or skip when a guard keeps them; refuses pruning everything by accident. */
function planPrunes(options: {
  planned: readonly PlannedObject[];
  memberByKey: ReadonlyMap<string, LiveMember>;
  target: PlanTarget;
}): PlanEntry[] {
  const { planned, memberByKey, target } = options;
  const desiredKeys = new Set(planned.map((p) => p.key));
  const pruneCandidates: PlanEntry[] = [];
  for (const [key, member] of memberByKey) {
    if (desiredKeys.has(key)) continue;
    const stage = stageOf(member.resource);
    const parentMarks = applySetParentMarks(member.object);
    if (parentMarks !== undefined) {
      // Deleting an ApplySet parent (this target's own, labelled by hand, or another set's)
      // would orphan its whole set, or lock its target out.
      pruneCandidates.push({
        action: "skip",
        resource: member.resource,
        live: member.object,
        stage,
        reason: `it is an ApplySet parent (${parentMarks}); pullbridge never prunes an inventory`,
      });
    } else if (!target.prune) {
      pruneCandidates.push({
        action: "skip",
        resource: member.resource,
        live: member.object,
        stage,
        reason: "pruning is disabled for this target",
      });
    } else if (member.object.metadata.annotations?.[PullbridgeAnnotation.prune] === PRUNE_DISABLED) {
      pruneCandidates.push({
        action: "skip",
        resource: member.resource,
        live: member.object,
        stage,
        reason: `annotated ${PullbridgeAnnotation.prune}: ${PRUNE_DISABLED}`,
      });
    } else {
      pruneCandidates.push({ action: "prune", resource: member.resource, live: member.object, stage });
    }
  }
  const pruning = pruneCandidates.filter((e) => e.action === "prune").length;
  if (planned.length === 0 && pruning > 0 && !target.allowEmpty) {
    throw new SyncRefusedError(
      `the desired set for target ${target.name} is empty and pruning would delete all ${pruning} objects; ` +
        "refusing (set allowEmpty: true on the target if that is intended)",
    );
  }
  return pruneCandidates;
}
