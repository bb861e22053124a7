/**
 * Running the steps of a multi-step sync (lib/lifecycle): pre-sync hooks, the members wave by
 * wave, post-sync hooks. `advanceLifecycle` runs steps in this invocation for as long as none has
 * to wait: a step that wrote something whose health must be seen returns `waiting`, and the caller
 * decides how to wait — the worker queues a delayed health check and returns (the health consumer
 * queues the next step once it is healthy), the CLI waits in-process. A step that wrote nothing
 * and whose objects are already healthy is passed at once; a run that has nothing left to write
 * ends at once. `finishLifecycle` ends a run: delete policies, sync-fail hooks, the cursor's state.
 */

import { createHash } from "node:crypto";
import type { ClusterPort } from "../cluster/cluster-port.ts";
import { applySetParentName, type Target } from "../config/targets.ts";
import { isRetryable, PartialSyncError, PullbridgeError, SyncRefusedError } from "../errors.ts";
import {
  type HealthSubject,
  type HealthVerdict,
  needsLiveRead,
  subjectGroupKind,
  subjectOf,
} from "../health/assess-health.ts";
import { compileHealthRules } from "../health/cel-health-rules.ts";
import type { ReleaseMode } from "../lifecycle/lifecycle-annotations.ts";
import {
  formatLifecycleCursor,
  type LifecycleCursor,
  mergeHookLocations,
  parseLifecycleCursor,
} from "../lifecycle/lifecycle-cursor.ts";
import { describeStep, type LifecyclePlan, type LifecycleStep } from "../lifecycle/plan-lifecycle.ts";
import type { DesiredObject } from "../manifests/kube-object.ts";
import {
  createHooks,
  type HookOutcome,
  hookLocationsOf,
  type PlannedHook,
  resolveHooks,
  sweepHooks,
} from "../sync/phase-hooks.ts";
import { recordCursor } from "../sync/phase-record-inventory.ts";
import type { TargetRef } from "../sync/refuse-inventory-collisions.ts";
import type { SyncResult } from "../sync/sync-result.ts";
import type { SyncContext } from "../sync/sync-state.ts";
import { type PlannedWrite, type SyncDeps, syncTarget } from "../sync/sync-target.ts";
import { readLive } from "./read-health.ts";
import { readTargetInventory } from "./read-target-inventory.ts";
import { healthSubjectsOf } from "./start-health-wait.ts";
import type { DeploymentTrigger } from "./track-deployment.ts";

/** A run of a multi-step sync: what every step of it shares, carried in its messages. */
export type LifecycleRun = {
  /** One per sync job that started the run (its retries share it: see `runIdOf`). */
  run: string;
  sha: string;
  startedAt: Date;
  release: ReleaseMode;
  trigger: DeploymentTrigger;
};

/** What the steps need: the cluster (the worker's, or the CLI caller's) and the engine. */
export type LifecycleDeps = {
  cluster: ClusterPort;
  toolingVersion: string;
  engine?: Omit<SyncDeps, "cluster" | "toolingVersion"> | undefined;
  signal?: AbortSignal | undefined;
  now: () => Date;
};

export type LifecycleInput = {
  target: Target;
  configuredTargets: readonly TargetRef[];
  plan: LifecyclePlan;
  /** Every object of the commit (the engine keeps the members, the plan holds the hooks). */
  desired: readonly DesiredObject[];
  run: LifecycleRun;
  /** The first step to run (0 for a new run). */
  from: number;
  /** `stop`: a drifted cluster is reported, not written back (the target's `alert` policy). */
  onDrift?: "apply" | "stop";
  /** Called once, before the run's first write (e.g. to start a GitHub Deployment). */
  beforeFirstWrite?: ((planned: PlannedWrite) => Promise<void>) | undefined;
  /** After each step, for the CLI's progress lines. */
  onStep?: ((report: StepReport) => void) | undefined;
  maxDiffs?: number | undefined;
};

/** What one step did. */
export type StepReport = {
  step: number;
  label: string;
  /** The wave's sync result (wave steps). */
  result?: SyncResult | undefined;
  hooks: readonly HookOutcome[];
  /** Anything created, updated or pruned, or any hook created. */
  wrote: boolean;
};

export type LifecycleProgress =
  /** Step `step` wrote and must be seen healthy before the next one: the caller waits. */
  | { kind: "waiting"; step: number; reports: StepReport[]; subjects: HealthSubject[] }
  /** Every step passed in this invocation. */
  | { kind: "done"; reports: StepReport[] }
  /** The cluster drifted and the target only alerts: nothing was written (the result is a plan). */
  | { kind: "drift-detected"; reports: StepReport[]; result: SyncResult };

/** How long a run may take before a `running` cursor is considered abandoned: every step's health timeout, plus a margin. */
const RUN_MARGIN_MS = 15 * 60_000;

