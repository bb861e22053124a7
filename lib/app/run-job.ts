/**
 * The worker's use case: one queued job → coalesce to the branch head → fetch the tree → load
 * manifests → sync (or preview) → report on the commit → metrics to emit. Retryable failures are
 * thrown (the job goes back to the queue, and to the DLQ after maxReceiveCount); permanent ones
 * are reported on the commit and returned, so the message is acknowledged.
 */
import type { ClusterPort } from "../cluster/cluster-port.ts";
import type { Target, TargetsFile } from "../config/targets.ts";
import {
  ConfigError,
  describeError,
  formatLocation,
  isRetryable,
  ManifestSetError,
  PullbridgeError,
  SyncRefusedError,
} from "../errors.ts";
import type { JobGitHub, JobGitHubFactory } from "../github/job-github-ports.ts";
import type { DriftJob, Job, PreviewJob, SyncJob } from "../jobs/job-codec.ts";
import { manifestPolicyOf } from "../manifests/check-policy.ts";
import { loadManifests } from "../manifests/load-manifests.ts";
import { renderObjectDiff } from "../manifests/render-object-diff.ts";
import type { FinalState, ReportAnnotation, ReportKind } from "../reporting/commit-reporter.ts";
import {
  formatDiffText,
  formatOutcomeSummary,
  manifestAnnotations,
  type ObjectOutcome as ReportedOutcome,
} from "../reporting/format-check-run.ts";
import {
  formatDriftDescription,
  formatFailureDescription,
  formatPreviewTitle,
  formatSupersededDescription,
  formatSyncDescription,
} from "../reporting/format-description.ts";
import type { SourceLimits } from "../source/git-source.ts";
import type { SyncResult } from "../sync/sync-result.ts";
import { type SyncDeps, syncTarget } from "../sync/sync-target.ts";
import type { EmittedMetric } from "../telemetry/emitted-metric.ts";
import type { Log } from "../telemetry/log.ts";
import { PreviewMetric, SyncMetric } from "../telemetry/metric-names.ts";
import { changeTouchesTarget } from "./preview-scope.ts";

export type WorkerDeps = {
  config: TargetsFile;
  github: JobGitHubFactory;
  connectCluster: (target: Target, purpose: "sync" | "preview") => Promise<ClusterPort>;
  logger: Log;
  now: () => Date;
  toolingVersion: string;
  sourceLimits: SourceLimits;
  /** Engine tuning (concurrency, CRD wait); tests shorten waits here. */
  engine?: Omit<SyncDeps, "cluster" | "toolingVersion">;
  /** Aborts the sync shortly before the Lambda deadline; the job is then retried. */
  signal?: AbortSignal | undefined;
};

export type JobOutcome =
  | "synced"
  | "no-changes"
  | "drift-corrected"
  | "drift-detected"
  | "superseded-and-synced"
  | "previewed"
  | "preview-rejected"
  | "preview-superseded"
  | "skipped"
  | "failed";

export type JobReport = {
  outcome: JobOutcome;
  target: string;
  /** The job's commit (drift checks name none). */
  sha?: string | undefined;
  /** Commit actually synced (the branch head), when it differs from the job's. */
  syncedSha?: string | undefined;
  message: string;
  metrics: EmittedMetric[];
};

const count = (name: string, value: number): EmittedMetric => ({ name, value, unit: "Count" });
const millis = (name: string, value: number): EmittedMetric => ({ name, value, unit: "Milliseconds" });

/** Counters that only matter when non-zero are emitted only then (each metric costs money per month). */
function nonZero(metrics: EmittedMetric[]): EmittedMetric[] {
  return metrics.filter((m) => m.value !== 0);
}

function outcomesOf(result: SyncResult): ReportedOutcome[] {
  const action = {
    created: "create",
    updated: "update",
    unchanged: "unchanged",
    pruned: "prune",
    skipped: "unchanged",
  } as const;
  return result.outcomes.map((o) => ({
    object: o.object,
    action: action[o.outcome],
    ...(o.source ? { file: o.source.file } : {}),
    ...(o.outcome === "skipped" && o.reason ? { reason: `kept: ${o.reason}` } : {}),
  }));
}

