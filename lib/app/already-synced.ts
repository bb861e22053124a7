/**
 * Whether a push job can stop before fetching anything: the target's ApplySet parent records
 * that this very commit was synced successfully, by this version of pullbridge. The parent's
 * last-sync annotations are written only at the end of a sync that applied and pruned
 * everything, so they are the cheapest honest signal: one GET, no tarball, no plan.
 */
import type { ClusterPort } from "../cluster/cluster-port.ts";
import { applySetParentName, type Target } from "../config/targets.ts";
import { type LifecycleCursor, parseLifecycleCursor, runInProgress } from "../lifecycle/lifecycle-cursor.ts";
import { ApplySetAnnotation, TOOLING_NAME } from "../sync/applyset-id.ts";
import { type LastSync, readApplySetParent } from "../sync/applyset-parent.ts";

/** The parent's record of `head`'s successful sync, or undefined when a full sync is needed. */
export async function lastSyncOf(options: {
  cluster: ClusterPort;
  target: Target;
  head: string;
  toolingVersion: string;
  signal?: AbortSignal | undefined;
  /** For a multi-step run of `head` that is still going (it counts as synced: its steps continue). */
  now?: Date | undefined;
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
  let cursor: LifecycleCursor | undefined;
  try {
    const inventory = readApplySetParent({ parent, name, namespace: target.namespace });
    lastSync = inventory.lastSync;
    cursor = parseLifecycleCursor(inventory.lifecycle);
  } catch {
    // A parent pullbridge may not use: the full sync refuses it and says why.
    return undefined;
  }
  // A multi-step run of `head` still going (or done) owns it: a second run would re-run its hooks.
  if (
    cursor?.sha === head &&
    (cursor.state === "succeeded" || (options.now && runInProgress(cursor, options.now)))
  ) {
    return { sha: head, time: cursor.startedAt, summary: `run ${cursor.run} ${cursor.state}` };
  }
  return lastSync?.sha === head ? lastSync : undefined;
}
