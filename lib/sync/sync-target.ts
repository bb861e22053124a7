/**
 * The sync use case for one target, as a short orchestration over its phases:
 * read (`phase-read-live`) → plan (`phase-plan`) → whole-set dry-run (`phase-validate`) → the
 * write half (`sync-writes`: the parent's own Namespace when new → widen the ApplySet parent →
 * `phase-apply-stages` → `phase-prune` → `phase-record-inventory`). Used by the worker (mode
 * `apply`) and by PR previews / `pullbridge diff` (mode `plan`: validates with dry-runs, never
 * writes). A failure after the first confirmed write is a PartialSyncError listing the writes.
 */
import { performance } from "node:perf_hooks";
import { type ClusterPort, subtractRequestCounts } from "../cluster/cluster-port.ts";
import type { Target } from "../config/targets.ts";
import { lifecycleRoleOf } from "../lifecycle/lifecycle-annotations.ts";
import { parseLifecycleCursor } from "../lifecycle/lifecycle-cursor.ts";
import type { DesiredObject } from "../manifests/kube-object.ts";
import {
  type ApplySetInventory,
  type SyncSummaryCounts,
  sameMembership,
  shrinkInventory,
  widenInventory,
} from "./applyset-parent.ts";
import { DEFAULT_CRD_TIMEOUT_MS } from "./phase-apply-stages.ts";
import { planSync } from "./phase-plan.ts";
import { readLive } from "./phase-read-live.ts";
import { validateWholeSet } from "./phase-validate.ts";
import type { TargetRef } from "./refuse-inventory-collisions.ts";
import { DEFAULT_MAX_DIFFS, renderSyncOutcomes } from "./render-sync-outcomes.ts";
import type { SyncPhaseDurations, SyncResult } from "./sync-result.ts";
import type { Change, LiveRead, PlannedSync, SyncContext, ValidatedSync } from "./sync-state.ts";
import { writeSync } from "./sync-writes.ts";

export type SyncDeps = {
  cluster: ClusterPort;
  /** pullbridge's version, recorded as `applyset.kubernetes.io/tooling: pullbridge/<version>`. */
  toolingVersion: string;
  /** Requests in flight within one stage (default 32, the transport's connection pool). */
  concurrency?: number;
  /** How long to wait for new CRDs to become Established and served (default 60 s). */
  crdTimeoutMs?: number;
  /** Monotonic milliseconds, for phase durations (default `performance.now`). */
  monotonicMs?: () => number;
};

export type SyncOptions = {
  target: Target;
  desired: readonly DesiredObject[];
  /**
   * Every target the targets file configures (this one included; on any cluster, since two
   * cluster entries may reach the same one): no manifest may write their ApplySet parents.
   */
  configuredTargets: readonly TargetRef[];
  revision: { sha: string };
  /** Wall-clock time of the sync, recorded on the ApplySet parent. */
  now: Date;
  mode: "apply" | "plan";
  /** Aborts between and during requests (e.g. shortly before the Lambda deadline). */
  signal?: AbortSignal | undefined;
  /** Render a YAML diff for at most this many created/updated/pruned objects (default 100; 0 for none). */
  maxDiffs?: number;
  /**
   * `stop`: in `apply` mode, return before the first write when the cluster drifted (the same
   * manifests as the last writing sync, but a different cluster), with the result of a plan —
   * the worker's `alert` policy. New manifests are applied either way. Default `apply`.
   */
  onDrift?: "apply" | "stop";
  /**
   * `apply` mode: called once the whole change is planned and dry-run, just before the first
   * write (also when there is nothing to write), e.g. to record a GitHub Deployment with the
   * plan's counts. Not called when the sync stops before writing (`onDrift: "stop"`, a refusal).
   */
  beforeWrite?: (planned: PlannedWrite) => Promise<void>;
  /**
   * One wave of a multi-step sync (lib/lifecycle): the whole set is read and planned (so every
   * refusal still comes before the first write of any wave), but only this wave's objects are
   * dry-run — as a whole, before its first write — and written. The last wave also prunes and
   * records the commit. Without it the whole set is one step.
   */
  step?: SyncStep | undefined;
};

/** One wave of a multi-step sync. */
export type SyncStep = {
  wave: number;
  /** The last wave: prune what left Git and record the commit after it. */
  last: boolean;
  /** The cursor (`pullbridge.dev/lifecycle`) recorded on the ApplySet parent with this step's writes. */
  cursor: string;
};

