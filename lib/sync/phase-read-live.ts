/**
 * Phase 1, read: discovery (refreshed once when a kind is missing from a warm cache), the ApplySet
 * parent, the desired set resolved against them, its digest, and the live members.
 */
import type { DiscoveryIndex } from "../cluster/cluster-port.ts";
import { applySetParentName, type Target } from "../config/targets.ts";
import { type DesiredObject, groupKindOf } from "../manifests/kube-object.ts";
import { type ApplySetInventory, parseGroupKind, readApplySetParent } from "./applyset-parent.ts";
import { refuseInventoryBeyondPolicy } from "./check-prune-policy.ts";
import { computeDesiredDigest } from "./compute-desired-digest.ts";
import { computeDesiredSet, crdDefinedResources } from "./compute-desired-set.ts";
import { readLiveState } from "./read-live-state.ts";
import type { LiveRead, SyncContext } from "./sync-state.ts";

/** Reads everything the plan needs. Any read failure propagates before anything is written. */
export async function readLive(
  ctx: SyncContext,
  options: { target: Target; desired: readonly DesiredObject[] },
): Promise<LiveRead> {
  const { cluster, signal, concurrency } = ctx;
  const { target, desired } = options;
  const parentName = applySetParentName(target);
  const [cached, parentLive] = await Promise.all([
    cluster.discover({ signal }),
    cluster.getApplySetParent({ namespace: target.namespace, name: parentName, signal }),
  ]);
  const inventory = readApplySetParent({ parent: parentLive, name: parentName, namespace: target.namespace });
  const discovery = discoveryLooksStale({ discovery: cached, desired, inventory })
    ? await cluster.discover({ refresh: true, signal })
    : cached;
  // Before anything is listed through the parent: it may only reach what the policy allows.
  refuseInventoryBeyondPolicy({ inventory, target, discovery });
  const planned = computeDesiredSet({ desired, discovery, target, applySetId: inventory.id });
  const desiredDigest = computeDesiredDigest(planned);
  const live = await readLiveState({ cluster, planned, inventory, discovery, concurrency, signal });
  return { discovery, inventory, planned, desiredDigest, live };
}

/**
 * A kind missing from a warm cache may just be newer than the cache (a CRD someone installed):
 * true when a desired kind is neither served nor defined by a CRD in the set, or a group-kind the
 * parent lists is not served.
 */
function discoveryLooksStale(options: {
  discovery: DiscoveryIndex;
  desired: readonly DesiredObject[];
  inventory: ApplySetInventory;
}): boolean {
  const { discovery, desired, inventory } = options;
  const crdKinds = crdDefinedResources(desired);
  return (
    desired.some(
      ({ object }) =>
        !discovery.resolve(object) &&
        !crdKinds.some((r) => groupKindOf(object) === (r.group ? `${r.kind}.${r.group}` : r.kind)),
    ) || inventory.groupKinds.some((gk) => !discovery.preferred(parseGroupKind(gk)))
  );
}
