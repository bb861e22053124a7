/**
 * `pullbridge inventory repair`: the way back for a target whose ApplySet parent was damaged (its
 * labels stripped, its data overwritten, its id changed) or deleted while its members remain. A
 * sync refuses a damaged parent rather than take it over, and a re-created one lists only what is
 * desired now; this command, run on purpose by an operator, finds every member by its `part-of`
 * label (the set's id depends only on the target's name and namespace, so members keep pointing at
 * it) within the target's policy, and writes a sound parent listing them: the next sync then
 * adopts what is still in Git and prunes what left it. Another tool's ApplySet parent at that name
 * is never taken over.
 */
import type { ApiResource, ClusterPort } from "../cluster/cluster-port.ts";
import { applySetParentName, type Target } from "../config/targets.ts";
import { ClusterError, SyncRefusedError } from "../errors.ts";
import { type KubeObject, objectKey } from "../manifests/kube-object.ts";
import { ApplySetLabel, computeApplySetId } from "../sync/applyset-id.ts";
import {
  type ApplySetInventory,
  buildApplySetParent,
  parentDefect,
  readApplySetParent,
} from "../sync/applyset-parent.ts";
import { groupKindBeyondPolicy } from "../sync/check-prune-policy.ts";
import { refusalReason } from "../sync/refusal-text.ts";
import { runBounded } from "../sync/run-bounded.ts";

/** What the repair found and did. */
export type InventoryRepair = {
  target: string;
  /** `Secret <namespace>/pullbridge-<target>`. */
  parent: string;
  applySetId: string;
  /** `missing`: no parent; `sound`: nothing to repair; `damaged`: `problems` say why. */
  state: "missing" | "sound" | "damaged";
  problems: readonly string[];
  /** Members found by their part-of label: how many, of which group-kinds, in which namespaces. */
  members: { count: number; groupKinds: readonly string[]; namespaces: readonly string[] };
  /** Group-kinds that could not be listed (`Kind.group in ns: reason`): their members, if any, stay unlisted. */
  unreadable: readonly string[];
  /** `written`; `would-write` with dryRun (the server dry-ran it); `none` for a sound parent. */
  action: "none" | "written" | "would-write";
  /** What is still wrong after the write, and how to fix it by hand. */
  notes: readonly string[];
};

/** Statuses that make one kind unreadable (no rights, gone, not listable, an aggregated API down) rather than fail the repair. */
const UNREADABLE_STATUSES = new Set([403, 404, 405, 503]);

/** LISTs in flight while looking for members. */
const CONCURRENCY = 8;

/** Diagnoses the target's ApplySet parent and, unless it is sound, rewrites it to list every member found. */
export async function repairInventory(
  deps: { cluster: ClusterPort; toolingVersion: string; signal?: AbortSignal | undefined },
  input: { target: Target; dryRun: boolean },
): Promise<InventoryRepair> {
  const { cluster, signal } = deps;
  const { target } = input;
  const name = applySetParentName(target);
  const namespace = target.namespace;
  const parent = `Secret ${namespace}/${name}`;
  const applySetId = computeApplySetId({ name, namespace, kind: "Secret", group: "" });
  const [discovery, live] = await Promise.all([
    cluster.discover({ refresh: true, signal }),
    cluster.getApplySetParent({ namespace, name, signal }),
  ]);
  const defect = live ? parentDefect({ parent: live, name, namespace }) : undefined;
  if (defect?.kind === "foreign") {
    throw new SyncRefusedError(
      `${parent} ${defect.reason}: it is another tool's ApplySet parent, which pullbridge never takes over; ` +
        `remove that ApplySet first, or give target ${target.name} another name`,
      { object: parent },
    );
  }
  const sound = live && !defect ? readApplySetParent({ parent: live, name, namespace }) : undefined;
  // Only kinds the policy allows: a parent listing more is refused by every sync as tampered.
  const resources = discovery.listable.filter(
    (r) => groupKindBeyondPolicy({ groupKind: groupKindOfResource(r), target, discovery }) === undefined,
  );
  const found = await findMembers({ cluster, target, resources, applySetId, signal });
  const members = {
    count: found.keys.size,
    groupKinds: sortedUnique(found.groupKinds),
    namespaces: sortedUnique(found.namespaces),
  };
  const problems = [
    ...(defect ? [defect.reason] : []),
    ...(live?.metadata.labels?.[ApplySetLabel.partOf] === undefined
      ? []
      : [
          `is labelled ${ApplySetLabel.partOf}=${live.metadata.labels[ApplySetLabel.partOf]}, as if it were a member of a set`,
        ]),
    ...(sound ? missingFrom(sound, members) : []),
  ];
  const state: InventoryRepair["state"] = !live ? "missing" : problems.length === 0 ? "sound" : "damaged";
  const report = {
    target: target.name,
    parent,
    applySetId,
    state,
    problems,
    members,
    unreadable: found.unreadable,
  };
  // Nothing to hold: the next sync creates the parent as for a new target.
  if (state === "sound" || (state === "missing" && members.count === 0)) {
    return { ...report, action: "none", notes: [] };
  }

  // A sound parent that missed members keeps what it lists; a damaged one's annotations are not trusted.
  const inventory: ApplySetInventory = {
    id: applySetId,
    name,
    namespace,
    groupKinds: sortedUnique([...members.groupKinds, ...(sound?.groupKinds ?? [])]),
    additionalNamespaces: sortedUnique(
      [...members.namespaces, ...(sound?.additionalNamespaces ?? [])].filter((ns) => ns !== namespace),
    ),
    lastSync: sound?.lastSync,
    resourceVersion: live?.metadata.resourceVersion,
    exists: live !== undefined,
  };
  const written = await cluster
    .applyApplySetParent({
      parent: buildApplySetParent({
        inventory,
        targetName: target.name,
        toolingVersion: deps.toolingVersion,
      }),
      dryRun: input.dryRun,
      signal,
    })
    .catch((error: unknown) => {
      if (error instanceof ClusterError && error.status === 422) {
        throw new ClusterError(
          `${parent} cannot be rewritten as an ApplySet parent (${refusalReason(error)}); delete it ` +
            `(kubectl -n ${namespace} delete secret ${name}) and run the repair again: the members keep their label`,
          { retryable: false, status: 422, object: parent, cause: error },
        );
      }
      throw error;
    });
  return {
    ...report,
    action: input.dryRun ? "would-write" : "written",
    notes: notesAfter(written, { namespace, name }),
  };
}

