/**
 * A sync or drift job: coalesce to the branch head (reporting an older commit as superseded),
 * fetch and load the manifests there, sync, and conclude (job-outcome.ts says what is posted).
 */

import { ConfigError, describeError, isRetryable, SyncRefusedError } from "../errors.ts";
import { type DriftJob, JobTrigger, type SyncJob } from "../jobs/job-codec.ts";
import { parseLifecycleCursor, runInProgress } from "../lifecycle/lifecycle-cursor.ts";
import { formatDuration, formatFailureDescription } from "../reporting/format-description.ts";
import { formatSyncPending } from "../reporting/format-job-report.ts";
import type { SkippedFile } from "../source/git-source.ts";
import type { SyncResult } from "../sync/sync-result.ts";
import { type PlannedWrite, syncTarget } from "../sync/sync-target.ts";
import type { EmittedMetric } from "../telemetry/emitted-metric.ts";
import { lastSyncOf } from "./already-synced.ts";
import { checkDependencies, dependencyRecheckSeconds } from "./check-dependencies.ts";
import { type Conclusion, type Described, describeConclusion, failureMessage } from "./job-outcome.ts";
import { loadSyncObjects, type SyncObjects } from "./load-cached-objects.ts";
import { readTargetInventory } from "./read-target-inventory.ts";
import { type JobReport, jobReportOf, postConclusion, settleFailure } from "./report-job.ts";
import { changedObjects } from "./report-sync-result.ts";
import { runIdOf } from "./run-lifecycle.ts";
import { lifecyclePlanOf, needsLifecycle, startLifecycleRun } from "./run-lifecycle-job.ts";
import { startHealthWait } from "./start-health-wait.ts";
import { type DeploymentTracking, finishDeployment, startDeployment } from "./track-deployment.ts";
import { refuseUnverifiedHead } from "./verified-commits.ts";
import type { JobContext } from "./worker-deps.ts";

/** Called before the first write of a sync; may throw `HeadMovedSignal` to sync another commit instead. */
type WriteGuard = (planned: Pick<PlannedWrite, "willWrite" | "lastSyncedSha">) => Promise<void>;

/**
 * A drift check about to write a commit the cluster was not last synced to learned (from a
 * conditional head lookup) that the branch moved on: it syncs the head instead. Internal to this
 * module — thrown by the write guard, caught by `runSyncJob` — never reported.
 */
class HeadMovedSignal extends Error {
  readonly head: string;
  constructor(head: string) {
    super(`the branch head moved to ${head}`);
    this.name = "HeadMovedSignal";
    this.head = head;
  }
}

/** Syncs the loaded objects in one step (`alert` targets stop before writing drift back). */
async function syncAtHead(
  context: JobContext,
  head: string,
  now: Date,
  tracking: DeploymentTracking,
  loaded: SyncObjects,
  guard: WriteGuard | undefined,
): Promise<{ result: SyncResult; skipped: SkippedFile[] }> {
  const { deps, target } = context;
  const { desired, skipped, connect } = loaded;
  const cluster = await connect();
  // Drift = the cluster differs from the very set of manifests pullbridge last applied (the
  // engine compares digests, so a README-only commit in between does not hide it). `alert`
  // targets stop before the first write when that is the only change; new manifests apply.
  const result = await syncTarget(
    { ...deps.engine, cluster, toolingVersion: deps.toolingVersion },
    {
      target,
      desired,
      configuredTargets: deps.config.targets,
      revision: { sha: head },
      now,
      mode: "apply",
      onDrift: target.drift === "alert" ? "stop" : "apply",
      signal: deps.signal,
      // The GitHub Deployment starts once the change is planned and dry-run, with its counts.
      beforeWrite: async (planned) => {
        await guard?.(planned);
        await startDeployment(tracking, planned);
      },
    },
  );
  return { result, skipped };
}

/**
 * A drift check while a multi-step run is going (its cursor on the parent says so) would write
 * waves out of order: the check stops instead, and the run's own steps continue. Only saves harm:
 * when the cluster cannot be asked, the check goes on (and reports whatever fails).
 */
