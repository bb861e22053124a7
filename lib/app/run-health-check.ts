/**
 * The health consumer's use case: one delayed health check for one synced commit. It reads the
 * target's ApplySet parent (has a newer sync replaced this commit?), LISTs each kind the sync
 * applied once per namespace (by the ApplySet's `part-of` label), and — only for namespaces whose
 * workloads are not healthy yet — their pods, ReplicaSets and events, to name the reason. Then:
 * every object Current → `success` with the time to healthy; one Failed → `failure` at once with
 * its reason; the deadline passed → `failure` naming what is not ready; else the `pending` text
 * is posted if it changed and the next check is queued with backoff. No Lambda ever waits.
 */
import { type ClusterPort, subtractRequestCounts } from "../cluster/cluster-port.ts";
import { applySetParentName, type Target, type TargetsFile } from "../config/targets.ts";
import { ConfigError, describeError } from "../errors.ts";
import type { JobGitHubFactory } from "../github/job-github-ports.ts";
import type { HealthAssessment, HealthRule } from "../health/assess-health.ts";
import { compileHealthRules } from "../health/cel-health-rules.ts";
import {
  formatFailedDescription,
  formatHealthTable,
  formatHealthyDescription,
  formatTimeoutDescription,
  formatWaitingDescription,
} from "../health/format-health.ts";
import type { HealthCheck, HealthCheckLifecycle } from "../health/health-check-codec.ts";
import type { HealthCheckQueue } from "../health/health-check-queue.ts";
import { type HealthBackoff, healthCheckDelaySeconds } from "../health/health-schedule.ts";
import { recordVerdict } from "../health/health-verdicts.ts";
import { type Job, validateJob } from "../jobs/job-codec.ts";
import type { JobQueue } from "../jobs/job-queue.ts";
import { parseLifecycleCursor } from "../lifecycle/lifecycle-cursor.ts";
import type { DeploymentFinalState } from "../reporting/deployment-reporter.ts";
import { formatSupersededDescription } from "../reporting/format-description.ts";
import { truncateLine } from "../reporting/format-text.ts";
import type { ObjectStore } from "../state/object-store.ts";
import { readApplySetParent } from "../sync/applyset-parent.ts";
import type { EmittedMetric } from "../telemetry/emitted-metric.ts";
import type { Log } from "../telemetry/log.ts";
import { HealthMetric } from "../telemetry/metric-names.ts";
import { readLive } from "./read-health.ts";
import { finishDeploymentOf } from "./track-deployment.ts";

export type HealthCheckDeps = {
  config: TargetsFile;
  github: JobGitHubFactory;
  /** The health identity: read rights only (its own IAM role / Kubernetes group). */
  connectCluster: (target: Target, purpose: "health") => Promise<ClusterPort>;
  queue: HealthCheckQueue;
  /**
   * The FIFO job queue: where the next step of a multi-step sync goes once a step is healthy (the
   * consumer never writes to a cluster; the worker runs the step). Required for multi-step syncs.
   */
  jobs?: JobQueue | undefined;
  /** The state store: every final verdict is recorded under `verdicts/` (what `dependsOn` reads). */
  verdicts?: ObjectStore | undefined;
  backoff: HealthBackoff;
  logger: Log;
  now: () => Date;
};

export type HealthCheckOutcome =
  /** A step of a multi-step sync is healthy: its next step was queued. */
  "advanced" | "healthy" | "failed" | "timed-out" | "waiting" | "superseded" | "replaced" | "unknown-target";

export type HealthCheckReport = {
  outcome: HealthCheckOutcome;
  target: string;
  sha: string;
  /** The status description this check decided on (posted only when it changed). */
  message: string;
  /** The verdict per object, when the check read the cluster. */
  assessment?: HealthAssessment | undefined;
  /** API requests this check sent (reads only). */
  requests: number;
  metrics: EmittedMetric[];
};

const count = (name: string, value: number): EmittedMetric => ({ name, value, unit: "Count" });
const millis = (name: string, value: number): EmittedMetric => ({ name, value, unit: "Milliseconds" });