function diffsOf(result: SyncResult) {
  return (
    result.outcomes
      .filter((o) => o.outcome === "created" || o.outcome === "updated" || o.outcome === "pruned")
      // The engine renders diffs for the first `maxDiffs` objects; render any it left out.
      .map((o) => ({ object: o.object, diff: o.diff ?? renderObjectDiff(o.before, o.after) }))
      .filter((d) => d.diff !== "")
  );
}

function changedObjects(result: SyncResult): string[] {
  return result.outcomes
    .filter((o) => ["created", "updated", "pruned"].includes(o.outcome))
    .map((o) => o.object);
}

function failureState(error: unknown): FinalState {
  // `failure`: the change is wrong (manifests, refused by the cluster). `error`: configuration or pullbridge.
  return error instanceof ConfigError ? "error" : "failure";
}

/** Handles one job; throws only retryable errors. */
export async function runJob(deps: WorkerDeps, job: Job): Promise<JobReport> {
  const startedAt = deps.now();
  const jobAge = millis(SyncMetric.JobAge, Math.max(0, startedAt.getTime() - Date.parse(job.receivedAt)));
  const jobSha = job.type === "drift" ? undefined : job.sha;
  const log = (message: string, fields: Record<string, unknown> = {}) =>
    deps.logger.info(message, { target: job.target, sha: jobSha, deliveryId: job.deliveryId, ...fields });

  const target = deps.config.targets.find((t) => t.name === job.target);
  if (!target || target.repo.toLowerCase() !== job.repo.toLowerCase()) {
    const message = target
      ? `target "${job.target}" reads ${target.repo}, not ${job.repo}`
      : `unknown target "${job.target}" (not in this deployment's targets file)`;
    if (jobSha !== undefined) {
      const github = await deps.github({
        installationId: job.type === "drift" ? undefined : job.installationId,
        repo: job.repo,
      });
      await github.reporter.finish({
        repo: job.repo,
        sha: jobSha,
        target: job.target,
        kind: job.type === "preview" ? "preview" : "sync",
        state: "error",
        description: formatFailureDescription(message),
        summary: message,
      });
    }
    deps.logger.error("job for an unknown target acknowledged", {
      target: job.target,
      repo: job.repo,
      message,
    });
    return {
      outcome: "failed",
      target: job.target,
      sha: jobSha,
      message,
      metrics: [count(SyncMetric.Failed, 1), jobAge],
    };
  }

  const github = await deps.github({
    installationId: job.type === "drift" ? undefined : job.installationId,
    repo: target.repo,
  });
  return job.type === "preview"
    ? await runPreview(deps, job, target, github, jobAge)
    : await runSync(deps, job, target, github, jobAge, log);
}

