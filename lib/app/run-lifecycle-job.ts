/**
 * The worker's side of a multi-step sync: start a run (from a push, drift or manual job), run the
 * step a `step` job names, or finish a run. Between steps no Lambda waits: a step that must be seen
 * healthy queues a delayed health check carrying the run's cursor and returns; the health consumer
 * queues the next step as a FIFO job for the same target once the step is healthy, or a `finish`
 * job once the run ended. A newer commit supersedes a run at its next step boundary.
 */

import type { ClusterPort } from "../cluster/cluster-port.ts";
import { ConfigError, isRetryable } from "../errors.ts";
import type { HealthSubject } from "../health/assess-health.ts";
import type { HealthCheckInput } from "../health/health-check-codec.ts";
import { healthCheckDelaySeconds } from "../health/health-schedule.ts";
import type { StepJob } from "../jobs/job-codec.ts";
import type { ReleaseMode } from "../lifecycle/lifecycle-annotations.ts";
import { parseLifecycleCursor } from "../lifecycle/lifecycle-cursor.ts";
import { isSingleStep, type LifecyclePlan, planLifecycle } from "../lifecycle/plan-lifecycle.ts";
import type { DesiredObject } from "../manifests/kube-object.ts";
import { formatFailureDescription } from "../reporting/format-description.ts";
import { truncateLine } from "../reporting/format-text.ts";
import { type Described, describeConclusion, failureMessage } from "./job-outcome.ts";
import { loadJobObjects } from "./load-target-objects.ts";
import { readTargetInventory } from "./read-target-inventory.ts";
import { type JobReport, jobReportOf, postConclusion, settleFailure } from "./report-job.ts";
import {
  advanceLifecycle,
  finishLifecycle,
  type LifecycleRun,
  mergeResults,
  type StepReport,
  stepLabels,
} from "./run-lifecycle.ts";
import { type DeploymentTracking, finishDeployment, startDeployment } from "./track-deployment.ts";
import type { JobContext } from "./worker-deps.ts";

/** A run about to start or continue in this invocation. */
type RunInput = {
  run: LifecycleRun;
  plan: LifecyclePlan;
  desired: readonly DesiredObject[];
  cluster: ClusterPort;
  from: number;
  installationId: number | undefined;
  tracking: DeploymentTracking;
  /** Posts `pending` and logs. */
  log: (message: string, fields?: Record<string, unknown>) => void;
};

/** The plan of `desired` at `sha`: hooks run on pushes and manual syncs, on drift only when the target says so. */
export function lifecyclePlanOf(options: {
  context: JobContext;
  desired: readonly DesiredObject[];
  sha: string;
  release: ReleaseMode;
  trigger: LifecycleRun["trigger"];
}): LifecyclePlan {
  const { context, trigger } = options;
  return planLifecycle({
    desired: options.desired,
    sha: options.sha,
    release: options.release,
    hooks: trigger !== "drift" || context.target.hooksOnDrift,
  });
}

/** Whether the plan needs the multi-step machinery (hooks, or more than one wave). */
export function needsLifecycle(plan: LifecyclePlan): boolean {
  return !isSingleStep(plan);
}

/** Starts a run at its first step (the job that found the commit); returns what it reported. */
export async function startLifecycleRun(context: JobContext, input: RunInput): Promise<Described> {
  requireHealthQueue(context);
  return await continueRun(context, input);
}

