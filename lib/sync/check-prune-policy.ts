/**
 * Prune is bounded by the target's policy, not only by the ApplySet parent: a parent whose
 * annotations reach beyond the policy (kinds, denied kinds, cluster scope, namespaces) was edited
 * outside pullbridge and is refused as tampered before anything is listed through it; a
 * Namespace that still holds desired objects or the target's inventory is not pruned unless the
 * target allows it. Pure.
 */
import type { DiscoveryIndex } from "../cluster/cluster-port.ts";
import type { Target } from "../config/targets.ts";
import { SyncRefusedError } from "../errors.ts";
import { checkPolicy, kindMatches, manifestPolicyOf } from "../manifests/check-policy.ts";
import { describeObject } from "../manifests/kube-object.ts";
import { ApplySetAnnotation } from "./applyset-id.ts";
import { type ApplySetInventory, parseGroupKind } from "./applyset-parent.ts";
import type { PlannedObject } from "./compute-desired-set.ts";
import type { TargetRef } from "./refuse-inventory-collisions.ts";
import type { PruneEntry } from "./sync-state.ts";

type PolicyTarget = Pick<Target, "name" | "namespace" | "policy">;

/** Why the target's policy forbids members of `groupKind` (`Kind.group`), or undefined when it allows them. */
export function groupKindBeyondPolicy(options: {
  groupKind: string;
  target: PolicyTarget;
  discovery: DiscoveryIndex;
}): string | undefined {
  const { groupKind, target, discovery } = options;
  const { policy } = target;
  const { group, kind } = parseGroupKind(groupKind);
  const probe = { apiVersion: group ? `${group}/v1` : "v1", kind };
  if (policy.deniedKinds.some((entry) => kindMatches(entry, probe)))
    return `${groupKind} (policy.deniedKinds)`;
  if (policy.kinds && !policy.kinds.some((entry) => kindMatches(entry, probe))) {
    return `${groupKind} (not in policy.kinds)`;
  }
  if (!policy.clusterScoped && discovery.preferred({ group, kind })?.namespaced === false) {
    return `cluster-scoped ${groupKind} (policy.clusterScoped is false)`;
  }
  return undefined;
}

/** Why the parent's group-kinds and namespaces exceed the policy; empty when they do not. */
export function inventoryBeyondPolicy(options: {
  inventory: ApplySetInventory;
  target: PolicyTarget;
  discovery: DiscoveryIndex;
}): string[] {
  const { inventory, target, discovery } = options;
  const { policy } = target;
  const problems = inventory.groupKinds.flatMap((groupKind) => {
    const problem = groupKindBeyondPolicy({ groupKind, target, discovery });
    return problem === undefined ? [] : [problem];
  });
  const namespaces = policy.namespaces ?? [target.namespace];
  if (!namespaces.includes("*")) {
    for (const namespace of inventory.additionalNamespaces) {
      if (!namespaces.includes(namespace)) problems.push(`namespace ${namespace} (not in policy.namespaces)`);
    }
  }
  return problems;
}

/** Throws SyncRefusedError when the parent lists more than the policy allows. */
export function refuseInventoryBeyondPolicy(options: {
  inventory: ApplySetInventory;
  target: PolicyTarget;
  discovery: DiscoveryIndex;
}): void {
  const problems = inventoryBeyondPolicy(options);
  if (problems.length === 0) return;
  const { inventory, target } = options;
  const parent = `Secret ${inventory.namespace}/${inventory.name}`;
  throw new SyncRefusedError(
    `ApplySet parent ${parent} lists ${problems.join(", ")}, beyond what target ${target.name}'s policy allows; ` +
      `it was edited outside pullbridge, or the policy was narrowed since the last sync. Refusing to list or prune ` +
      `through it: restore its ${ApplySetAnnotation.containsGroupKinds} / ${ApplySetAnnotation.additionalNamespaces} ` +
      "annotations, or the policy",
    { object: parent },
  );
}

/** Defence in depth: no prune outside the policy, whatever the listing returned. */
export function refusePrunesBeyondPolicy(options: {
  prunes: readonly PruneEntry[];
  target: PolicyTarget;
}): void {
  const { prunes, target } = options;
  const policy = { ...manifestPolicyOf(target), maxObjectBytes: Number.POSITIVE_INFINITY };
  for (const p of prunes) {
    const reasons = checkPolicy(p.live, policy).map((issue) => issue.reason);
    if (!p.resource.namespaced && !target.policy.clusterScoped) {
      reasons.push("cluster-scoped objects are not allowed for this target (policy.clusterScoped is false)");
    }
    if (reasons.length > 0) {
      throw new SyncRefusedError(
        `refusing to prune ${describeObject(p.live)}: ${reasons.join("; ")}; pullbridge never deletes outside the target's policy`,
        { object: describeObject(p.live) },
      );
    }
  }
}

/**
 * A Namespace that left Git but still holds desired objects or the target's ApplySet parent is
 * not pruned (deleting it would delete them), unless the target sets allowNamespacePrune. One that
 * holds another configured target's parent is never pruned: that inventory is not this target's
 * to delete (remove the other target from the targets file first).
 */
export function refuseNamespacePrunes(options: {
  prunes: readonly PruneEntry[];
  planned: readonly PlannedObject[];
  target: Pick<Target, "name" | "namespace" | "allowNamespacePrune">;
  /** Every configured target: their parents live in their namespaces. */
  targets: readonly TargetRef[];
}): void {
  const { prunes, planned, target } = options;
  for (const p of prunes) {
    if (p.resource.group !== "" || p.resource.kind !== "Namespace") continue;
    const name = p.live.metadata.name;
    const others = [
      ...new Set(
        options.targets.filter((t) => t.namespace === name && t.name !== target.name).map((t) => t.name),
      ),
    ];
    if (others.length > 0) {
      throw new SyncRefusedError(
        `Namespace ${name} left Git and would be pruned, but it holds the inventory of target(s) ${others.join(", ")} ` +
          `(their ApplySet parent Secrets); pullbridge never deletes another target's inventory. Restore the ` +
          "Namespace in Git, or remove those targets from the targets file first",
        { object: `Namespace ${name}` },
      );
    }
    if (target.allowNamespacePrune) continue;
    const inside = planned.filter((o) => o.object.metadata.namespace === name);
    const holds = [
      ...(inside.length > 0
        ? [
            `${inside.length} desired object(s) (e.g. ${describeObject(inside[0]?.object ?? p.live)}, ${
              inside[0]?.source.file
            }:${inside[0]?.source.line})`,
          ]
        : []),
      ...(name === target.namespace ? [`the target's inventory (its ApplySet parent Secret)`] : []),
    ];
    if (holds.length === 0) continue;
    throw new SyncRefusedError(
      `Namespace ${name} left Git and would be pruned, but it still holds ${holds.join(" and ")}; ` +
        `deleting it would delete them too. Restore the Namespace in Git, or set allowNamespacePrune: true ` +
        `on target ${target.name} if that is intended`,
      { object: `Namespace ${name}` },
    );
  }
}