/** Compiled CEL rules per target, once per container (the targets file does not change while it runs). */
const rulesCache = new WeakMap<Target, HealthRule[]>();
function rulesOf(target: Target): HealthRule[] {
  let rules = rulesCache.get(target);
  if (!rules) {
    try {
      rules = compileHealthRules(target.health.checks);
    } catch (error) {
      throw new ConfigError(`targets.${target.name}.health`, describeError(error), { cause: error });
    }
    rulesCache.set(target, rules);
  }
  return rules;
}

/** Puts a delayed job back on the FIFO queue (a sync waiting for its `dependsOn` re-checks). */
export async function relayJob(deps: Pick<HealthCheckDeps, "jobs" | "logger">, job: Job): Promise<void> {
  if (!deps.jobs) {
    throw new ConfigError(
      "PULLBRIDGE_QUEUE_URL",
      "the health function needs the job queue to relay a delayed job",
    );
  }
  await deps.jobs.enqueue([job]);
  deps.logger.info("delayed job relayed to the job queue", { target: job.target, type: job.type });
}

/** Runs one health check; throws only retryable errors (the message then returns to the queue). */
export async function runHealthCheck(deps: HealthCheckDeps, check: HealthCheck): Promise<HealthCheckReport> {
  const base = { target: check.target, sha: check.sha };
  const target = deps.config.targets.find((t) => t.name === check.target);
  if (!target || target.repo.toLowerCase() !== check.repo.toLowerCase()) {
    deps.logger.error("health check for an unknown target dropped", {
      target: check.target,
      repo: check.repo,
    });
    return {
      ...base,
      outcome: "unknown-target",
      message: `unknown target "${check.target}"`,
      requests: 0,
      metrics: [],
    };
  }
  const { reporter, deployments } = await deps.github({
    installationId: check.installationId,
    repo: target.repo,
  });
  const cluster = await deps.connectCluster(target, "health");
  const before = cluster.requestCounts();
  const metrics: EmittedMetric[] = [count(HealthMetric.Checks, 1)];
  const ctx: CheckContext = {
    deps,
    check,
    target,
    reporter,
    ref: { repo: target.repo, sha: check.sha, target: target.name, kind: "sync" },
    log: (message, fields = {}) =>
      deps.logger.info(message, { target: check.target, sha: check.sha, attempt: check.attempt, ...fields }),
    metrics,
    finishDeployment: async (state, description, logUrl) => {
      if (deployments === undefined || check.deploymentId === undefined) return;
      await finishDeploymentOf(
        { deployments, handle: { repo: target.repo, id: check.deploymentId }, target, logger: deps.logger },
        { state, description, logUrl },
      );
    },
    report: (outcome, message, assessment) => {
      const d = subtractRequestCounts(cluster.requestCounts(), before);
      const requests = d.reads + d.writes + d.dryRuns;
      return {
        ...base,
        outcome,
        message,
        ...(assessment === undefined ? {} : { assessment }),
        requests,
        metrics: [...metrics, count(HealthMetric.ApiRequests, requests)],
      };
    },
  };

  // Superseded: a newer sync wrote the ApplySet parent after the one this check waits for, or a
  // newer multi-step run took the target over (its cursor names another run).
  const parentName = applySetParentName(target);
  const parent = await cluster.getApplySetParent({ namespace: target.namespace, name: parentName });
  const inventory = readApplySetParent({ parent, name: parentName, namespace: target.namespace });
  const newer = newerSyncOf(check, inventory);
  if (newer !== undefined) return await concludeReplaced(ctx, newer);
  ctx.lastSyncTime = inventory.lastSync?.time;

  const { assessment } = await readLive({
    cluster,
    subjects: check.subjects,
    rules: rulesOf(target),
    applySetId: inventory.id,
    target: target.name,
  });
  const now = deps.now();
  const final = finalVerdictOf(ctx, assessment, now);
  const lifecycle = check.lifecycle;
  if (lifecycle && final?.outcome === "healthy" && lifecycle.step + 1 < lifecycle.steps.length) {
    return await queueNextStep(ctx, lifecycle, assessment);
  }
  if (final !== undefined) {
    const report = await concludeFinal(ctx, assessment, final);
    if (lifecycle)
      await queueStepJob(ctx, lifecycle, {
        step: lifecycle.step,
        finish: final.outcome === "healthy" ? "healthy" : "failed",
      });
    return report;
  }
  return await scheduleNextCheck(ctx, assessment, now);
}

