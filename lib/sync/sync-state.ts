/**
 * The plain data the sync phases hand each other (read → plan → validate → apply stages → prune →
 * record). Every phase takes these as read-only input and returns new values; none mutates another's.
 */
import type { ClusterPort, DiscoveryIndex } from "../cluster/cluster-port.ts";
import type { KubeObject } from "../manifests/kube-object.ts";
import type { ApplySetInventory } from "./applyset-parent.ts";
import type { PlannedObject } from "./compute-desired-set.ts";
import type { PlanEntry } from "./compute-sync-plan.ts";
import type { IgnoredObject } from "./ignore-fields.ts";
import type { LiveState } from "./read-live-state.ts";

/** What every phase that talks to the cluster needs. */
export type SyncContext = {
  readonly cluster: ClusterPort;
  /** Requests in flight within one stage. */
  readonly concurrency: number;
  readonly signal: AbortSignal | undefined;
  /** Monotonic milliseconds (deadlines, phase durations). */
  readonly clock: () => number;
};

/** How an "unchanged"/"updated" verdict was reached: from managedFields, or by a server-side dry-run. */
export type DecidedBy = "managed-fields" | "dry-run";

/** Result of the read phase. */
export type LiveRead = {
  readonly discovery: DiscoveryIndex;
  /** The ApplySet parent as read before this sync. */
  readonly inventory: ApplySetInventory;
  readonly planned: readonly PlannedObject[];
  readonly desiredDigest: string;
  readonly live: LiveState;
};

export type PruneEntry = Extract<PlanEntry, { action: "prune" }>;
export type SkipEntry = Extract<PlanEntry, { action: "skip" }>;
export type WriteEntry = Extract<PlanEntry, { action: "create" | "update" | "check" }>;

/** Group-kinds and namespaces that hold members once the sync has succeeded. */
export type Membership = { readonly groupKinds: readonly string[]; readonly namespaces: readonly string[] };

/** Result of the plan phase. */
export type PlannedSync = {
  readonly entries: readonly PlanEntry[];
  /** Entries where managedFields could not decide, so a dry-run will (the fallback count). */
  readonly ambiguous: number;
  /** Writes that can be dry-run now (their CRD and Namespace exist). */
  readonly toValidate: readonly WriteEntry[];
  /** Keys of objects whose dry-run waits until this sync has created their CRD or Namespace. */
  readonly deferredKeys: ReadonlySet<string>;
  readonly prunes: readonly PruneEntry[];
  readonly skips: readonly SkipEntry[];
  /** The inventory after a successful sync: everything desired, plus members kept by a prune guard. */
  readonly remaining: Membership;
};

/** A create or update that survived the whole-set dry-run, with what the server answered. */
export type Change = {
  readonly planned: PlannedObject;
  /**
   * Normalised live object (for the diff), for updates. Like `after`, kept only for the sync's
   * first `maxDiffs` writes (`detailed`): a cold apply of 5,000 objects does not hold 5,000 answers.
   */
  readonly before: KubeObject | undefined;
  readonly action: "create" | "update";
  readonly reason?: string | undefined;
  readonly decidedBy: DecidedBy;
  /**
   * Apply this object with server-side apply `force`: its fields were edited imperatively
   * (`kubectl edit`, a PATCH) since pullbridge applied them, and pullbridge takes them back.
   * Not the target's `forceConflicts`, which also overrides other appliers.
   */
  readonly reclaimFields: boolean;
  /** Normalised answer of the dry-run, for the diff; undefined until validated or when not `detailed`. */
  readonly after: KubeObject | undefined;
  /** The server accepted its dry-run. */
  readonly validated: boolean;
  /** One of the sync's first `maxDiffs` writes: its before/after are kept and its diff rendered. */
  readonly detailed: boolean;
  /** Dry-run deferred until its CRD / Namespace exists (created by this sync). */
  readonly deferred: boolean;
  /** Fields other controllers own, as this update sends them (ignore-fields.ts); absent when none exist live. */
  readonly ignoring?: IgnoredObject | undefined;
};

/** An object the plan or the dry-run found already as Git wants it. */
export type Unchanged = { readonly planned: PlannedObject; readonly decidedBy: DecidedBy };

/** Result of the validate phase. */
export type ValidatedSync = {
  readonly changes: readonly Change[];
  readonly unchanged: readonly Unchanged[];
};
