/**
 * Gathers live state for the plan: one paginated LIST per (group-kind, namespace) with the
 * `part-of` selector, and one GET per desired object that is not yet a member (adoption check).
 */
import {
  type ApiResource,
  type ClusterPort,
  type DiscoveryIndex,
  FIELD_MANAGER,
} from "../cluster/cluster-port.ts";
import { type KubeObject, objectKey } from "../manifests/kube-object.ts";
import { ApplySetLabel } from "./applyset-id.ts";
import type { ApplySetInventory } from "./applyset-parent.ts";
import { parseGroupKind } from "./applyset-parent.ts";
import { compactLiveObject } from "./compact-live-object.ts";
import type { PlannedObject } from "./compute-desired-set.ts";
import { type LiveMember, matchesGit } from "./compute-sync-plan.ts";
import { runBounded } from "./run-bounded.ts";

/** Above this many non-members in one (group-kind, namespace), one LIST beats a GET each. */
const GET_THRESHOLD = 8;

export type LiveState = {
  members: LiveMember[];
  existing: Map<string, KubeObject | undefined>;
  /** Group-kinds the parent lists that the server no longer serves (nothing left to list or prune). */
  unservedGroupKinds: string[];
};

/** Which resource (version) to list a group-kind at: the version Git uses, else the server's preferred one. */
function listResources(options: {
  planned: readonly PlannedObject[];
  inventory: ApplySetInventory;
  discovery: DiscoveryIndex;
}): { resources: ApiResource[]; unserved: string[] } {
  const byGk = new Map<string, ApiResource>();
  for (const p of options.planned) {
    if (!p.awaitsCrd && !byGk.has(p.groupKind)) byGk.set(p.groupKind, p.resource);
  }
  const unserved: string[] = [];
  for (const gk of options.inventory.groupKinds) {
    if (byGk.has(gk)) continue;
    const resource = options.discovery.preferred(parseGroupKind(gk));
    if (resource) byGk.set(gk, resource);
    else if (!options.planned.some((p) => p.groupKind === gk)) unserved.push(gk);
  }
  return { resources: [...byGk.values()], unserved };
}