async function runSync(
  deps: WorkerDeps,
  job: SyncJob | DriftJob,
  target: Target,
  github: JobGitHub,
  jobAge: EmittedMetric,
  log: (message: string, fields?: Record<string, unknown>) => void,
): Promise<JobReport> {
  const { reporter, source } = github;
  const ref = { repo: target.repo, target: target.name, kind: "sync" as const };
  const metrics: EmittedMetric[] = [jobAge];
  const scheduled = job.type === "drift";
  const jobSha = job.type === "sync" ? job.sha : undefined;

  // Coalesce: always sync the branch's current head, never roll the cluster back to an older commit.
  const head = await source.headSha({ repo: target.repo, branch: target.branch });
  if (jobSha !== undefined && jobSha !== head) {
    await reporter.finish({
      ...ref,
      sha: jobSha,
      state: "success",
      description: formatSupersededDescription(head),
      summary: `A newer commit (${head}) is at the head of \`${target.branch}\`; pullbridge synced that instead of rolling the cluster back to this one.`,
    });
    metrics.push(count(SyncMetric.Superseded, 1));
    log("job superseded by the branch head", { head });
  }

  // Drift checks post nothing unless something is found: a status every 10 minutes would be noise.
  if (!scheduled)
    await reporter.pending({
      ...ref,
      sha: head,
      description: `syncing ${target.path} to ${target.namespace}`,
    });
  const started = deps.now().getTime();
  try {
    const tree = await source.fetchTree({
      repo: target.repo,
      sha: head,
      path: target.path,
      limits: deps.sourceLimits,
    });
    const desired = loadManifests({ files: tree, targetPath: target.path, policy: manifestPolicyOf(target) });
    const cluster = await deps.connectCluster(target, "sync");
    const engine = { ...deps.engine, cluster, toolingVersion: deps.toolingVersion };
    // Drift = the cluster differs from the very set of manifests pullbridge last applied (the
    // engine compares digests, so a README-only commit in between does not hide it). `alert`
    // targets stop before the first write when that is the only change; new manifests apply.
    const result = await syncTarget(engine, {
      target,
      desired,
      revision: { sha: head },
      now: deps.now(),
      mode: "apply",
      onDrift: target.drift === "alert" ? "stop" : "apply",
      signal: deps.signal,
    });
    const isDrift = result.drift;
    if (target.drift === "alert" && isDrift) {
      const objects = changedObjects(result);
      await reporter.finish({
        ...ref,
        sha: head,
        state: "failure",
        description: formatDriftDescription(objects),
        summary: formatOutcomeSummary(outcomesOf(result), {
          lead: "The cluster differs from this commit, which it was synced to. Drift policy is `alert`: nothing was changed. Revert the edit in the cluster, or commit it.",
        }),
        text: formatDiffText(diffsOf(result)),
      });
      metrics.push(count(SyncMetric.DriftDetected, objects.length));
      log("drift detected (alert mode, nothing written)", { objects });
      return {
        outcome: "drift-detected",
        target: target.name,
        sha: jobSha,
        syncedSha: head,
        message: formatDriftDescription(objects),
        metrics,
      };
    }
    const durationMs = deps.now().getTime() - started;
    const c = result.counts;
    const description = formatSyncDescription(c, durationMs);
    const quietNoop = scheduled && !result.changed;
    if (!quietNoop) {
      await reporter.finish({
        ...ref,
        sha: head,
        state: "success",
        description: isDrift ? `drift corrected: ${description}` : description,
        summary: formatOutcomeSummary(outcomesOf(result)),
        text: formatDiffText(diffsOf(result)),
      });
    }
    metrics.push(
      count(SyncMetric.Succeeded, 1),
      millis(SyncMetric.Duration, durationMs),
      ...nonZero([
        count(SyncMetric.ObjectsCreated, c.created),
        count(SyncMetric.ObjectsUpdated, c.updated),
        count(SyncMetric.ObjectsPruned, c.pruned),
        count(SyncMetric.DriftCorrected, isDrift ? changedObjects(result).length : 0),
        count(SyncMetric.DryRunFallbacks, result.dryRunFallbacks),
      ]),
      count(SyncMetric.ObjectsUnchanged, c.unchanged),
      count(SyncMetric.ApiRequests, result.requests.reads + result.requests.writes + result.requests.dryRuns),
    );
    log("sync finished", { description, requests: result.requests, durationsMs: result.durationsMs });
    const outcome: JobOutcome = isDrift ? "drift-corrected" : result.changed ? "synced" : "no-changes";
    return {
      outcome:
        jobSha !== undefined && jobSha !== head && outcome !== "drift-corrected"
          ? "superseded-and-synced"
          : outcome,
      target: target.name,
      sha: jobSha,
      syncedSha: head,
      message: description,
      metrics,
    };
  } catch (error) {
    return await reportFailure({ deps, error, target, sha: head, kind: "sync", github, metrics, jobSha });
  }
}