/** Runs a `step` job: the next step of a run, or its `finish`. */
export async function runStepJob(context: JobContext, job: StepJob): Promise<JobReport> {
  const { deps, target, github } = context;
  const log = (message: string, fields: Record<string, unknown> = {}) =>
    deps.logger.info(message, { target: job.target, sha: job.sha, run: job.run, step: job.step, ...fields });
  const ids = { target: target.name, sha: job.sha };
  const run: LifecycleRun = {
    run: job.run,
    sha: job.sha,
    startedAt: new Date(job.startedAt),
    release: job.release,
    trigger: job.trigger,
  };
  const tracking: DeploymentTracking = {
    github,
    target,
    head: job.sha,
    trigger: job.trigger,
    logger: deps.logger,
    ...(job.deploymentId === undefined ? {} : { handle: { repo: target.repo, id: job.deploymentId } }),
  };
  const cluster = await deps.connectCluster(target, "sync");
  if (job.finish !== undefined) {
    // Only a failed run needs its manifests again (for the sync-fail hooks).
    const plan =
      job.finish === "failed" ? await loadPlan(context, job, run).then((loaded) => loaded.plan) : undefined;
    const done = await finishLifecycle(
      {
        cluster,
        toolingVersion: deps.toolingVersion,
        engine: deps.engine,
        signal: deps.signal,
        now: deps.now,
      },
      { target, run, outcome: job.finish, plan },
    );
    log("run finished", { outcome: job.finish, deleted: done.deleted, syncFail: done.syncFail.length });
    return jobReportOf(
      {
        finish: undefined,
        metrics: [],
        outcome: "synced",
        message: `run ${job.run} finished (${job.finish})`,
      },
      ids,
      [context.jobAge],
    );
  }

  // A newer commit supersedes the run at this step boundary; a newer run of the same commit replaces it.
  const head = await github.source.headSha({ repo: target.repo, branch: target.branch });
  const cursor = parseLifecycleCursor((await readTargetInventory(cluster, target, deps.signal)).lifecycle);
  if (head !== job.sha) {
    const described = await postConclusion(github, { type: "superseded", target, sha: job.sha, head });
    await finishDeployment(tracking, { state: "inactive", description: described.message });
    log("run superseded at a step boundary", { head });
    return jobReportOf(described, ids, [context.jobAge]);
  }
  if (cursor?.run !== job.run) {
    log("run replaced by a newer run of the same commit", { by: cursor?.run });
    await finishDeployment(tracking, {
      state: "inactive",
      description: "replaced by a newer sync of the same commit",
    });
    return jobReportOf(
      {
        finish: undefined,
        metrics: [],
        outcome: "skipped",
        message: "replaced by a newer run of the same commit",
      },
      ids,
      [context.jobAge],
    );
  }
  try {
    const { desired, plan } = await loadPlan(context, job, run);
    const described = await continueRun(context, {
      run,
      plan,
      desired,
      cluster,
      from: job.step,
      installationId: job.installationId,
      tracking,
      log,
    });
    return jobReportOf(described, ids, [context.jobAge]);
  } catch (error) {
    if (!isRetryable(error)) await failRun(context, { cluster, run, job, error });
    await finishDeployment(tracking, {
      state: isRetryable(error) || error instanceof ConfigError ? "error" : "failure",
      description: formatFailureDescription(failureMessage(error)),
    });
    return await settleFailure({
      logger: deps.logger,
      github,
      error,
      target,
      sha: job.sha,
      kind: "sync",
      metrics: [context.jobAge],
      jobSha: job.sha,
      attempt: deps.attempt,
      quietRetries: job.trigger === "drift",
    });
  }
}

/**
 * After a permanent failure inside the worker (a later wave refused, a hook refused): the run
 * ends as failed — sync-fail hooks, delete policies, the cursor's state. Best effort: the failure
 * itself is what gets reported.
 */
export async function failRun(
  context: JobContext,
  input: {
    cluster: ClusterPort;
    run: LifecycleRun;
    job?: StepJob | undefined;
    plan?: LifecyclePlan | undefined;
    error: unknown;
  },
): Promise<void> {
  const { deps, target } = context;
  try {
    const plan = input.plan ?? (input.job ? (await loadPlan(context, input.job, input.run)).plan : undefined);
    await finishLifecycle(
      {
        cluster: input.cluster,
        toolingVersion: deps.toolingVersion,
        engine: deps.engine,
        signal: deps.signal,
        now: deps.now,
      },
      { target, run: input.run, outcome: "failed", plan },
    );
  } catch (error) {
    deps.logger.warn("could not end the failed run (sync-fail hooks, delete policies)", {
      target: target.name,
      run: input.run.run,
      error: failureMessage(error),
    });
  }
}

/** The commit's objects and plan, rendered as the run renders them (Helm install or upgrade as recorded). */
async function loadPlan(
  context: JobContext,
  job: Pick<StepJob, "sha">,
  run: LifecycleRun,
): Promise<{ desired: DesiredObject[]; plan: LifecyclePlan }> {
  const loaded = await loadJobObjects(context, "sync", job.sha, { release: async () => run.release });
  const plan = lifecyclePlanOf({
    context,
    desired: loaded.desired,
    sha: run.sha,
    release: run.release,
    trigger: run.trigger,
  });
  return { desired: loaded.desired, plan };
}

function requireHealthQueue(context: JobContext): void {
  if (context.deps.health === undefined) {
    throw new ConfigError(
      `target ${context.target.name}`,
      "has hooks or several waves, which run one step after the other as each becomes healthy: that needs the health queue (PULLBRIDGE_HEALTH_QUEUE_URL), which this worker was deployed without",
    );
  }
}