/** Reads members and adoption candidates. Any read failure (e.g. 403) propagates before anything is written. */
export async function readLiveState(options: {
  cluster: ClusterPort;
  planned: readonly PlannedObject[];
  inventory: ApplySetInventory;
  discovery: DiscoveryIndex;
  concurrency: number;
  signal?: AbortSignal | undefined;
}): Promise<LiveState> {
  const { cluster, planned, inventory, discovery, concurrency, signal } = options;
  const { resources, unserved } = listResources({ planned, inventory, discovery });
  const namespaces = new Set<string>([inventory.namespace, ...inventory.additionalNamespaces]);
  for (const p of planned) if (p.object.metadata.namespace) namespaces.add(p.object.metadata.namespace);

  const lists: Array<{ resource: ApiResource; namespace?: string }> = [];
  for (const resource of resources) {
    if (!resource.namespaced) lists.push({ resource });
    else for (const namespace of [...namespaces].sort()) lists.push({ resource, namespace });
  }
  const labelSelector = `${ApplySetLabel.partOf}=${inventory.id}`;
  // Live objects are cut down to what the sync reads as soon as each LIST returns (memory follows
  // the fields pullbridge manages, not status, defaults or other managers' field sets).
  const desiredByKey = new Map(planned.map((p) => [p.key, p.object]));
  const ignoreByKey = new Map(planned.map((p) => [p.key, p.ignore]));
  const compact = (live: KubeObject) =>
    compactLiveObject({ live, manager: FIELD_MANAGER, desired: desiredByKey.get(objectKey(live)) });
  // A member that already matches Git is decided as its page arrives (the plan's own rule) and
  // only its identity is kept: a no-op sync of 5,000 objects holds 5,000 stubs, not 5,000 objects.
  const unchangedKeys = new Set<string>();
  const keepMember = (live: KubeObject) => {
    const compacted = compact(live);
    const key = objectKey(compacted);
    const desired = desiredByKey.get(key);
    if (desired === undefined || !matchesGit(desired, compacted, ignoreByKey.get(key))) return compacted;
    unchangedKeys.add(key);
    return identityOf(compacted);
  };
  const listed = await runBounded(lists, { concurrency, stopOnError: true, signal }, async (l) => {
    const { resource, namespace } = l;
    const page = await cluster.list({ resource, namespace, labelSelector, keep: keepMember, signal });
    return { resource, items: page.items };
  });
  const members: LiveMember[] = [];
  const memberKeys = new Set<string>();
  for (const settled of listed) {
    if (!settled.ok) continue;
    for (const object of settled.value.items) {
      const key = objectKey(object);
      const unchanged = unchangedKeys.has(key);
      members.push({ resource: settled.value.resource, object, ...(unchanged ? { unchanged } : {}) });
      memberKeys.add(key);
    }
  }

  // A desired object that is not a member may still exist (created by hand, or by another tool).
  // A few are checked with a GET each; many in one (group-kind, namespace) — a first sync — with one
  // unfiltered LIST, so a cold apply of 1,000 objects costs a handful of reads, not 1,000.
  const candidates = planned.filter((p) => !p.awaitsCrd && !memberKeys.has(p.key));
  const groups = new Map<
    string,
    { resource: ApiResource; namespace: string | undefined; items: PlannedObject[] }
  >();
  for (const p of candidates) {
    const namespace = p.resource.namespaced ? p.object.metadata.namespace : undefined;
    const id = `${p.groupKind}/${namespace ?? ""}`;
    const group = groups.get(id);
    if (group) group.items.push(p);
    else groups.set(id, { resource: p.resource, namespace, items: [p] });
  }
  const existing = new Map<string, KubeObject | undefined>();
  const listed2 = [...groups.values()].filter((g) => g.items.length > GET_THRESHOLD);
  const gets = [...groups.values()].filter((g) => g.items.length <= GET_THRESHOLD).flatMap((g) => g.items);
  // An unfiltered LIST returns everything in the namespace: keep only the candidates, compacted.
  const candidateKeys = new Set(candidates.map((p) => p.key));
  const keepCandidate = (item: KubeObject) =>
    candidateKeys.has(objectKey(item)) ? compact(item) : undefined;
  const byList = await runBounded(listed2, { concurrency, stopOnError: true, signal }, async (g) => {
    const { resource, namespace } = g;
    return cluster.list({ resource, namespace, labelSelector: "", keep: keepCandidate, signal });
  });
  listed2.forEach((g, i) => {
    const settled = byList[i];
    const found = new Map<string, KubeObject>();
    if (settled?.ok) for (const item of settled.value.items) found.set(objectKey(item), item);
    for (const p of g.items) existing.set(p.key, found.get(p.key));
  });
  const found = await runBounded(gets, { concurrency, stopOnError: true, signal }, async (p) =>
    cluster.get({
      resource: p.resource,
      namespace: p.object.metadata.namespace,
      name: p.object.metadata.name,
      signal,
    }),
  );
  gets.forEach((p, i) => {
    const settled = found[i];
    existing.set(p.key, settled?.ok && settled.value ? compact(settled.value) : undefined);
  });
  return { members, existing, unservedGroupKinds: unserved };
}

/** What the plan reads of a member that matches Git: who it is and whether it is ours. */
function identityOf(live: KubeObject): KubeObject {
  const { name, namespace, uid, resourceVersion, labels } = live.metadata;
  return {
    apiVersion: live.apiVersion,
    kind: live.kind,
    metadata: {
      name,
      ...(namespace === undefined ? {} : { namespace }),
      ...(uid === undefined ? {} : { uid }),
      ...(resourceVersion === undefined ? {} : { resourceVersion }),
      ...(labels === undefined ? {} : { labels }),
    },
  };
}