async function runPreview(
  deps: WorkerDeps,
  job: PreviewJob,
  target: Target,
  github: JobGitHub,
  jobAge: EmittedMetric,
): Promise<JobReport> {
  const { reporter, source } = github;
  const { number } = job.pullRequest;
  const sha = job.pullRequest.headSha;
  const ref = { repo: target.repo, target: target.name, kind: "preview" as const, sha };
  const metrics: EmittedMetric[] = [jobAge];
  const log = (message: string, fields: Record<string, unknown> = {}) =>
    deps.logger.info(message, {
      target: target.name,
      sha,
      pullRequest: number,
      deliveryId: job.deliveryId,
      ...fields,
    });

  // Supersede: a newer push to the pull request queued its own preview; planning this one would only
  // post a stale result (and cost a tarball and a cluster read). One REST call.
  const head = await bestEffort(deps, "looking up the pull request head", () =>
    source.pullRequestHead({ repo: target.repo, number }),
  );
  if (head !== undefined && head !== sha) {
    await reporter.finish({
      ...ref,
      state: "success",
      description: formatSupersededDescription(head),
      summary: `A newer commit (${head}) was pushed to pull request #${number}; its preview replaces this one. Nothing was planned for this commit.`,
    });
    log("preview superseded by a newer pull request head", { head });
    return {
      outcome: "preview-superseded",
      target: target.name,
      sha,
      message: formatSupersededDescription(head),
      metrics,
    };
  }

  // Scope: a pull request that touches nothing under the target's path cannot change its plan. One
  // REST call; when GitHub cannot list every file (or the compare fails for good), preview anyway.
  const changed = await bestEffort(deps, "listing the files the pull request changes", () =>
    source.changedPaths({ repo: target.repo, base: job.before, head: sha }),
  );
  if (changed !== undefined && !changeTouchesTarget(changed, target.path)) {
    const message = `pull request #${number} changes nothing under ${target.path}/`;
    log("preview skipped: the pull request does not touch the target path", {
      changedFiles: changed.paths.length,
    });
    return { outcome: "skipped", target: target.name, sha, message, metrics };
  }

  await reporter.pending({
    ...ref,
    description: `previewing PR #${number} against the live cluster`,
  });
  const started = deps.now().getTime();
  try {
    // The head commit is read from the base repository: a fork's commits are reachable there through
    // the pull request ref, and the installation may have no access to the fork itself.
    const tree = await source.fetchTree({
      repo: target.repo,
      sha,
      path: target.path,
      limits: deps.sourceLimits,
    });
    const desired = loadManifests({ files: tree, targetPath: target.path, policy: manifestPolicyOf(target) });
    const cluster = await deps.connectCluster(target, "preview");
    const result = await syncTarget(
      { ...deps.engine, cluster, toolingVersion: deps.toolingVersion },
      { target, desired, revision: { sha }, now: deps.now(), mode: "plan", signal: deps.signal },
    );
    const title = formatPreviewTitle(result.counts);
    await reporter.finish({
      ...ref,
      state: "success",
      description: title,
      title,
      summary: formatOutcomeSummary(outcomesOf(result), { kind: "preview" }),
      text: formatDiffText(diffsOf(result)),
    });
    metrics.push(count(PreviewMetric.Run, 1), millis(PreviewMetric.Duration, deps.now().getTime() - started));
    log("preview finished", { title, requests: result.requests });
    return { outcome: "previewed", target: target.name, sha, message: title, metrics };
  } catch (error) {
    metrics.push(count(PreviewMetric.Run, 1));
    return await reportFailure({ deps, error, target, sha, kind: "preview", github, metrics, jobSha: sha });
  }
}

/**
 * Runs a lookup that only saves work: a permanent failure (e.g. the token cannot read pull
 * requests) is logged and answered `undefined`, so the caller does the full job; a retryable one
 * is thrown, so the job is retried.
 */
async function bestEffort<T>(
  deps: WorkerDeps,
  what: string,
  lookup: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return await lookup();
  } catch (error) {
    if (isRetryable(error)) throw error;
    deps.logger.warn(`${what} failed; previewing anyway`, { error: describeError(error) });
    return undefined;
  }
}

