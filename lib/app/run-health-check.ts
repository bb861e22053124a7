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
import type { HealthCheck } from "../health/health-check-codec.ts";
import type { HealthCheckQueue } from "../health/health-check-queue.ts";
import { type HealthBackoff, healthCheckDelaySeconds } from "../health/health-schedule.ts";
import type { DeploymentFinalState } from "../reporting/deployment-reporter.ts";
import { formatSupersededDescription } from "../reporting/format-description.ts";
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
  backoff: HealthBackoff;
  logger: Log;
  now: () => Date;
};

export type HealthCheckOutcome =
  | "healthy"
  | "failed"
  | "timed-out"
  | "waiting"
  | "superseded"
  | "replaced"
  | "unknown-target";

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

  // Superseded: a newer sync wrote the ApplySet parent after the one this check waits for.
  const parentName = applySetParentName(target);
  const parent = await cluster.getApplySetParent({ namespace: target.namespace, name: parentName });
  const inventory = readApplySetParent({ parent, name: parentName, namespace: target.namespace });
  const last = inventory.lastSync;
  if (last && Date.parse(last.time) > Date.parse(check.syncedAt)) return await concludeReplaced(ctx, last);

  const { assessment } = await readLive({
    cluster,
    subjects: check.subjects,
    rules: rulesOf(target),
    applySetId: inventory.id,
  });
  const now = deps.now();
  const final = finalVerdictOf(ctx, assessment, now);
  if (final !== undefined) return await concludeFinal(ctx, assessment, final);
  return await scheduleNextCheck(ctx, assessment, now);
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
  if (assessment.verdict === "current") {
    const timeToHealthyMs = Math.max(0, now.getTime() - Date.parse(check.appliedAt));
    const description = `${check.drift ? "drift corrected: " : ""}${formatHealthyDescription({ objects: check.applied, timeToHealthyMs })}`;
    return {
      outcome: "healthy",
      state: "success",
      description,
      summary: `Every object pullbridge applied is rolled out and healthy (check ${check.attempt}).\n\n${table}`,
      metrics: [millis(HealthMetric.TimeToHealthy, timeToHealthyMs), count(HealthMetric.Healthy, 1)],
      logMessage: "healthy",
      logFields: { timeToHealthyMs },
    };
  }
  if (assessment.verdict === "failed") {
    const description = formatFailedDescription({ rows: assessment.rows, defaultNamespace: ns });
    return {
      outcome: "failed",
      state: "failure",
      description,
      summary: `The objects were applied, but at least one will not become healthy without a change; pullbridge did not wait for the ${target.health.timeoutSeconds}s timeout.\n\n${table}`,
      metrics: [count(HealthMetric.Failed, 1)],
      logMessage: "health check failed",
      logFields: { description },
    };
  }
  if (now.getTime() < Date.parse(check.deadline)) return undefined;
  const description = formatTimeoutDescription({
    rows: assessment.rows,
    timeoutSeconds: target.health.timeoutSeconds,
    defaultNamespace: ns,
  });
  return {
    outcome: "timed-out",
    state: "failure",
    description,
    summary: `The objects were applied, but not all of them became healthy within ${target.health.timeoutSeconds}s (\`health.timeoutSeconds\`).\n\n${table}`,
    metrics: [count(HealthMetric.TimedOut, 1)],
    logMessage: "health check timed out",
    logFields: { description },
  };
}

/** Posts the final status of a verdict that ends the wait. */
async function concludeFinal(
  ctx: CheckContext,
  assessment: HealthAssessment,
  final: FinalVerdict,
): Promise<HealthCheckReport> {
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
  const description = `${check.drift ? "drift corrected: " : ""}${formatWaitingDescription({ applied: check.applied, rows: assessment.rows, defaultNamespace: target.namespace })}`;
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