/**
 * The sync that replaced the one this check waits for, if any: for a step of a multi-step run, a
 * cursor naming another run; for a one-step sync, a later recorded sync or a run started after it.
 */
function newerSyncOf(
  check: HealthCheck,
  inventory: ReturnType<typeof readApplySetParent>,
): { sha: string; time: string } | undefined {
  const cursor = parseLifecycleCursor(inventory.lifecycle);
  if (check.lifecycle) {
    if (cursor?.run === check.lifecycle.run) return undefined;
    if (cursor) return { sha: cursor.sha, time: cursor.startedAt };
    const last = inventory.lastSync;
    return last ? { sha: last.sha, time: last.time } : { sha: check.sha, time: check.syncedAt };
  }
  const last = inventory.lastSync;
  if (last && Date.parse(last.time) > Date.parse(check.syncedAt)) return last;
  if (cursor && Date.parse(cursor.startedAt) > Date.parse(check.syncedAt)) {
    return { sha: cursor.sha, time: cursor.startedAt };
  }
  return undefined;
}

/** A step is healthy and the run has more: the next step goes on the FIFO queue for the worker. */
async function queueNextStep(
  ctx: CheckContext,
  lifecycle: HealthCheckLifecycle,
  assessment: HealthAssessment,
): Promise<HealthCheckReport> {
  await queueStepJob(ctx, lifecycle, { step: lifecycle.step + 1 });
  const label = lifecycle.steps[lifecycle.step] ?? "";
  const next = lifecycle.steps[lifecycle.step + 1] ?? "";
  ctx.metrics.push(count(HealthMetric.StepsAdvanced, 1));
  ctx.log("step healthy; next step queued", { step: label, next });
  return ctx.report("advanced", `${label} healthy; next: ${next}`, assessment);
}

/** Queues a `step` job (the next step, or `finish`) for the run, on the target's FIFO group. */
async function queueStepJob(
  ctx: CheckContext,
  lifecycle: HealthCheckLifecycle,
  what: { step: number; finish?: "healthy" | "failed" },
): Promise<void> {
  const { deps, check } = ctx;
  if (!deps.jobs) {
    throw new ConfigError(
      "PULLBRIDGE_QUEUE_URL",
      "the health function needs the job queue to run the next step of a multi-step sync",
    );
  }
  const job = validateJob({
    type: "step",
    target: check.target,
    repo: check.repo,
    ...(check.installationId === undefined ? {} : { installationId: check.installationId }),
    sha: check.sha,
    deliveryId: `${lifecycle.run}-${what.finish === undefined ? `s${what.step}` : "finish"}`,
    receivedAt: deps.now().toISOString(),
    run: lifecycle.run,
    startedAt: lifecycle.startedAt,
    step: what.step,
    release: lifecycle.release,
    trigger: lifecycle.trigger,
    ...(what.finish === undefined ? {} : { finish: what.finish }),
    ...(check.deploymentId === undefined ? {} : { deploymentId: check.deploymentId }),
  });
  await deps.jobs.enqueue([job]);
}