/** Runs steps until one waits (health check queued), the run ends (finished here), or drift stops it. */
async function continueRun(context: JobContext, input: RunInput): Promise<Described> {
  const { deps, target, github } = context;
  const { run, plan, cluster, tracking } = input;
  const health = deps.health;
  if (health === undefined) requireHealthQueue(context);
  const lifecycleDeps = {
    cluster,
    toolingVersion: deps.toolingVersion,
    engine: deps.engine,
    signal: deps.signal,
    now: deps.now,
  };
  const progress = await advanceLifecycle(lifecycleDeps, {
    target,
    configuredTargets: deps.config.targets,
    plan,
    desired: input.desired,
    run,
    from: input.from,
    onDrift: run.trigger === "drift" && target.drift === "alert" ? "stop" : "apply",
    beforeFirstWrite:
      tracking.handle === undefined ? (planned) => startDeployment(tracking, planned) : undefined,
  }).catch(async (error: unknown) => {
    if (!isRetryable(error)) await failRun(context, { cluster, run, plan, error });
    throw error;
  });
  const labels = stepLabels(plan);
  if (progress.kind === "drift-detected") {
    return await postConclusion(github, {
      type: "drift-detected",
      target,
      head: run.sha,
      result: progress.result,
      skipped: [],
    });
  }
  const applied = appliedCount(plan);
  if (progress.kind === "done") {
    const result = mergeResults(progress.reports);
    if (run.trigger === "drift" && !progress.reports.some((r) => r.wrote)) {
      // A quiet drift check of a multi-wave target: nothing written, nothing posted.
      return describeConclusion({
        type: "synced",
        target,
        head: run.sha,
        result,
        durationMs: 0,
        scheduled: true,
        skipped: [],
      });
    }
    await finishLifecycle(lifecycleDeps, { target, run, outcome: "healthy" });
    const posted = await postConclusion(github, {
      type: "synced",
      target,
      head: run.sha,
      result,
      durationMs: deps.now().getTime() - run.startedAt.getTime(),
      scheduled: run.trigger === "drift",
      skipped: [],
    });
    await finishDeployment(tracking, {
      state: "success",
      description: posted.finish?.description ?? posted.message,
      logUrl: posted.checkRunUrl,
    });
    input.log("run finished without waiting", { steps: labels.length });
    return posted;
  }
  const now = deps.now();
  const label = labels[progress.step] ?? "";
  const report = progress.reports.at(-1);
  const description = truncateLine(
    `${run.trigger === "drift" ? "drift corrected: " : ""}${label} (step ${progress.step + 1} of ${labels.length}): ${waitingText(report, progress.subjects)}`,
  );
  await github.reporter.pending({ repo: target.repo, sha: run.sha, target: target.name, description });
  const deadline = new Date(now.getTime() + target.health.timeoutSeconds * 1000);
  const check: HealthCheckInput = {
    v: 1,
    target: target.name,
    repo: target.repo,
    ...(input.installationId === undefined ? {} : { installationId: input.installationId }),
    sha: run.sha,
    syncedAt: now.toISOString(),
    appliedAt: now.toISOString(),
    deadline: deadline.toISOString(),
    attempt: 1,
    applied,
    drift: run.trigger === "drift",
    ...(tracking.handle === undefined ? {} : { deploymentId: tracking.handle.id }),
    subjects: progress.subjects,
    lastDescription: description,
    lifecycle: {
      run: run.run,
      startedAt: run.startedAt.toISOString(),
      step: progress.step,
      steps: labels,
      release: run.release,
      trigger: run.trigger,
    },
  };
  if (health === undefined) throw new Error("unreachable: checked above");
  const delaySeconds = healthCheckDelaySeconds({ attempt: 1, backoff: health.backoff, now, deadline });
  await health.queue.schedule(check, delaySeconds);
  input.log("step applied; waiting for health", {
    step: label,
    description,
    firstCheckInSeconds: delaySeconds,
  });
  return { finish: undefined, metrics: [], outcome: "synced", message: description };
}

/** Every object the run applies or creates: its members and its hooks. */
function appliedCount(plan: LifecyclePlan): number {
  return plan.members.length + plan.steps.reduce((n, s) => n + s.hooks.length, 0);
}

/** `applied 3 objects; waiting for 1 (StatefulSet db)`, `created Job migrate-1a2b…; waiting for it`. */
function waitingText(report: StepReport | undefined, subjects: readonly HealthSubject[]): string {
  const names = subjects.map((s) => `${s.kind} ${s.name}`);
  const created = report?.hooks.filter((h) => h.outcome !== "kept").length ?? 0;
  const applied = report?.result
    ? report.result.counts.created + report.result.counts.updated + report.result.counts.unchanged
    : 0;
  const what =
    report?.result === undefined
      ? `created ${created} hook${created === 1 ? "" : "s"}`
      : `applied ${applied} object${applied === 1 ? "" : "s"}${created > 0 ? ` and ${created} hook${created === 1 ? "" : "s"}` : ""}`;
  return `${what}; waiting for ${subjects.length} (${names.join(", ")})`;
}