/** A run id from what started it: the retries of one job share it, another job gets another. */
export function runIdOf(deliveryId: string, sha: string): string {
  return createHash("sha256").update(`${deliveryId}\0${sha}`).digest("hex").slice(0, 16);
}

/** The cursor of `run` at `step`, recording every place its hooks may be. */
export function cursorOf(options: {
  target: Target;
  plan: LifecyclePlan;
  run: LifecycleRun;
  step: number;
  state: LifecycleCursor["state"];
  hooks: LifecycleCursor["hooks"];
}): string {
  const { target, plan, run } = options;
  const deadline = new Date(
    run.startedAt.getTime() + plan.steps.length * target.health.timeoutSeconds * 1000 + RUN_MARGIN_MS,
  );
  return formatLifecycleCursor({
    run: run.run,
    sha: run.sha,
    step: options.step,
    steps: plan.steps.length,
    state: options.state,
    startedAt: run.startedAt.toISOString(),
    deadline: deadline.toISOString(),
    release: run.release,
    hooks: options.hooks,
  });
}

/** The names of the steps, in order (`pre-sync`, `wave 0`, …). */
export function stepLabels(plan: LifecyclePlan): string[] {
  return plan.steps.map((_, i) => describeStep(plan, i));
}

/** Runs steps from `input.from` until one has to wait, the run ends, or drift stops it. */
export async function advanceLifecycle(
  deps: LifecycleDeps,
  input: LifecycleInput,
): Promise<LifecycleProgress> {
  const { target, plan, run } = input;
  const ctx = syncContext(deps);
  const readCursor = async () => (await readTargetInventory(deps.cluster, target, deps.signal)).lifecycle;
  let recorded = parseLifecycleCursor(await readCursor());
  let hooks = mergeHookLocations(recorded?.hooks, undefined);
  let firstWrite = input.beforeFirstWrite;
  const reports: StepReport[] = [];
  const cursorAt = (step: number) => cursorOf({ target, plan, run, step, state: "running", hooks });
  const claim = async (step: number) => {
    const cursor = cursorAt(step);
    await recordCursor(ctx, {
      targetName: target.name,
      toolingVersion: deps.toolingVersion,
      namespace: target.namespace,
      parentName: applySetParentName(target),
      cursor,
    });
    recorded = parseLifecycleCursor(cursor);
  };
  const written = (step: number) => recorded?.run === run.run && recorded.step === step;

  for (let index = input.from; index < plan.steps.length; index += 1) {
    const step = plan.steps[index] as LifecycleStep;
    const label = describeStep(plan, index);
    let report: StepReport;
    try {
      report =
        step.kind === "hooks"
          ? await runHookStep(deps, {
              ...input,
              step,
              index,
              label,
              claim: async (located) => {
                hooks = mergeHookLocations(hooks, located);
                if (firstWrite)
                  await firstWrite({
                    counts: emptyCounts(),
                    drift: false,
                    willWrite: true,
                    lastSyncedSha: undefined,
                  });
                firstWrite = undefined;
                await claim(index);
              },
            })
          : await runWaveStep(deps, {
              ...input,
              step,
              index,
              label,
              cursor: cursorAt(index),
              beforeWrite: async (planned) => {
                if (planned.willWrite && firstWrite) {
                  await firstWrite(planned);
                  firstWrite = undefined;
                }
              },
              claimHooks: async (located) => {
                hooks = mergeHookLocations(hooks, located);
                await claim(index);
              },
            });
    } catch (error) {
      throw stepFailure(error, { plan, index, label, reports });
    }
    reports.push(report);
    input.onStep?.(report);
    if (report.result?.mode === "plan" && report.result.drift) {
      return { kind: "drift-detected", reports, result: report.result };
    }
    if (report.result?.parentUpdated) recorded = parseLifecycleCursor(cursorAt(index));
    const subjects = subjectsOf(target, report);
    const restIsNoop =
      step.kind === "wave" &&
      report.result?.plannedChanges === 0 &&
      plan.steps.slice(index + 1).every((s) => s.kind === "wave" && s.hooks.length === 0);
    if (subjects.length === 0) {
      if (restIsNoop) break;
      continue;
    }
    // Nothing written and already healthy (a wave Git did not change): no reason to wait.
    if (!report.wrote && (await healthNow(deps, { target, subjects })) === "current") {
      if (restIsNoop) break;
      continue;
    }
    if (!written(index)) await claim(index);
    return { kind: "waiting", step: index, reports, subjects };
  }
  return { kind: "done", reports };
}