/** What one check shares with the steps that conclude it. */
type CheckContext = {
  deps: HealthCheckDeps;
  check: HealthCheck;
  target: Target;
  reporter: Awaited<ReturnType<HealthCheckDeps["github"]>>["reporter"];
  ref: { repo: string; sha: string; target: string; kind: "sync" };
  log: (message: string, fields?: Record<string, unknown>) => void;
  /** Metrics so far; steps add theirs before `report`. */
  metrics: EmittedMetric[];
  /** Ends the sync's GitHub Deployment (left `in_progress` by the worker), if it has one. */
  finishDeployment: (state: DeploymentFinalState, description: string, logUrl?: string) => Promise<void>;
  report: (outcome: HealthCheckOutcome, message: string, assessment?: HealthAssessment) => HealthCheckReport;
  /** The sync the parent records (its time), once read: what a recorded verdict judged. */
  lastSyncTime?: string | undefined;
};

/** A newer sync replaced the one this check waits for: stop, saying so unless it was the same commit. */
async function concludeReplaced(
  ctx: CheckContext,
  last: { sha: string; time: string },
): Promise<HealthCheckReport> {
  const { target, reporter, ref, log, metrics } = ctx;
  if (last.sha === ctx.check.sha) {
    // The same commit was synced again (drift correction): that sync's own check reports.
    log("health check replaced by a newer sync of the same commit", { syncedAt: last.time });
    await ctx.finishDeployment("inactive", "replaced by a newer sync of the same commit");
    return ctx.report("replaced", "replaced by a newer sync of the same commit");
  }
  const description = formatSupersededDescription(last.sha);
  const posted = await reporter.finish({
    ...ref,
    state: "success",
    description,
    summary: `A newer commit (${last.sha}) was synced to \`${target.name}\` before this one became healthy; its health check reports from now on.`,
  });
  // GitHub's auto_inactive retires only successful deployments: this one is ended explicitly.
  await ctx.finishDeployment("inactive", description, posted.checkRunUrl);
  metrics.push(count(HealthMetric.Superseded, 1));
  log("health check superseded", { by: last.sha });
  return ctx.report("superseded", description);
}

/** A verdict that ends the wait: what to post, count and log. */
type FinalVerdict = {
  outcome: "healthy" | "failed" | "timed-out";
  state: "success" | "failure";
  description: string;
  summary: string;
  metrics: EmittedMetric[];
  logMessage: string;
  logFields: Record<string, unknown>;
};

/** Healthy, failed (at once, without waiting out the timeout) or past the deadline; undefined while still in progress. */
function finalVerdictOf(
  ctx: CheckContext,
  assessment: HealthAssessment,
  now: Date,
): FinalVerdict | undefined {
  const { check, target } = ctx;
  const ns = target.namespace;
  const table = formatHealthTable(assessment.rows);
  const step = stepContext(check);
  if (assessment.verdict === "current") {
    const since = check.lifecycle ? check.lifecycle.startedAt : check.appliedAt;
    const timeToHealthyMs = Math.max(0, now.getTime() - Date.parse(since));
    const description = truncateLine(
      `${check.drift ? "drift corrected: " : ""}${formatHealthyDescription({ objects: check.applied, timeToHealthyMs })}${step ? ` (${step.steps.length} steps)` : ""}`,
    );
    return {
      outcome: "healthy",
      state: "success",
      description,
      summary: `Every object pullbridge applied is rolled out and healthy (check ${check.attempt}).${step ? `\n\n${step.summary}` : ""}\n\n${table}`,
      metrics: [millis(HealthMetric.TimeToHealthy, timeToHealthyMs), count(HealthMetric.Healthy, 1)],
      logMessage: "healthy",
      logFields: { timeToHealthyMs },
    };
  }
  if (assessment.verdict === "failed") {
    const description = truncateLine(
      `${step ? `${step.label} ` : ""}${formatFailedDescription({ rows: assessment.rows, defaultNamespace: ns })}`,
    );
    return {
      outcome: "failed",
      state: "failure",
      description,
      summary: `${step ? `The ${step.label} step failed; later steps were not applied.\n\n${step.summary}` : `The objects were applied, but at least one will not become healthy without a change; pullbridge did not wait for the ${target.health.timeoutSeconds}s timeout.`}\n\n${table}`,
      metrics: [count(HealthMetric.Failed, 1)],
      logMessage: "health check failed",
      logFields: { description },
    };
  }
  if (now.getTime() < Date.parse(check.deadline)) return undefined;
  const description = truncateLine(
    `${step ? `${step.label} ` : ""}${formatTimeoutDescription({
      rows: assessment.rows,
      timeoutSeconds: target.health.timeoutSeconds,
      defaultNamespace: ns,
    })}`,
  );
  return {
    outcome: "timed-out",
    state: "failure",
    description,
    summary: `${step ? `The ${step.label} step did not become healthy; later steps were not applied.\n\n${step.summary}\n\n` : ""}The objects were applied, but not all of them became healthy within ${target.health.timeoutSeconds}s (\`health.timeoutSeconds\`).\n\n${table}`,
    metrics: [count(HealthMetric.TimedOut, 1)],
    logMessage: "health check timed out",
    logFields: { description },
  };
}