/** What `beforeWrite` learns about the change about to be written. */
export type PlannedWrite = {
  counts: SyncSummaryCounts;
  /** Same manifests as the last writing sync, yet the cluster differs: the writes take back drift. */
  drift: boolean;
  /** Whether anything (a member or the parent) is written at all. */
  willWrite: boolean;
  /** The commit the ApplySet parent records as last synced, if any. */
  lastSyncedSha: string | undefined;
};

const DEFAULT_CONCURRENCY = 32;

/**
 * Syncs (or, in `plan` mode, previews) one target. Throws SyncRefusedError before any write when
 * unsafe, and PartialSyncError when it fails after writes began.
 */
export async function syncTarget(deps: SyncDeps, options: SyncOptions): Promise<SyncResult> {
  const { target, mode } = options;
  const ctx: SyncContext = {
    cluster: deps.cluster,
    concurrency: deps.concurrency ?? DEFAULT_CONCURRENCY,
    signal: options.signal,
    clock: deps.monotonicMs ?? (() => performance.now()),
  };
  const timer = startPhaseTimer(ctx.clock);
  const requestsBefore = deps.cluster.requestCounts();
  // Hooks and skipped objects are never members of the set (lib/lifecycle runs hooks).
  const desired = options.desired.filter((d) => lifecycleRoleOf(d.object, "install").role === "member");
  const read = await readLive(ctx, { target, desired });
  timer.lap("read");
  const whole = planSync({ read, target, targets: options.configuredTargets });
  const plan = options.step ? selectWave(whole, options.step) : whole;
  timer.lap("plan");
  const validated = await validateWholeSet(ctx, {
    plan,
    forceConflicts: target.forceConflicts,
    maxDiffs: options.maxDiffs ?? DEFAULT_MAX_DIFFS,
  });
  timer.lap("dryRun");
  const result = (parts: { mode: "apply" | "plan"; changes: readonly Change[]; parentUpdated: boolean }) =>
    assembleResult({
      options,
      read,
      plan,
      validated,
      ...parts,
      maxDiffs: options.maxDiffs,
      timer,
      requests: subtractRequestCounts(deps.cluster.requestCounts(), requestsBefore),
      plannedChanges: plannedChanges(whole),
    });

  const clusterDrifted = options.step
    ? plannedChanges(whole) > 0 && read.inventory.lastSync?.digest === read.desiredDigest
    : clusterDriftedSince(read, plan, validated);
  if (mode === "plan") return result({ mode, changes: validated.changes, parentUpdated: false });
  // Everything is planned and dry-run by now: stopping here writes nothing at all.
  if (clusterDrifted && options.onDrift === "stop")
    return result({ mode: "plan", changes: validated.changes, parentUpdated: false });
  // A no-op sync writes nothing — not even the parent — unless its membership is out of date.
  const inventory = inventoryToWrite(read.inventory, options.step);
  const noWrites = nothingToWrite({
    read,
    plan,
    validated,
    inventory,
    applyOnly: options.step?.last === false,
  });
  await options.beforeWrite?.({
    counts: countsOf(plan, validated),
    drift: clusterDrifted,
    willWrite: !noWrites,
    lastSyncedSha: read.inventory.lastSync?.sha,
  });
  if (noWrites) return result({ mode, changes: validated.changes, parentUpdated: false });

  const changes = await writeSync(ctx, {
    target,
    toolingVersion: deps.toolingVersion,
    read,
    inventory,
    plan,
    validated,
    applyOnly: options.step !== undefined && !options.step.last,
    lastSync: { sha: options.revision.sha, now: options.now, counts: countsOf(plan, validated) },
    crdTimeoutMs: deps.crdTimeoutMs ?? DEFAULT_CRD_TIMEOUT_MS,
    lap: (phase) => timer.lap(phase),
  });
  return result({ mode, changes, parentUpdated: true });
}

/**
 * The plan of one wave: its own entries (and, for the last wave, the prunes and skips); what the
 * inventory holds afterwards stays the whole set's, so the widened parent lists every wave.
 */
function selectWave(plan: PlannedSync, step: SyncStep): PlannedSync {
  const inWave = (e: PlannedSync["entries"][number]) =>
    e.action === "prune" || e.action === "skip" ? step.last : e.planned.wave === step.wave;
  const entries = plan.entries.filter(inWave);
  return {
    ...plan,
    entries,
    ambiguous: entries.filter((e) => e.action === "check").length,
    toValidate: plan.toValidate.filter((e) => e.planned.wave === step.wave),
    prunes: step.last ? plan.prunes : [],
    skips: step.last ? plan.skips : [],
  };
}