/** Ends a run: applies hook delete policies, creates the sync-fail hooks after a failure, records the cursor's state. */
export async function finishLifecycle(
  deps: LifecycleDeps,
  input: {
    target: Target;
    run: LifecycleRun;
    outcome: "healthy" | "failed";
    /** The plan (needed only after a failure, for its sync-fail hooks). */
    plan?: LifecyclePlan | undefined;
  },
): Promise<{ deleted: string[]; syncFail: readonly HookOutcome[]; current: boolean }> {
  const { target, run } = input;
  const ctx = syncContext(deps);
  const inventory = await readTargetInventory(deps.cluster, target, deps.signal);
  const cursor = parseLifecycleCursor(inventory.lifecycle);
  // A newer run owns the target: only what is safe for any run (deleting finished hooks) is done.
  const current = cursor?.run === run.run;
  let locations = mergeHookLocations(cursor?.hooks, undefined);
  let syncFail: HookOutcome[] = [];
  const discovery = await deps.cluster.discover({ signal: deps.signal });
  if (current && input.outcome === "failed" && input.plan && input.plan.syncFail.length > 0) {
    const planned = resolveHooks({ hooks: input.plan.syncFail, discovery, target, run: run.run });
    locations = mergeHookLocations(locations, hookLocationsOf(planned));
    await recordLocations(deps, { target, cursor, locations });
    syncFail = await createHooks(ctx, { hooks: planned, run: run.run, target });
  }
  const { deleted } = await sweepHooks(ctx, { target, locations, discovery });
  if (current && cursor) {
    await recordCursor(ctx, {
      targetName: target.name,
      toolingVersion: deps.toolingVersion,
      namespace: target.namespace,
      parentName: applySetParentName(target),
      cursor: formatLifecycleCursor({
        ...cursor,
        hooks: locations,
        state: input.outcome === "healthy" ? "succeeded" : "failed",
      }),
    });
  }
  return { deleted, syncFail, current };
}

async function recordLocations(
  deps: LifecycleDeps,
  options: { target: Target; cursor: LifecycleCursor | undefined; locations: LifecycleCursor["hooks"] },
): Promise<void> {
  if (!options.cursor) return;
  await recordCursor(syncContext(deps), {
    targetName: options.target.name,
    toolingVersion: deps.toolingVersion,
    namespace: options.target.namespace,
    parentName: applySetParentName(options.target),
    cursor: formatLifecycleCursor({ ...options.cursor, hooks: options.locations }),
  });
}

function syncContext(deps: LifecycleDeps): SyncContext {
  return {
    cluster: deps.cluster,
    concurrency: deps.engine?.concurrency ?? 32,
    signal: deps.signal,
    clock: deps.engine?.monotonicMs ?? (() => performance.now()),
  };
}

function emptyCounts() {
  return { created: 0, updated: 0, unchanged: 0, pruned: 0, skipped: 0 };
}

/** Creates a hook step's hooks (recording where they are on the parent first, so cleanup always finds them). */
async function runHookStep(
  deps: LifecycleDeps,
  input: LifecycleInput & {
    step: Extract<LifecycleStep, { kind: "hooks" }>;
    index: number;
    label: string;
    claim: (located: LifecycleCursor["hooks"]) => Promise<void>;
  },
): Promise<StepReport> {
  const discovery = await deps.cluster.discover({ signal: deps.signal });
  const planned = resolveHooks({
    hooks: input.step.hooks,
    discovery,
    target: input.target,
    run: input.run.run,
  });
  await input.claim(hookLocationsOf(planned));
  const hooks = await createHooks(syncContext(deps), {
    hooks: planned,
    run: input.run.run,
    target: input.target,
  });
  return {
    step: input.index,
    label: input.label,
    hooks,
    wrote: hooks.some((h) => h.outcome === "created"),
  };
}

/** Applies one wave (and creates its Argo CD `Sync` hooks once its members are applied). */
async function runWaveStep(
  deps: LifecycleDeps,
  input: LifecycleInput & {
    step: Extract<LifecycleStep, { kind: "wave" }>;
    index: number;
    label: string;
    cursor: string;
    beforeWrite: (planned: PlannedWrite) => Promise<void>;
    claimHooks: (located: LifecycleCursor["hooks"]) => Promise<void>;
  },
): Promise<StepReport> {
  const { step, target } = input;
  const result = await syncTarget(
    { ...deps.engine, cluster: deps.cluster, toolingVersion: deps.toolingVersion },
    {
      target,
      desired: input.desired,
      configuredTargets: input.configuredTargets,
      revision: { sha: input.run.sha },
      now: deps.now(),
      mode: "apply",
      onDrift: input.onDrift ?? "apply",
      signal: deps.signal,
      ...(input.maxDiffs === undefined ? {} : { maxDiffs: input.maxDiffs }),
      beforeWrite: input.beforeWrite,
      step: { wave: step.wave, last: step.last, cursor: input.cursor },
    },
  );
  let hooks: HookOutcome[] = [];
  if (result.mode === "apply" && step.hooks.length > 0) {
    const discovery = await deps.cluster.discover({ signal: deps.signal });
    const planned: PlannedHook[] = resolveHooks({ hooks: step.hooks, discovery, target, run: input.run.run });
    await input.claimHooks(hookLocationsOf(planned));
    hooks = await createHooks(syncContext(deps), { hooks: planned, run: input.run.run, target });
  }
  return {
    step: input.index,
    label: input.label,
    result,
    hooks,
    wrote: result.changed || hooks.some((h) => h.outcome === "created"),
  };
}

