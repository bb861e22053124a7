/**
 * `pullbridge diff` and `pullbridge sync`: a checkout's target directories → the same load
 * (selection, limits, render, validation) and sync engine the worker runs, in `plan` mode
 * (dry-runs only, never writes) or `apply` mode. Progress is observed by decorating the cluster
 * port, so the engine needs no hooks for it.
 */
import type { ClusterPort } from "../cluster/cluster-port.ts";
import type { Target } from "../config/targets.ts";
import { ConfigError } from "../errors.ts";
import type { HealthSubject } from "../health/assess-health.ts";
import type { ReleaseMode } from "../lifecycle/lifecycle-annotations.ts";
import { isSingleStep, type LifecyclePlan, planLifecycle } from "../lifecycle/plan-lifecycle.ts";
import type { DesiredObject } from "../manifests/kube-object.ts";
import type { Renderer } from "../render/renderer-port.ts";
import type { SopsAccess } from "../secrets/open-sops-files.ts";
import type { TargetRef } from "../sync/refuse-inventory-collisions.ts";
import type { SyncResult } from "../sync/sync-result.ts";
import { syncTarget } from "../sync/sync-target.ts";
import {
  capabilitiesOf,
  type LoadedTarget,
  loadTargetObjects,
  type TreeReader,
} from "./load-target-objects.ts";
import { releaseModeFor, releaseModeReader } from "./release-mode.ts";
import {
  advanceLifecycle,
  finishLifecycle,
  type LifecycleRun,
  mergeResults,
  runIdOf,
  type StepReport,
  stepLabels,
} from "./run-lifecycle.ts";
import type { HealthWaitResult } from "./wait-for-health.ts";

/** What a long sync has done so far (requests sent, by kind). */
export type SyncProgress = {
  /** The kind of the latest request: reading live state, dry-running, applying, pruning, recording. */
  phase: "read" | "dry-run" | "apply" | "prune" | "record";
  reads: number;
  dryRuns: number;
  applied: number;
  pruned: number;
};

export type SyncCommandDeps = {
  cluster: ClusterPort;
  toolingVersion: string;
  now: () => Date;
  /** Called after every request the sync sends; the caller throttles what it prints. */
  onProgress?: (progress: SyncProgress) => void;
  signal?: AbortSignal | undefined;
  /** Renders Kustomize and Helm directories. */
  renderer?: Renderer | undefined;
  /** Reads the checkout's files inside the target's directories, with the worker's limits. */
  readTree: TreeReader;
  /** Decrypts SOPS files with the caller's own keys (their AWS credentials, their age identities). */
  secrets?: SopsAccess | undefined;
  /**
   * How a multi-step sync (hooks, waves) waits for each step in-process: the CLI is a process a
   * person watches, so it may. Required to apply a target with hooks or several waves.
   */
  lifecycle?: LifecycleCommandDeps | undefined;
};

/** The CLI's side of a multi-step sync: wait for a step, hear about each. */
export type LifecycleCommandDeps = {
  waitForStep: (step: {
    label: string;
    subjects: readonly HealthSubject[];
    applySetId: string;
  }) => Promise<HealthWaitResult>;
  onStep?: ((event: LifecycleStepEvent) => void) | undefined;
};

/** One step as the CLI prints it. */
export type LifecycleStepEvent = {
  index: number;
  of: number;
  label: string;
  report: StepReport;
  /** The step's health, once waited for (absent: nothing to wait for). */
  health?: HealthWaitResult | undefined;
};

export type SyncCommandInput = {
  /** Its `path` and `watch` are repository-relative, as in a targets file. */
  target: Target;
  /** Every target of the targets file (or just `target` without one): their ApplySet parents are off limits. */
  configuredTargets: readonly TargetRef[];
  /** Read the directories the target's kustomizations refer to as well (a target without a targets file knows no `watch`). */
  discoverWatch: boolean;
  /** Recorded on the ApplySet parent after an apply (a commit sha, or a description of the working tree). */
  revision: string;
  mode: "plan" | "apply";
  /** Objects to render a diff for (the engine's default when absent). */
  maxDiffs?: number | undefined;
};

