/** The ApplySet parent Secret: reading it safely, widening and shrinking it, and building it. Pure. */
import { SyncRefusedError } from "../errors.ts";
import { LIFECYCLE_ANNOTATION } from "../lifecycle/lifecycle-cursor.ts";
import type { KubeObject } from "../manifests/kube-object.ts";
import {
  ApplySetAnnotation,
  ApplySetLabel,
  computeApplySetId,
  PullbridgeAnnotation,
  TOOLING_NAME,
} from "./applyset-id.ts";

/** Counts recorded on the parent after a sync that wrote. */
export type SyncSummaryCounts = {
  created: number;
  updated: number;
  unchanged: number;
  pruned: number;
  skipped: number;
};

/** The last sync that wrote: commit, time, `{"created":…}` counts, and the desired set's digest. */
export type LastSync = { sha: string; time: string; summary: string; digest?: string | undefined };

/** What the parent says about the set: which group-kinds and namespaces may hold members. */
export type ApplySetInventory = {
  id: string;
  name: string;
  namespace: string;
  /** Sorted `Kind.group` (or `Kind` for the core group). */
  groupKinds: readonly string[];
  /** Sorted namespaces other than the parent's that may hold members. */
  additionalNamespaces: readonly string[];
  lastSync?: LastSync | undefined;
  /** Present when the parent exists; makes the next parent write conditional. */
  resourceVersion?: string | undefined;
  exists: boolean;
  /** The multi-step sync cursor (`pullbridge.dev/lifecycle`, lib/lifecycle/lifecycle-cursor.ts), as written. */
  lifecycle?: string | undefined;
};

/** `Kind.group` → { kind, group }; `ConfigMap` → { kind: "ConfigMap", group: "" }. */
export function parseGroupKind(groupKind: string): { kind: string; group: string } {
  const dot = groupKind.indexOf(".");
  return dot === -1
    ? { kind: groupKind, group: "" }
    : { kind: groupKind.slice(0, dot), group: groupKind.slice(dot + 1) };
}