/** A multi-step sync's step: its name, every step's, and which were and were not applied (Markdown). */
function stepContext(
  check: HealthCheck,
): { label: string; steps: readonly string[]; summary: string } | undefined {
  const lifecycle = check.lifecycle;
  if (!lifecycle) return undefined;
  const { steps, step } = lifecycle;
  const label = steps[step] ?? `step ${step + 1}`;
  const lines = steps.map(
    (name, i) =>
      `${i + 1}. ${name}${i < step ? " — applied, healthy" : i === step ? " — applied (this check)" : " — not applied yet"}`,
  );
  return { label, steps, summary: `Steps of this sync:\n\n${lines.join("\n")}` };
}

/** Records the verdict (for `dependsOn`) and posts the final status of a verdict that ends the wait. */
async function concludeFinal(
  ctx: CheckContext,
  assessment: HealthAssessment,
  final: FinalVerdict,
): Promise<HealthCheckReport> {
  // Recorded first: should the post fail, the retried check posts again, and the verdict stands.
  if (ctx.deps.verdicts) {
    await recordVerdict(ctx.deps.verdicts, {
      v: 1,
      target: ctx.target.name,
      sha: ctx.check.sha,
      verdict: final.outcome,
      description: final.description,
      ...(ctx.lastSyncTime === undefined ? {} : { syncedAt: ctx.lastSyncTime }),
      at: ctx.deps.now().toISOString(),
    });
  }
  const posted = await ctx.reporter.finish({
    ...ctx.ref,
    state: final.state,
    description: final.description,
    summary: final.summary,
  });
  await ctx.finishDeployment(final.state, final.description, posted.checkRunUrl);
  ctx.metrics.push(...final.metrics);
  ctx.log(final.logMessage, final.logFields);
  return ctx.report(final.outcome, final.description, assessment);
}

/** Still rolling out: update the pending text if it changed and queue the next, later check. */
async function scheduleNextCheck(
  ctx: CheckContext,
  assessment: HealthAssessment,
  now: Date,
): Promise<HealthCheckReport> {
  const { deps, check, target, reporter, ref, log } = ctx;
  const step = stepContext(check);
  const description = truncateLine(
    `${check.drift ? "drift corrected: " : ""}${step && check.lifecycle ? `${step.label} (step ${check.lifecycle.step + 1} of ${step.steps.length}): ` : ""}${formatWaitingDescription({ applied: check.applied, rows: assessment.rows, defaultNamespace: target.namespace })}`,
  );
  if (description !== check.lastDescription) await reporter.pending({ ...ref, description });
  const next = check.attempt + 1;
  const delay = healthCheckDelaySeconds({
    attempt: next,
    backoff: deps.backoff,
    now,
    deadline: new Date(check.deadline),
  });
  // A queue failure is a retryable DependencyError: this message returns to the queue, and its
  // redelivery checks again and queues the next check then.
  await deps.queue.schedule({ ...check, attempt: next, lastDescription: description }, delay);
  log("waiting", { description, nextCheckInSeconds: delay });
  return ctx.report("waiting", description, assessment);
}