/**
 * What a forced apply by pullbridge leaves behind: a part-of label another field manager set, and
 * Secret data (a `stringData` write is owned as `stringData`, so no apply ever removes the `data`
 * it became). Neither breaks the inventory; both are named, with the command that removes them.
 */
function notesAfter(written: KubeObject, where: { namespace: string; name: string }): string[] {
  const notes: string[] = [];
  const partOf = written.metadata.labels?.[ApplySetLabel.partOf];
  if (partOf !== undefined) {
    notes.push(
      `the parent is still labelled ${ApplySetLabel.partOf}=${partOf} by another field manager (syncs never prune it); ` +
        `remove the label: kubectl -n ${where.namespace} label secret ${where.name} ${ApplySetLabel.partOf}-`,
    );
  }
  const data = written.data;
  const keys = data !== null && typeof data === "object" ? Object.keys(data).sort() : [];
  if (keys.length > 0) {
    notes.push(
      `the parent still holds data (${keys.join(", ")}) written before the repair; pullbridge ignores it. Remove it: ` +
        `kubectl -n ${where.namespace} patch secret ${where.name} --type=json -p '[{"op":"remove","path":"/data"}]'`,
    );
  }
  return notes;
}

/** Why a sound parent misses members: group-kinds or namespaces it does not list. */
function missingFrom(
  inventory: ApplySetInventory,
  members: { groupKinds: readonly string[]; namespaces: readonly string[] },
): string[] {
  const kinds = members.groupKinds.filter((gk) => !inventory.groupKinds.includes(gk));
  const namespaces = members.namespaces.filter(
    (ns) => ns !== inventory.namespace && !inventory.additionalNamespaces.includes(ns),
  );
  return [
    ...(kinds.length === 0 ? [] : [`does not list ${kinds.join(", ")}, though members of them exist`]),
    ...(namespaces.length === 0
      ? []
      : [`does not list namespace(s) ${namespaces.join(", ")}, though members live there`]),
  ];
}

/**
 * Every object labelled part-of the set, in every listable kind and namespace the target's policy
 * allows (one LIST each, by label). A kind that cannot be listed is reported, not fatal; any
 * other failure (the server unreachable) stops the repair before it writes.
 */
async function findMembers(options: {
  cluster: ClusterPort;
  target: Target;
  resources: readonly ApiResource[];
  applySetId: string;
  signal: AbortSignal | undefined;
}) {
  const { cluster, target, applySetId, signal } = options;
  const namespaces = target.policy.namespaces ?? [target.namespace];
  const everywhere = namespaces.includes("*");
  const lists = options.resources.flatMap(
    (resource): Array<{ resource: ApiResource; namespace?: string }> => {
      if (!resource.namespaced) return target.policy.clusterScoped ? [{ resource }] : [];
      return everywhere ? [{ resource }] : namespaces.map((namespace) => ({ resource, namespace }));
    },
  );
  const identity = (o: KubeObject): KubeObject => ({
    apiVersion: o.apiVersion,
    kind: o.kind,
    metadata: { name: o.metadata.name, ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}) },
  });
  const settled = await runBounded(lists, { concurrency: CONCURRENCY, stopOnError: false, signal }, (l) =>
    cluster.list({
      resource: l.resource,
      namespace: l.namespace,
      labelSelector: `${ApplySetLabel.partOf}=${applySetId}`,
      keep: identity,
      signal,
    }),
  );
  const parentKey = objectKey({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: applySetParentName(target), namespace: target.namespace },
  });
  const keys = new Set<string>();
  const groupKinds: string[] = [];
  const found: string[] = [];
  const unreadable: string[] = [];
  settled.forEach((s, i) => {
    const l = lists[i];
    if (!l) return;
    const gk = groupKindOfResource(l.resource);
    if (!s.ok) {
      if (!(s.error instanceof ClusterError && UNREADABLE_STATUSES.has(s.error.status ?? 0))) throw s.error;
      // `403 Forbidden` says enough; the full text repeats the kind and namespace.
      const why = [s.error.status, s.error.reason].filter((part) => part !== undefined).join(" ");
      unreadable.push(`${gk}${l.namespace ? ` in ${l.namespace}` : ""}: ${why}`);
      return;
    }
    for (const item of s.value.items) {
      const key = objectKey(item);
      // The parent itself, labelled part-of by a damaging write, is no member.
      if (key === parentKey || keys.has(key)) continue;
      keys.add(key);
      groupKinds.push(gk);
      if (item.metadata.namespace) found.push(item.metadata.namespace);
    }
  });
  if (lists.length > 0 && unreadable.length === lists.length) {
    throw new ClusterError(`no kind could be listed to find the members of ${applySetId}: ${unreadable[0]}`, {
      retryable: false,
    });
  }
  return { keys, groupKinds, namespaces: found, unreadable };
}

function groupKindOfResource(r: ApiResource): string {
  return r.group ? `${r.kind}.${r.group}` : r.kind;
}

function sortedUnique(values: Iterable<string>): string[] {
  return [...new Set(values)].sort();
}