async function runningRun(context: JobContext) {
  const { deps, target } = context;
  try {
    const cluster = await deps.connectCluster(target, "sync");
    const cursor = parseLifecycleCursor((await readTargetInventory(cluster, target, deps.signal)).lifecycle);
    return runInProgress(cursor, deps.now()) ? cursor : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The parent's record when `head` was already synced successfully by this version. Only saves
 * work: when the cluster cannot be asked, the full sync runs (and reports whatever fails).
 */
async function skipIfSynced(context: JobContext, head: string) {
  const { deps, target } = context;
  try {
    const cluster = await deps.connectCluster(target, "sync");
    return await lastSyncOf({
      cluster,
      target,
      head,
      toolingVersion: deps.toolingVersion,
      signal: deps.signal,
      now: deps.now(),
    });
  } catch (error) {
    deps.logger.debug("could not read the ApplySet parent before syncing; syncing in full", {
      target: target.name,
      error: describeError(error),
    });
    return undefined;
  }
}

type JobLog = (message: string, fields?: Record<string, unknown>) => void;

/** Posts pending, syncs `head` and posts the conclusion; what a job does once it must sync. */
async function syncAndConclude(
  context: JobContext,
  job: SyncJob | DriftJob,
  head: string,
  log: JobLog,
  tracking: DeploymentTracking,
  guard: WriteGuard | undefined,
): Promise<Described> {
  const { deps, target, github } = context;
  // Drift checks post nothing unless something is found: a status every 10 minutes would be noise.
  if (job.type !== "drift") {
    const description = formatSyncPending(target.path, target.namespace, deps.attempt);
    await github.reporter.pending({
      repo: target.repo,
      target: target.name,
      kind: "sync",
      sha: head,
      description,
    });
  }
  const started = deps.now().getTime();
  const syncNow = deps.now();
  // A Helm chart renders as an install until the target synced once, then as an upgrade.
  const loaded = await loadSyncObjects(context, head);
  if (loaded.cache !== "off") {
    deps.logger.debug("render cache", { target: target.name, sha: head, cache: loaded.cache });
  }
  const trigger = tracking.trigger;
  const plan = lifecyclePlanOf({
    context,
    desired: loaded.desired,
    sha: head,
    release: loaded.release,
    trigger,
  });
  for (const note of [...loaded.notes, ...plan.notes]) {
    deps.logger.info("render note", { target: target.name, sha: head, note });
  }
  if (needsLifecycle(plan)) {
    // A multi-step run writes from its first step: a drift check re-checks the head first.
    await guard?.({ willWrite: true, lastSyncedSha: undefined });
    return await startLifecycleRun(context, {
      run: {
        run: runIdOf(job.deliveryId, head),
        sha: head,
        startedAt: syncNow,
        release: loaded.release,
        trigger,
      },
      plan,
      desired: loaded.desired,
      cluster: await loaded.connect(),
      from: 0,
      installationId: job.type === "sync" ? job.installationId : undefined,
      tracking,
      log,
    });
  }
  const { result, skipped } = await syncAtHead(context, head, syncNow, tracking, loaded, guard);
  const conclusion: Conclusion =
    target.drift === "alert" && result.drift
      ? { type: "drift-detected", target, head, result, skipped }
      : {
          type: "synced",
          target,
          head,
          result,
          durationMs: deps.now().getTime() - started,
          scheduled: job.type === "drift",
          skipped,
        };
  // Health gating: instead of `success` at apply, post `pending` and queue the first delayed
  // health check; the health consumer reports the verdict. The worker returns at once.
  const health = deps.health;
  const gate =
    conclusion.type === "synced" &&
    describeConclusion(conclusion).finish !== undefined &&
    target.health.wait &&
    health !== undefined
      ? await startHealthWait(
          { ...health, reporter: github.reporter, now: deps.now },
          {
            target,
            installationId: job.type === "sync" ? job.installationId : undefined,
            sha: head,
            result,
            syncNow,
            drift: result.drift,
            deploymentId: tracking.handle?.id,
          },
        )
      : undefined;
  let described: Described;
  if (gate?.waiting) {
    // The deployment stays `in_progress` while the health checks run (they post the commit status).
    described = { ...describeConclusion(conclusion), message: gate.description };
    log("waiting for health", { description: gate.description, firstCheckInSeconds: gate.delaySeconds });
  } else {
    const posted = await postConclusion(github, conclusion);
    await finishDeployment(tracking, {
      state: posted.finish?.state ?? "success",
      description: posted.finish?.description ?? posted.message,
      logUrl: posted.checkRunUrl,
    });
    described = posted;
  }
  if (conclusion.type === "drift-detected") {
    log("drift detected (alert mode, nothing written)", { objects: changedObjects(result) });
  } else {
    log("sync finished", {
      description: described.message,
      requests: result.requests,
      durationsMs: result.durationsMs,
    });
  }
  return described;
}

const TRIGGERS: Record<JobTrigger, DeploymentTracking["trigger"]> = {
  [JobTrigger.Webhook]: "push",
  [JobTrigger.Manual]: "manual",
  [JobTrigger.Config]: "config",
};
const triggerOf = (trigger: JobTrigger) => TRIGGERS[trigger];

/**
 * The target's `dependsOn`: ready (undefined), failed (thrown, naming the dependency), or still
 * waiting — then the job is put back on the queue after a delay (the health consumer relays it)
 * and this invocation returns: a delayed re-check, never a waiting Lambda.
 */
async function waitForDependencies(
  context: JobContext,
  job: SyncJob | DriftJob,
  head: string,
  log: JobLog,
): Promise<Described | undefined> {
  const { deps, target, github } = context;
  if (target.dependsOn.length === 0) return undefined;
  const state = await checkDependencies(
    {
      config: deps.config,
      connectCluster: deps.connectCluster,
      verdicts: deps.verdicts,
      now: deps.now,
      signal: deps.signal,
    },
    target,
    head,
  );
  if (state.kind === "ready") return undefined;
  if (state.kind === "failed") {
    throw new SyncRefusedError(`dependency ${state.target} ${state.reason}`);
  }
  const now = deps.now();
  const since = job.waitingSince ?? now.toISOString();
  const waitedMs = now.getTime() - Date.parse(since);
  if (waitedMs >= target.dependsOnTimeoutSeconds * 1000) {
    throw new SyncRefusedError(
      `dependency ${state.target} ${state.reason} after ${formatDuration(waitedMs)} (dependsOnTimeoutSeconds: ${target.dependsOnTimeoutSeconds})`,
    );
  }
  const health = deps.health;
  if (!health) {
    throw new ConfigError(
      `targets.${target.name}.dependsOn`,
      "waiting for a dependency needs the health queue (PULLBRIDGE_HEALTH_QUEUE_URL), which delays the re-check",
    );
  }
  const attempt = (job.waitAttempt ?? 0) + 1;
  const description = `waiting for ${state.target}: it ${state.reason}`;
  if (attempt === 1 && job.type !== "drift") {
    await github.reporter.pending({
      repo: target.repo,
      target: target.name,
      kind: "sync",
      sha: head,
      description,
    });
  }
  const base = job.deliveryId.replace(/-w\d+$/, "").slice(0, 90);
  const delaySeconds = dependencyRecheckSeconds(attempt);
  await health.queue.relay(
    { ...job, deliveryId: `${base}-w${attempt}`, waitingSince: since, waitAttempt: attempt },
    delaySeconds,
  );
  log("waiting for a dependency", {
    dependency: state.target,
    reason: state.reason,
    recheckInSeconds: delaySeconds,
  });
  return { finish: undefined, metrics: [], outcome: "waiting", message: description };
}

/** Runs a sync (or scheduled drift) job; throws only retryable errors. */
export async function runSyncJob(context: JobContext, job: SyncJob | DriftJob): Promise<JobReport> {
  const { deps, target, github } = context;
  const jobSha = job.type === "sync" ? job.sha : undefined;
  const log: JobLog = (message, fields = {}) =>
    deps.logger.info(message, { target: job.target, sha: jobSha, deliveryId: job.deliveryId, ...fields });
  const metrics: EmittedMetric[] = [context.jobAge];

  // Coalesce: always sync the branch's current head, never roll the cluster back to an older commit.
  const branch = { repo: target.repo, branch: target.branch };
  const fleet = deps.fleet;
  const resolveHead = async () =>
    fleet === undefined
      ? await github.source.headSha(branch)
      : (await fleet.heads.resolve(github.source, branch, deps.signal)).sha;
  // A drift check carries the head its tick resolved once for the whole branch; it asks again
  // (conditionally: a 304 is free) only before writing over a different commit than the last synced.
  const checked = job.type === "drift" ? job.sha : undefined;
  let head = checked ?? (await resolveHead());
  const guard: WriteGuard | undefined =
    checked === undefined
      ? undefined
      : async (planned) => {
          if (!planned.willWrite || planned.lastSyncedSha === checked) return;
          const now = await resolveHead();
          if (now !== checked) throw new HeadMovedSignal(now);
        };
  const superseded = jobSha !== undefined && jobSha !== head;
  if (superseded) {
    const described = await postConclusion(github, { type: "superseded", target, sha: jobSha, head });
    metrics.push(...described.metrics);
    log("job superseded by the branch head", { head });
  }
  const trackingOf = (at: string): DeploymentTracking => ({
    github,
    target,
    head: at,
    trigger: job.type === "drift" ? "drift" : triggerOf(job.trigger),
    logger: deps.logger,
  });
  let tracking = trackingOf(head);
  try {
    // A push whose head is already synced (a redelivery, or an older push that coalesced to it)
    // has nothing to do; drift checks and manual syncs always run. A retry always runs: its
    // earlier attempt may have synced and then failed to report.
    // A project that requires verified commits refuses an unverified head before any cluster work.
    await refuseUnverifiedHead(context, head);
    const firstAttempt = (deps.attempt?.number ?? 1) === 1;
    if (job.type === "drift") {
      const running = await runningRun(context);
      if (running !== undefined) {
        log("drift check skipped: a multi-step sync is running", { run: running.run, step: running.step });
        return jobReportOf(
          {
            finish: undefined,
            metrics: [],
            outcome: "skipped",
            message: `run ${running.run} of ${running.sha.slice(0, 7)} is in progress`,
          },
          { target: target.name, sha: jobSha, syncedSha: head },
          metrics,
        );
      }
    }
    if (job.type === "sync" && job.trigger === JobTrigger.Webhook && firstAttempt) {
      const lastSync = await skipIfSynced(context, head);
      if (lastSync !== undefined) {
        log("job skipped: the branch head is already synced", { head, lastSyncTime: lastSync.time });
        return jobReportOf(
          describeConclusion({ type: "already-synced", head }),
          { target: target.name, sha: jobSha, syncedSha: head },
          metrics,
        );
      }
    }
    const waiting = await waitForDependencies(context, job, head, log);
    if (waiting) return jobReportOf(waiting, { target: target.name, sha: jobSha, syncedSha: head }, metrics);
    let described: Described;
    try {
      described = await syncAndConclude(context, job, head, log, tracking, guard);
    } catch (error) {
      if (!(error instanceof HeadMovedSignal)) throw error;
      // Nothing was written: the guard runs before the first write.
      log("the drift check's commit is no longer the head; checking the head instead", {
        checked: head,
        head: error.head,
      });
      head = error.head;
      tracking = trackingOf(head);
      described = await syncAndConclude(context, job, head, log, tracking, undefined);
    }
    // An older commit's job that synced the head says so, unless what it did was take back drift.
    const outcome =
      superseded && described.outcome !== "drift-corrected" && described.outcome !== "drift-detected"
        ? "superseded-and-synced"
        : described.outcome;
    return jobReportOf(
      { ...described, outcome },
      { target: target.name, sha: jobSha, syncedSha: head },
      metrics,
    );
  } catch (error) {
    // A retry gets a deployment of its own; a started one ends here, as `error` (pullbridge could
    // not finish it). A broken or refused commit is recorded as a failed deployment.
    await finishDeployment(tracking, {
      state: isRetryable(error) || error instanceof ConfigError ? "error" : "failure",
      description: formatFailureDescription(failureMessage(error)),
    });
    return await settleFailure({
      logger: deps.logger,
      github,
      error,
      target,
      sha: head,
      kind: "sync",
      metrics,
      jobSha,
      attempt: deps.attempt,
      quietRetries: job.type === "drift",
    });
  }
}