/** Wraps a cluster port so every request it completes is reported to `onProgress`. */
function observeProgress(cluster: ClusterPort, onProgress: (progress: SyncProgress) => void): ClusterPort {
  const progress: SyncProgress = { phase: "read", reads: 0, dryRuns: 0, applied: 0, pruned: 0 };
  const after = async <T>(promise: Promise<T>, update: () => void): Promise<T> => {
    const value = await promise;
    update();
    onProgress({ ...progress });
    return value;
  };
  return {
    server: cluster.server,
    requestCounts: () => cluster.requestCounts(),
    // The wrapper owns no connections: closing it closes the client it wraps.
    close: () => cluster.close?.() ?? Promise.resolve(),
    discover: (options) =>
      after(cluster.discover(options), () => {
        progress.reads += 1;
      }),
    list: (options) =>
      after(cluster.list(options), () => {
        progress.phase = "read";
        progress.reads += 1;
      }),
    get: (options) =>
      after(cluster.get(options), () => {
        progress.reads += 1;
      }),
    getApplySetParent: (options) =>
      after(cluster.getApplySetParent(options), () => {
        progress.reads += 1;
      }),
    apply: (options) =>
      after(cluster.apply(options), () => {
        if (options.dryRun) {
          progress.phase = "dry-run";
          progress.dryRuns += 1;
        } else {
          progress.phase = "apply";
          progress.applied += 1;
        }
      }),
    ...(cluster.create
      ? {
          create: (options: Parameters<NonNullable<ClusterPort["create"]>>[0]) =>
            after(cluster.create?.(options) ?? Promise.resolve("exists" as const), () => {
              if (!options.dryRun) progress.applied += 1;
            }),
        }
      : {}),
    delete: (options) =>
      after(cluster.delete(options), () => {
        progress.phase = "prune";
        progress.pruned += 1;
      }),
    applyApplySetParent: (options) =>
      after(cluster.applyApplySetParent(options), () => {
        progress.phase = "record";
      }),
  };
}

/** What a CLI sync did, and what its load found on the way (files not read, directories read beyond `watch`). */
export type SyncCommandResult = {
  result: SyncResult;
  loaded: Pick<LoadedTarget, "skipped" | "discoveredWatch" | "notes">;
  /** The commit's steps, when it has hooks or several waves (a plan lists them in order). */
  lifecycle?: LifecyclePlan | undefined;
  /** A multi-step sync that stopped at a step: which, and why (health failed or timed out). */
  failedStep?: { label: string; health: HealthWaitResult } | undefined;
};

/** Loads the target's objects as the worker does (ManifestSetError naming every problem) and plans or applies them. */
export async function runSyncCommand(
  deps: SyncCommandDeps,
  input: SyncCommandInput,
): Promise<SyncCommandResult> {
  const releaseMode = releaseModeReader(async () => deps.cluster, input.target, deps.signal);
  const loaded = await loadTargetObjects(
    {
      readTree: deps.readTree,
      renderer: deps.renderer,
      capabilities: () => capabilitiesOf(deps.cluster, deps.signal),
      release: releaseMode,
      signal: deps.signal,
      secrets: deps.secrets,
    },
    input.target,
    { discoverWatch: input.discoverWatch },
  );
  const { desired, skipped, discoveredWatch } = loaded;
  const mode = await releaseModeFor(loaded, releaseMode);
  const plan = planLifecycle({ desired, sha: input.revision, release: mode, hooks: true });
  const notes = [...loaded.notes, ...plan.notes];
  const lifecycle = isSingleStep(plan) ? undefined : plan;
  const cluster = deps.onProgress ? observeProgress(deps.cluster, deps.onProgress) : deps.cluster;
  if (lifecycle && input.mode === "apply") {
    return await runLifecycleCommand({ ...deps, cluster }, input, {
      plan: lifecycle,
      desired,
      release: mode,
      loaded: { skipped, discoveredWatch, notes },
    });
  }
  const result = await syncTarget(
    { cluster, toolingVersion: deps.toolingVersion },
    {
      target: input.target,
      desired,
      configuredTargets: input.configuredTargets,
      revision: { sha: input.revision },
      now: deps.now(),
      mode: input.mode,
      signal: deps.signal,
      ...(input.maxDiffs === undefined ? {} : { maxDiffs: input.maxDiffs }),
    },
  );
  return { result, loaded: { skipped, discoveredWatch, notes }, ...(lifecycle ? { lifecycle } : {}) };
}

