/**
 * Posting a conclusion on its commit, and settling a failure: a retryable one goes back to the
 * queue, a permanent one is reported and acknowledged. Shared by the sync and preview runners.
 */
import type { Target } from "../config/targets.ts";
import { describeError, isRetryable } from "../errors.ts";
import type { JobGitHub } from "../github/job-github-ports.ts";
import type { ReportKind } from "../reporting/commit-reporter.ts";
import { formatRetrying } from "../reporting/format-job-report.ts";
import type { EmittedMetric } from "../telemetry/emitted-metric.ts";
import type { Log } from "../telemetry/log.ts";
import {
  type Conclusion,
  type Described,
  describeConclusion,
  failureMessage,
  type JobOutcome,
} from "./job-outcome.ts";
import type { JobAttempt } from "./worker-deps.ts";

/** What the worker handler gets back for one job: the outcome, the ids, and the metrics to emit. */
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

/** The job report of a described conclusion, after the metrics the job emitted before it. */
export function jobReportOf(
  described: Described,
  ids: { target: string; sha: string | undefined; syncedSha?: string },
  before: readonly EmittedMetric[],
): JobReport {
  return {
    outcome: described.outcome,
    ...ids,
    message: described.message,
    metrics: [...before, ...described.metrics],
  };
}

/** Posts what `conclusion` reports (if anything) and returns its description. */
export async function postConclusion(github: JobGitHub, conclusion: Conclusion): Promise<Described> {
  const described = describeConclusion(conclusion);
  if (described.finish !== undefined) await github.reporter.finish(described.finish);
  return described;
}

/**
 * Makes a retryable failure visible before it is thrown back to the queue: a pending status
 * "retrying: attempt 2 of 5 — …" while attempts remain, a failure after the last one (the queue
 * then moves the message to the dead-letter queue). Posting is best effort: the job is retried
 * whatever GitHub answers.
 */
async function announceRetry(options: SettleOptions, attempt: JobAttempt): Promise<void> {
  const { github, target, sha, kind, error } = options;
  const last = attempt.number >= attempt.of;
  try {
    if (last) {
      await postConclusion(github, { type: "gave-up", target, sha, kind, error, attempts: attempt.number });
    } else if (!options.quietRetries) {
      await github.reporter.pending({
        repo: target.repo,
        target: target.name,
        kind,
        sha,
        description: formatRetrying(attempt.number + 1, attempt.of, failureMessage(error)),
      });
    }
  } catch (postError) {
    options.logger.warn("could not report the retry on the commit", {
      target: target.name,
      sha,
      error: describeError(postError),
    });
  }
}

type SettleOptions = {
  logger: Log;
  github: JobGitHub;
  error: unknown;
  target: Target;
  /** The commit the failure is reported on (the synced head, or the previewed commit). */
  sha: string;
  jobSha: string | undefined;
  kind: ReportKind;
  metrics: readonly EmittedMetric[];
  attempt?: JobAttempt | undefined;
  /** Drift checks post no "retrying" statuses (a status every 10 minutes would be noise); their last attempt still reports. */
  quietRetries?: boolean;
};

/** Reports a permanent failure on the commit (and returns), or announces and rethrows a retryable one. */
export async function settleFailure(options: SettleOptions): Promise<JobReport> {
  const { logger, error, target, sha, kind } = options;
  const fields = { target: target.name, sha, error: describeError(error) };
  if (isRetryable(error)) {
    logger.warn("job failed, will be retried", { ...fields, attempt: options.attempt?.number });
    if (options.attempt !== undefined) await announceRetry(options, options.attempt);
    throw error;
  }
  const described = await postConclusion(options.github, { type: "failed", target, sha, kind, error });
  logger.error(kind === "preview" ? "preview rejected" : "sync failed permanently", fields);
  return jobReportOf(
    described,
    { target: target.name, sha: options.jobSha, syncedSha: sha },
    options.metrics,
  );
}
