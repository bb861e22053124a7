/**
 * Whether a push job can stop before fetching anything: the target's ApplySet parent records
 * that this very commit was synced successfully, by this version of pullbridge. The parent's
 * last-sync annotations are written only at the end of a sync that applied and pruned
 * everything, so they are the cheapest honest signal: one GET, no tarball, no plan.
 */
import type { ClusterPort } from "../cluster/cluster-port.ts";
import { applySetParentName, type Target } from "../config/targets.ts";
import { ApplySetAnnotation, TOOLING_NAME } from "../sync/applyset-id.ts";
import { type LastSync, readApplySetParent } from "../sync/applyset-parent.ts";

/** The parent's record of `head`'s successful sync, or undefined when a full sync is needed. */
export async function lastSyncOf(options: {
  cluster: ClusterPort;
  target: Target;
  head: string;
  toolingVersion: string;
  signal?: AbortSignal | undefined;
}): Promise<LastSync | undefined> {
  const { cluster, target, head } = options;
  const name = applySetParentName(target);
  const parent = await cluster.getApplySetParent({
    namespace: target.namespace,
    name,
    signal: options.signal,
  });
  // Another version may apply the same manifests differently (defaults, ordering, pruning rules).
  if (
    parent?.metadata.annotations?.[ApplySetAnnotation.tooling] !== `${TOOLING_NAME}/${options.toolingVersion}`
  )
    return undefined;
  let lastSync: LastSync | undefined;
  try {
    lastSync = readApplySetParent({ parent, name, namespace: target.namespace }).lastSync;
  } catch {
    // A parent pullbridge may not use: the full sync refuses it and says why.
    return undefined;
  }
  return lastSync?.sha === head ? lastSync : undefined;
}