/**
 * A multi-step sync in-process: each step is applied, then waited for (hooks must complete before
 * the next step), as the bridge does through its queues. A step that fails ends the run (sync-fail
 * hooks, delete policies); the report lists every step.
 */
async function runLifecycleCommand(
  deps: SyncCommandDeps,
  input: SyncCommandInput,
  run: {
    plan: LifecyclePlan;
    desired: readonly DesiredObject[];
    release: ReleaseMode;
    loaded: SyncCommandResult["loaded"];
  },
): Promise<SyncCommandResult> {
  const { plan } = run;
  const waiter = deps.lifecycle;
  if (!waiter) {
    throw new ConfigError(
      `target ${input.target.name}`,
      "has hooks or several waves: its steps run one after the other, waiting for each (this caller cannot wait)",
    );
  }
  const startedAt = deps.now();
  const lifecycleRun: LifecycleRun = {
    run: runIdOf(`cli-${startedAt.toISOString()}`, input.revision),
    sha: input.revision,
    startedAt,
    release: run.release,
    trigger: "manual",
  };
  const lifecycleDeps = {
    cluster: deps.cluster,
    toolingVersion: deps.toolingVersion,
    signal: deps.signal,
    now: deps.now,
  };
  const labels = stepLabels(plan);
  const reports: StepReport[] = [];
  let from = 0;
  for (;;) {
    const events = new Map<number, StepReport>();
    const progress = await advanceLifecycle(lifecycleDeps, {
      target: input.target,
      configuredTargets: input.configuredTargets,
      plan,
      desired: run.desired,
      run: lifecycleRun,
      from,
      ...(input.maxDiffs === undefined ? {} : { maxDiffs: input.maxDiffs }),
      onStep: (report) => events.set(report.step, report),
    }).catch(async (error: unknown) => {
      await finishLifecycle(lifecycleDeps, {
        target: input.target,
        run: lifecycleRun,
        outcome: "failed",
        plan,
      }).catch(() => undefined);
      throw error;
    });
    reports.push(...progress.reports);
    for (const report of progress.reports) {
      const waited = progress.kind === "waiting" && report.step === progress.step;
      if (!waited) waiter.onStep?.({ index: report.step, of: labels.length, label: report.label, report });
    }
    if (progress.kind !== "waiting") break;
    const current = progress.reports.at(-1);
    const applySetId = current?.result?.applySetId ?? reports.find((r) => r.result)?.result?.applySetId ?? "";
    const label = labels[progress.step] ?? "";
    const health = await waiter.waitForStep({ label, subjects: progress.subjects, applySetId });
    if (current) waiter.onStep?.({ index: progress.step, of: labels.length, label, report: current, health });
    if (health.outcome !== "healthy") {
      await finishLifecycle(lifecycleDeps, {
        target: input.target,
        run: lifecycleRun,
        outcome: "failed",
        plan,
      });
      return {
        result: mergeResults(reports),
        loaded: run.loaded,
        lifecycle: plan,
        failedStep: { label, health },
      };
    }
    from = progress.step + 1;
    if (from >= plan.steps.length) break;
  }
  await finishLifecycle(lifecycleDeps, { target: input.target, run: lifecycleRun, outcome: "healthy" });
  return { result: mergeResults(reports), loaded: run.loaded, lifecycle: plan };
}
