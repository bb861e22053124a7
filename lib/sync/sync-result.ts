/** What a sync reports: per-object outcomes, counts, timings, API requests. */
import type { RequestCounts } from "../cluster/cluster-port.ts";
import type { KubeObject, ManifestSource } from "../manifests/kube-object.ts";
import type { LastSync, SyncSummaryCounts } from "./applyset-parent.ts";

export type ObjectOutcomeKind = "created" | "updated" | "unchanged" | "pruned" | "skipped";

/** One object's fate. In `plan` mode the outcome is what *would* happen. */
export type ObjectOutcome = {
  /** `Deployment.apps team-a/web` */
  object: string;
  groupKind: string;
  namespace?: string | undefined;
  name: string;
  outcome: ObjectOutcomeKind;
  source?: ManifestSource | undefined;
  /** Why: the first differing field for updates, the guard for skips. */
  reason?: string | undefined;
  /** How "unchanged" vs "updated" was decided: from managedFields, or by a server-side dry-run (fallback). */
  decidedBy?: "managed-fields" | "dry-run" | undefined;
  /** False only for plan-mode creates that cannot be dry-run yet (their CRD or Namespace is created by the same sync). */
  validated: boolean;
  /**
   * Normalised live object before the change (server bookkeeping stripped, Secret values masked),
   * for updated/pruned only.
   */
  before?: KubeObject | undefined;
  /** Normalised object after the change (the server's dry-run answer), Secret values masked. */
  after?: KubeObject | undefined;
  /** Unified YAML diff (Secret values masked), for the first `maxDiffs` changed objects of a sync. */
  diff?: string | undefined;
  /** Fields left to other controllers (`/spec/replicas (HorizontalPodAutoscaler web scales it)`): never compared or written back. */
  ignored?: readonly string[] | undefined;
};

export type SyncPhaseDurations = {
  read: number;
  plan: number;
  dryRun: number;
  apply: number;
  prune: number;
  record: number;
  total: number;
};

export type SyncResult = {
  target: string;
  mode: "apply" | "plan";
  revision: { sha: string };
  /**
   * What the ApplySet parent recorded before this sync: the last sync that *wrote*. A no-op sync
   * writes nothing, so this can be older than the last sync that ran (use `drift`, not the sha).
   */
  previousRevision: LastSync | undefined;
  /** Digest of the desired set of this sync (recorded on the parent when the sync writes). */
  desiredDigest: string;
  /**
   * The cluster differs from the same desired set that the last writing sync applied: someone
   * changed the cluster (drift), as opposed to Git changing. Robust to no-op syncs and to
   * commits that do not touch the manifests.
   */
  drift: boolean;
  applySetId: string;
  /** Anything created, updated or pruned (in plan mode: would be) — i.e. the cluster drifted from Git. */
  changed: boolean;
  outcomes: ObjectOutcome[];
  counts: SyncSummaryCounts;
  /** Objects whose managedFields comparison was ambiguous, so a server-side dry-run decided. */
  dryRunFallbacks: number;
  /** Requests this sync sent (reads incl. LIST pages and discovery, writes, dry-runs). */
  requests: RequestCounts;
  durationsMs: SyncPhaseDurations;
  /** Whether the ApplySet parent was written (widened, recorded). */
  parentUpdated: boolean;
  /**
   * One wave of a multi-step sync: creates, updates, undecided objects and prunes the whole set's
   * plan still holds, in every wave (0: the rest of the run has nothing to write).
   */
  plannedChanges?: number | undefined;
};