/** Creates, updates and undecided objects in every wave, plus prunes: whether the whole set has anything to write. */
export function plannedChanges(plan: PlannedSync): number {
  return (
    plan.entries.filter((e) => e.action === "create" || e.action === "update" || e.action === "check")
      .length + plan.prunes.length
  );
}

/**
 * The parent as this sync writes it: a step records its run's cursor; a single-step sync keeps a
 * finished run's cursor as it is and drops a running one (this sync replaced that run).
 */
function inventoryToWrite(inventory: ApplySetInventory, step: SyncStep | undefined): ApplySetInventory {
  if (step) return { ...inventory, lifecycle: step.cursor };
  const running = parseLifecycleCursor(inventory.lifecycle)?.state === "running";
  return running ? { ...inventory, lifecycle: undefined } : inventory;
}

/**
 * Same manifests as the last sync that wrote (same digest), yet something to change: someone
 * changed the cluster, as opposed to Git changing.
 */
function clusterDriftedSince(read: LiveRead, plan: PlannedSync, validated: ValidatedSync): boolean {
  return changesCluster(plan, validated) && read.inventory.lastSync?.digest === read.desiredDigest;
}

/** Anything to create, update or prune. */
function changesCluster(plan: PlannedSync, validated: ValidatedSync): boolean {
  return validated.changes.length > 0 || plan.prunes.length > 0;
}

/** No member to write, and the parent already says what it should (or there is nothing to record). */
function nothingToWrite(options: {
  read: LiveRead;
  plan: PlannedSync;
  validated: ValidatedSync;
  /** The parent as this sync would write it (its cursor). */
  inventory: ApplySetInventory;
  /** A step that only widens the parent (no prune, no record). */
  applyOnly: boolean;
}): boolean {
  const { read, plan, validated, inventory } = options;
  if (changesCluster(plan, validated)) return false;
  if (!read.inventory.exists) return read.planned.length === 0 && inventory.lifecycle === undefined;
  const after = options.applyOnly
    ? widenInventory(inventory, plan.remaining)
    : shrinkInventory(inventory, plan.remaining);
  return sameMembership(after, read.inventory);
}

function countsOf(plan: PlannedSync, validated: ValidatedSync): SyncSummaryCounts {
  return {
    created: validated.changes.filter((c) => c.action === "create").length,
    updated: validated.changes.filter((c) => c.action === "update").length,
    unchanged: validated.unchanged.length,
    pruned: plan.prunes.length,
    skipped: plan.skips.length,
  };
}

function assembleResult(options: {
  options: SyncOptions;
  read: LiveRead;
  plan: PlannedSync;
  validated: ValidatedSync;
  mode: "apply" | "plan";
  changes: readonly Change[];
  parentUpdated: boolean;
  maxDiffs: number | undefined;
  timer: PhaseTimer;
  requests: SyncResult["requests"];
  plannedChanges: number;
}): SyncResult {
  const { read, plan, validated } = options;
  const changed = changesCluster(plan, validated);
  return {
    target: options.options.target.name,
    mode: options.mode,
    revision: options.options.revision,
    previousRevision: read.inventory.lastSync,
    desiredDigest: read.desiredDigest,
    drift: clusterDriftedSince(read, plan, validated),
    applySetId: read.inventory.id,
    changed,
    outcomes: renderSyncOutcomes({
      unchanged: validated.unchanged,
      changes: options.changes,
      prunes: plan.prunes,
      skips: plan.skips,
      maxDiffs: options.maxDiffs ?? DEFAULT_MAX_DIFFS,
    }),
    counts: countsOf(plan, validated),
    dryRunFallbacks: plan.ambiguous,
    requests: options.requests,
    durationsMs: options.timer.durations(),
    parentUpdated: options.parentUpdated,
    ...(options.options.step ? { plannedChanges: options.plannedChanges } : {}),
  };
}

type PhaseTimer = {
  /** Adds the time since the previous lap to `phase`. */
  lap(phase: Exclude<keyof SyncPhaseDurations, "total">): void;
  durations(): SyncPhaseDurations;
};

function startPhaseTimer(clock: () => number): PhaseTimer {
  const started = clock();
  let last = started;
  const spent = { read: 0, plan: 0, dryRun: 0, apply: 0, prune: 0, record: 0 };
  return {
    lap(phase) {
      const now = clock();
      spent[phase] += now - last;
      last = now;
    },
    durations: () => ({ ...spent, total: clock() - started }),
  };
}