/** Annotations for a permanent failure: manifest problems, and objects the cluster's dry-run refused. */
function failureAnnotations(error: unknown): ReportAnnotation[] {
  if (error instanceof ManifestSetError) {
    return manifestAnnotations(
      error.errors.map((e) => ({
        file: e.location.file,
        ...(e.location.line === undefined ? {} : { line: e.location.line }),
        ...(e.location.column === undefined ? {} : { column: e.location.column }),
        message: e.reason,
      })),
    );
  }
  if (error instanceof SyncRefusedError) {
    const located = error.refusals.flatMap((r) =>
      r.source === undefined
        ? []
        : [
            {
              file: r.source.file,
              ...(r.source.line === undefined ? {} : { line: r.source.line }),
              ...(r.source.column === undefined ? {} : { column: r.source.column }),
              title: `refused by ${r.by === "policy" ? "the target's policy" : "the cluster"}: ${r.object}`,
              message: r.reason,
            },
          ],
    );
    if (located.length > 0) return manifestAnnotations(located);
    if (error.source !== undefined) {
      return manifestAnnotations([
        {
          file: error.source.file,
          ...(error.source.line === undefined ? {} : { line: error.source.line }),
          ...(error.source.column === undefined ? {} : { column: error.source.column }),
          title: error.object === undefined ? "refused" : `refused: ${error.object}`,
          message: error.message,
        },
      ]);
    }
  }
  return [];
}

/** The failure's Markdown details: one line per manifest problem or refused object, else the message. */
function failureDetails(error: unknown, message: string): string {
  if (error instanceof ManifestSetError) return error.errors.map((e) => `- ${e.message}`).join("\n");
  if (error instanceof SyncRefusedError && error.refusals.length > 0) {
    return error.refusals
      .map(
        (r) =>
          `- \`${r.object}\`${r.source === undefined ? "" : ` (\`${formatLocation(r.source)}\`)`}: ${r.reason}`,
      )
      .join("\n");
  }
  return `\`\`\`\n${message}\n\`\`\``;
}

/** Reports a permanent failure on the commit (and returns), or rethrows a retryable one. */
async function reportFailure(options: {
  deps: WorkerDeps;
  error: unknown;
  target: Target;
  sha: string;
  jobSha: string | undefined;
  kind: ReportKind;
  github: JobGitHub;
  metrics: EmittedMetric[];
}): Promise<JobReport> {
  const { deps, error, target, sha, kind, github, metrics } = options;
  const fields = { target: target.name, sha, error: describeError(error) };
  if (isRetryable(error)) {
    deps.logger.warn("job failed, will be retried", fields);
    throw error;
  }
  const message = error instanceof PullbridgeError ? error.message : describeError(error);
  const annotations = failureAnnotations(error);
  const details = failureDetails(error, message);
  await github.reporter.finish({
    repo: target.repo,
    sha,
    target: target.name,
    kind,
    state: failureState(error),
    description: formatFailureDescription(message),
    summary: `${kind === "preview" ? "This change would be rejected" : "Nothing was changed in the cluster"}: ${
      error instanceof ManifestSetError
        ? `${error.errors.length} manifest problem(s).`
        : error instanceof SyncRefusedError && error.refusals.length > 0
          ? `${error.refusals.length} object(s) refused (by the target's policy or the cluster's server-side dry-run).`
          : "the sync was refused."
    }\n\n${details}`,
    ...(annotations.length > 0 ? { annotations } : {}),
  });
  deps.logger.error(kind === "preview" ? "preview rejected" : "sync failed permanently", fields);
  metrics.push(count(kind === "preview" ? PreviewMetric.Failed : SyncMetric.Failed, 1));
  return {
    outcome: kind === "preview" ? "preview-rejected" : "failed",
    target: target.name,
    sha: options.jobSha,
    syncedSha: sha,
    message,
    metrics,
  };
}