function splitList(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

function sortedUnique(values: Iterable<string>): string[] {
  return [...new Set(values)].sort();
}

/**
 * Why `object` is an ApplySet parent — of any tooling: its `applyset.kubernetes.io/id` label and
 * `tooling` annotation (a parent may be a Secret, a ConfigMap or a custom resource) — or undefined
 * when it is none. Writing or deleting a parent breaks its set's inventory.
 */
export function applySetParentMarks(object: KubeObject): string | undefined {
  const id = object.metadata.labels?.[ApplySetLabel.id];
  const tooling = object.metadata.annotations?.[ApplySetAnnotation.tooling];
  const marks = [
    ...(id === undefined ? [] : [`${ApplySetLabel.id}=${id}`]),
    ...(tooling === undefined ? [] : [`${ApplySetAnnotation.tooling}: ${tooling}`]),
  ];
  return marks.length === 0 ? undefined : marks.join(", ");
}

/**
 * What is wrong with a live Secret at a target's parent name, or undefined when it is a sound
 * pullbridge parent. `foreign`: another tool's parent — never taken over. `damaged`: pullbridge's
 * name without pullbridge's identity (its labels stripped, its id changed) — refused by a sync,
 * fixed only by an explicit `pullbridge inventory repair`.
 */
export function parentDefect(options: {
  parent: KubeObject;
  name: string;
  namespace: string;
}): { kind: "foreign" | "damaged"; reason: string } | undefined {
  const { parent, name, namespace } = options;
  const id = computeApplySetId({ name, namespace, kind: "Secret", group: "" });
  const tooling = parent.metadata.annotations?.[ApplySetAnnotation.tooling];
  const liveId = parent.metadata.labels?.[ApplySetLabel.id];
  if (tooling === undefined && liveId === undefined) {
    return {
      kind: "damaged",
      reason: `exists but is not an ApplySet parent (no ${ApplySetLabel.id} label)`,
    };
  }
  if (tooling !== undefined && tooling.split("/")[0] !== TOOLING_NAME) {
    return {
      kind: "foreign",
      reason: `is managed by other tooling (${ApplySetAnnotation.tooling}: ${tooling})`,
    };
  }
  if (tooling === undefined) {
    return {
      kind: "damaged",
      reason: `is managed by other tooling (${ApplySetAnnotation.tooling}: (missing))`,
    };
  }
  if (liveId !== id) {
    return {
      kind: "damaged",
      reason: `has ${ApplySetLabel.id}=${liveId ?? "(missing)"} but pullbridge expects ${id}`,
    };
  }
  return undefined;
}

/**
 * Interprets the live parent (or its absence). Refuses a Secret with our name that belongs to
 * other tooling or carries another ApplySet id: pruning through it could delete someone else's
 * objects. A damaged one is never taken over silently: the message names the repair.
 */
export function readApplySetParent(options: {
  parent: KubeObject | undefined;
  name: string;
  namespace: string;
}): ApplySetInventory {
  const { parent, name, namespace } = options;
  const id = computeApplySetId({ name, namespace, kind: "Secret", group: "" });
  if (!parent) return { id, name, namespace, groupKinds: [], additionalNamespaces: [], exists: false };
  const defect = parentDefect({ parent, name, namespace });
  if (defect) {
    const consequence =
      defect.kind === "foreign"
        ? `refusing to manage it as ${TOOLING_NAME}`
        : `refusing to take it over. If it is this target's inventory, damaged, repair it on purpose: ` +
          `pullbridge inventory repair --target ${name.replace(/^pullbridge-/, "")} (docs/concepts/sync-and-prune.md, "Recovering a damaged inventory")`;
    throw new SyncRefusedError(
      `ApplySet parent Secret ${namespace}/${name} ${defect.reason}; ${consequence}`,
      {
        object: `Secret ${namespace}/${name}`,
      },
    );
  }
  const annotations = parent.metadata.annotations ?? {};
  const sha = annotations[PullbridgeAnnotation.lastSyncSha];
  const time = annotations[PullbridgeAnnotation.lastSyncTime];
  const summary = annotations[PullbridgeAnnotation.lastSyncSummary];
  const digest = annotations[PullbridgeAnnotation.lastSyncDigest];
  return {
    id,
    name,
    namespace,
    groupKinds: sortedUnique(splitList(annotations[ApplySetAnnotation.containsGroupKinds])),
    additionalNamespaces: sortedUnique(
      splitList(annotations[ApplySetAnnotation.additionalNamespaces]).filter((ns) => ns !== namespace),
    ),
    lastSync: sha && time ? { sha, time, summary: summary ?? "", ...(digest ? { digest } : {}) } : undefined,
    resourceVersion: parent.metadata.resourceVersion,
    exists: true,
    ...(annotations[LIFECYCLE_ANNOTATION] ? { lifecycle: annotations[LIFECYCLE_ANNOTATION] } : {}),
  };
}

/** The union of the inventory and the group-kinds/namespaces about to be written. */
export function widenInventory(
  inventory: ApplySetInventory,
  adding: { groupKinds: Iterable<string>; namespaces: Iterable<string> },
): ApplySetInventory {
  return {
    ...inventory,
    groupKinds: sortedUnique([...inventory.groupKinds, ...adding.groupKinds]),
    additionalNamespaces: sortedUnique(
      [...inventory.additionalNamespaces, ...adding.namespaces].filter((ns) => ns !== inventory.namespace),
    ),
  };
}

/** Exactly the group-kinds/namespaces that still hold members (after a successful prune). */
export function shrinkInventory(
  inventory: ApplySetInventory,
  remaining: { groupKinds: Iterable<string>; namespaces: Iterable<string> },
): ApplySetInventory {
  return {
    ...inventory,
    groupKinds: sortedUnique(remaining.groupKinds),
    additionalNamespaces: sortedUnique([...remaining.namespaces].filter((ns) => ns !== inventory.namespace)),
  };
}

/** True when two inventories list the same group-kinds and namespaces (and the same lifecycle cursor). */
export function sameMembership(a: ApplySetInventory, b: ApplySetInventory): boolean {
  return (
    a.groupKinds.join(",") === b.groupKinds.join(",") &&
    a.additionalNamespaces.join(",") === b.additionalNamespaces.join(",") &&
    (a.lifecycle ?? "") === (b.lifecycle ?? "")
  );
}

/** `{"created":1,...}` — compact and stable, for the parent annotation. */
export function formatSummary(counts: SyncSummaryCounts): string {
  return JSON.stringify({
    created: counts.created,
    updated: counts.updated,
    unchanged: counts.unchanged,
    pruned: counts.pruned,
    skipped: counts.skipped,
  });
}

/**
 * The parent as pullbridge applies it. Server-side apply removes fields the manager stops
 * sending, so every annotation pullbridge owns is always sent (the last-sync ones carried over).
 */
export function buildApplySetParent(options: {
  inventory: ApplySetInventory;
  targetName: string;
  toolingVersion: string;
}): KubeObject {
  const { inventory, targetName, toolingVersion } = options;
  const annotations: Record<string, string> = {
    [ApplySetAnnotation.tooling]: `${TOOLING_NAME}/${toolingVersion}`,
    [ApplySetAnnotation.containsGroupKinds]: inventory.groupKinds.join(","),
    [ApplySetAnnotation.additionalNamespaces]: inventory.additionalNamespaces.join(","),
    [PullbridgeAnnotation.target]: targetName,
  };
  if (inventory.lastSync) {
    annotations[PullbridgeAnnotation.lastSyncSha] = inventory.lastSync.sha;
    annotations[PullbridgeAnnotation.lastSyncTime] = inventory.lastSync.time;
    annotations[PullbridgeAnnotation.lastSyncSummary] = inventory.lastSync.summary;
    if (inventory.lastSync.digest)
      annotations[PullbridgeAnnotation.lastSyncDigest] = inventory.lastSync.digest;
  }
  if (inventory.lifecycle) annotations[LIFECYCLE_ANNOTATION] = inventory.lifecycle;
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: inventory.name,
      namespace: inventory.namespace,
      labels: { [ApplySetLabel.id]: inventory.id },
      annotations,
      ...(inventory.resourceVersion ? { resourceVersion: inventory.resourceVersion } : {}),
    },
    type: "Opaque",
  };
}
