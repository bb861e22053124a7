/** Reads a target's ApplySet parent and what it records: one GET, in the target's namespace. */
import type { ClusterPort } from "../cluster/cluster-port.ts";
import { applySetParentName, type Target } from "../config/targets.ts";
import { type ApplySetInventory, readApplySetParent } from "../sync/applyset-parent.ts";

/** The target's inventory as its parent records it now; throws what `readApplySetParent` throws for a damaged parent. */
export async function readTargetInventory(
  cluster: Pick<ClusterPort, "getApplySetParent">,
  target: Pick<Target, "name" | "namespace" | "inventoryName">,
  signal?: AbortSignal | undefined,
): Promise<ApplySetInventory> {
  const name = applySetParentName(target);
  const parent = await cluster.getApplySetParent({ namespace: target.namespace, name, signal });
  return readApplySetParent({ parent, name, namespace: target.namespace });
}
