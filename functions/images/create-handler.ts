/**
 * The image functions' handlers, built from injected dependencies (tests pass the GitHub fake
 * and fauxqs; handler.ts / intake.ts pass the real adapters):
 * - intake: an EventBridge `ECR Image Action` event → image jobs on the FIFO queue;
 * - updater: an SQS FIFO batch of image jobs → at most one commit (or pull request) per job, in
 *   order per branch (`skipGroupOnError`: after a retryable failure the branch's later jobs wait).
 * Neither holds cluster credentials.
 */
import { processPartialResponse, SqsFifoPartialProcessorAsync } from "@aws-lambda-powertools/batch";
import type { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import type { Metrics } from "@aws-lambda-powertools/metrics";
import middy from "@middy/core";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { handleImageEvent, type ImageIntakeResult } from "../../lib/app/handle-image-event.ts";
import { type ImageJobResult, runImageJob } from "../../lib/app/run-image-job.ts";
import type { Target } from "../../lib/config/targets.ts";
import { describeError, isRetryable } from "../../lib/errors.ts";
import { parseEcrEvent } from "../../lib/images/image-event.ts";
import { decodeImageJob, type ImageJob } from "../../lib/images/image-job.ts";
import type { ImageJobQueue } from "../../lib/images/image-job-queue.ts";
import type { GitIdentity, ImageRepo } from "../../lib/images/image-repo.ts";
import { publishImageOutcome } from "../../lib/telemetry/adapters/image-metrics.ts";

export type ImageIntakeHandlerDeps = {
  targets: readonly Target[];
  /** The targets in force, read per event (a config repository's stored config); without it, `targets`. */
  currentTargets?: (() => Promise<readonly Target[]>) | undefined;
  queue: ImageJobQueue;
  logger: Logger;
  metrics: Metrics;
  now?: () => Date;
};

/** EventBridge → image jobs. A rejected event returns normally (EventBridge must not retry it). */
export function createImageIntakeHandler(deps: ImageIntakeHandlerDeps) {
  const now = deps.now ?? (() => new Date());
  return middy<unknown, ImageIntakeResult, Error, Context>()
    .use(injectLambdaContext(deps.logger, { resetKeys: true }))
    .handler(async (event) => {
      const result = await handleImageEvent(parseEcrEvent(event), {
        targets: deps.currentTargets === undefined ? deps.targets : await deps.currentTargets(),
        queue: deps.queue,
        now,
      });
      if (result.kind === "rejected") {
        publishImageOutcome(deps.metrics, { kind: "ignored", reason: result.code });
        deps.logger.info("image event rejected", { code: result.code, reason: result.reason });
      } else {
        publishImageOutcome(deps.metrics, { kind: "queued", jobs: result.jobs });
        deps.logger.info("image jobs queued", {
          jobs: result.jobs,
          reason: result.reason,
          messageIds: result.messageIds,
        });
      }
      return result;
    });
}

export type ImageUpdaterHandlerDeps = {
  targets: readonly Target[];
  /** The targets in force, read per job (a config repository's stored config); without it, `targets`. */
  currentTargets?: (() => Promise<readonly Target[]>) | undefined;
  /** The Git data port authenticated for the job's repository (App installation or token). */
  repoFor: (job: ImageJob) => Promise<ImageRepo>;
  identity: GitIdentity;
  logger: Logger;
  metrics: Metrics;
  maxAttempts?: number;
  /** Called after each job's result (local mode delivers the push GitHub would send for a commit). */
  onResult?: (job: ImageJob, result: ImageJobResult) => Promise<void>;
};

function logResult(logger: Logger, job: ImageJob, result: ImageJobResult): void {
  const base = {
    repo: job.repo,
    branch: job.branch,
    image: `${job.image.repository}:${job.image.tag}`,
    eventId: job.eventId,
  };
  switch (result.kind) {
    case "committed":
      logger.info("image update committed", {
        ...base,
        sha: result.sha,
        attempts: result.attempts,
        changes: result.changes.length,
      });
      break;
    case "proposed":
      logger.info("image update proposed", {
        ...base,
        sha: result.sha,
        pullRequest: result.pullRequest.url,
        created: result.pullRequest.created,
      });
      break;
    case "unchanged":
      logger.info("image update: nothing to change", {
        ...base,
        reason: result.reason,
        ignored: result.ignored.map((i) => i.reason),
      });
      break;
    case "ignored":
      logger.info("image update ignored", { ...base, code: result.code, reason: result.reason });
      break;
  }
}

/** SQS FIFO batch of image jobs → commits / pull requests. */
export function createImageUpdaterHandler(deps: ImageUpdaterHandlerDeps) {
  const handleRecord = async (record: SQSRecord) => {
    // An undecodable message fails, so it ends in the DLQ (alarmed) instead of being dropped.
    const job = decodeImageJob(record.body);
    try {
      const repo = await deps.repoFor(job);
      const result = await runImageJob(job, {
        targets: deps.currentTargets === undefined ? deps.targets : await deps.currentTargets(),
        repo,
        identity: deps.identity,
        ...(deps.maxAttempts === undefined ? {} : { maxAttempts: deps.maxAttempts }),
      });
      logResult(deps.logger, job, result);
      await deps.onResult?.(job, result);
      if (result.kind === "committed" || result.kind === "proposed")
        publishImageOutcome(deps.metrics, { kind: result.kind });
      else if (result.kind === "ignored")
        publishImageOutcome(deps.metrics, { kind: "ignored", reason: result.code });
      else {
        const codes = new Set(result.ignored.map((i) => i.code));
        publishImageOutcome(deps.metrics, {
          kind: "ignored",
          reason: codes.size === 1 ? ([...codes][0] ?? "nothing-to-change") : "nothing-to-change",
        });
      }
    } catch (error) {
      publishImageOutcome(deps.metrics, { kind: "failed" });
      deps.logger.warn(
        isRetryable(error) ? "image job returned to the queue" : "image job failed permanently",
        {
          repo: job.repo,
          branch: job.branch,
          error: describeError(error),
          receiveCount: record.attributes.ApproximateReceiveCount,
        },
      );
      // Permanent failures are acknowledged (logged and counted); retryable ones go back to the queue.
      if (isRetryable(error)) throw error;
    }
  };

  return middy<SQSEvent, SQSBatchResponse, Error, Context>()
    .use(injectLambdaContext(deps.logger, { resetKeys: true }))
    .handler(async (event, context) => {
      deps.metrics.captureColdStartMetric(context.functionName);
      return await processPartialResponse(event, handleRecord, new SqsFifoPartialProcessorAsync(), {
        context,
        skipGroupOnError: true,
      });
    });
}