/** What a step must be seen healthy with: the wave's objects that have a status, and every hook. */
function subjectsOf(target: Target, report: StepReport): HealthSubject[] {
  const rules = compileHealthRules(target.health.checks);
  const members = report.result
    ? healthSubjectsOf(report.result).filter((s) => needsLiveRead(subjectGroupKind(s), rules))
    : [];
  const hooks = report.hooks
    .map((h): HealthSubject => ({ ...subjectOf(h.planned.planned.object), hook: true }))
    .filter((s) => needsLiveRead(subjectGroupKind(s), rules));
  return [...members, ...hooks];
}

/** One health read now (the worker's own reads; it may read whatever it writes). */
async function healthNow(
  deps: LifecycleDeps,
  input: { target: Target; subjects: readonly HealthSubject[] },
): Promise<HealthVerdict> {
  const { target } = input;
  const inventory = await readTargetInventory(deps.cluster, target, deps.signal);
  const { assessment } = await readLive({
    cluster: deps.cluster,
    subjects: input.subjects,
    rules: compileHealthRules(target.health.checks),
    applySetId: inventory.id,
    target: target.name,
  });
  return assessment.verdict;
}

/**
 * A step's failure, saying which step failed and what earlier steps already applied: a later
 * wave's refusal after earlier waves were written is a partial sync, reported as one.
 */
function stepFailure(
  error: unknown,
  options: { plan: LifecyclePlan; index: number; label: string; reports: readonly StepReport[] },
): unknown {
  if (!(error instanceof PullbridgeError)) return error;
  const labels = stepLabels(options.plan);
  const before = labels.slice(0, options.index);
  const after = labels.slice(options.index + 1);
  const wroteBefore = options.reports.some((r) => r.wrote);
  const context = `${before.length > 0 ? `; applied before it: ${before.join(", ")}` : ""}${after.length > 0 ? `; not applied: ${after.join(", ")}` : ""}`;
  const message = `${options.label}: ${error.message}${context}`;
  if (!wroteBefore && !(error instanceof PartialSyncError)) {
    if (error instanceof SyncRefusedError) {
      return new SyncRefusedError(message, {
        object: error.object,
        source: error.source,
        refusals: error.refusals,
        cause: error,
      });
    }
    return error;
  }
  return new PartialSyncError(message, {
    retryable: isRetryable(error),
    object: error instanceof PartialSyncError || error instanceof SyncRefusedError ? error.object : undefined,
    source: error instanceof PartialSyncError || error instanceof SyncRefusedError ? error.source : undefined,
    writes:
      error instanceof PartialSyncError
        ? error.writes
        : { inventoryWidened: false, applied: [], pruned: [], notApplied: [], notPruned: [] },
    refusals:
      error instanceof PartialSyncError || error instanceof SyncRefusedError ? error.refusals : undefined,
    cause: error,
  });
}

/** The steps' sync results as one (outcomes and counts summed): what the final report lists. */
export function mergeResults(reports: readonly StepReport[]): SyncResult {
  const results = reports.flatMap((r) => (r.result ? [r.result] : []));
  const last = results.at(-1);
  const first = results[0];
  if (!first || !last) {
    throw new Error("a run without a wave step cannot be reported");
  }
  const sum = (pick: (r: SyncResult) => number) => results.reduce((n, r) => n + pick(r), 0);
  return {
    ...last,
    previousRevision: first.previousRevision,
    drift: results.some((r) => r.drift),
    changed: results.some((r) => r.changed) || reports.some((r) => r.wrote),
    outcomes: results.flatMap((r) => r.outcomes),
    counts: {
      created: sum((r) => r.counts.created),
      updated: sum((r) => r.counts.updated),
      unchanged: sum((r) => r.counts.unchanged),
      pruned: sum((r) => r.counts.pruned),
      skipped: sum((r) => r.counts.skipped),
    },
    dryRunFallbacks: sum((r) => r.dryRunFallbacks),
    requests: {
      reads: sum((r) => r.requests.reads),
      writes: sum((r) => r.requests.writes),
      dryRuns: sum((r) => r.requests.dryRuns),
      listPages: sum((r) => r.requests.listPages),
    },
    parentUpdated: results.some((r) => r.parentUpdated),
  };
}
