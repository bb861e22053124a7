/**
 * The worker Lambda handler, built from injected dependencies: an SQS FIFO batch in, one
 * `runJob` per record (in order), partial-batch failures out. Uses the Powertools FIFO batch
 * processor with `skipGroupOnError`: when a job fails retryably, every later record of the same
 * target (message group) is returned too, so a target's jobs never run out of order, while other
 * targets in the batch proceed.
 */
import { processPartialResponse, SqsFifoPartialProcessorAsync } from "@aws-lambda-powertools/batch";
import type { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import type { Metrics } from "@aws-lambda-powertools/metrics";
import middy from "@middy/core";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { runJob, type WorkerDeps } from "../../lib/app/run-job.ts";
import { timeBudgetSignal } from "../../lib/cluster/time-budget.ts";
import { describeError } from "../../lib/errors.ts";
import { decodeJob, jobSubject } from "../../lib/jobs/job-codec.ts";
import { publishJobMetrics, publishServiceMetrics } from "../../lib/telemetry/adapters/job-metrics.ts";
import { logFromPowertools } from "../../lib/telemetry/adapters/powertools-logger.ts";
import { FleetMetric } from "../../lib/telemetry/metric-names.ts";

export type WorkerHandlerDeps = Omit<WorkerDeps, "logger" | "signal" | "attempt"> & {
  logger: Logger;
  metrics: Metrics;
  /** Stop a sync this long before the Lambda deadline, so it can be retried cleanly (default 10 s). */
  deadlineMarginMs?: number;
  /** The queue's redrive `maxReceiveCount`: receives before a job moves to the dead-letter queue. */
  maxReceiveCount: number;
};

/** Builds the middy-wrapped Lambda handler. Call once per container. */
export function createWorkerHandler(deps: WorkerHandlerDeps) {
  const log = logFromPowertools(deps.logger);
  const margin = deps.deadlineMarginMs ?? 10_000;

  const handleRecord = async (record: SQSRecord, context: Context | undefined) => {
    // An undecodable message cannot be reported anywhere: fail it so it ends in the DLQ (alarmed), never dropped.
    const job = decodeJob(record.body);
    const remaining = context?.getRemainingTimeInMillis?.() ?? 15 * 60_000;
    // The transport reads this budget to decide whether a server-requested wait fits in process.
    const signal = timeBudgetSignal(Math.max(1_000, remaining - margin));
    deps.logger.appendKeys({ target: jobSubject(job), deliveryId: job.deliveryId, jobType: job.type });
    try {
      const attempt = {
        number: Number(record.attributes.ApproximateReceiveCount) || 1,
        of: deps.maxReceiveCount,
      };
      const report = await runJob({ ...deps, logger: log, signal, attempt }, job);
      publishJobMetrics(deps.metrics, report.target, report.metrics);
      // How long after its tick a drift check finished: a fleet whose tick outlasts the schedule shows here.
      if (job.type === "drift") {
        const lag = deps.now().getTime() - Date.parse(job.receivedAt);
        publishServiceMetrics(deps.metrics, [
          { name: FleetMetric.DriftTickLag, value: lag, unit: "Milliseconds" },
        ]);
      }
      log.info("job done", {
        outcome: report.outcome,
        sha: report.sha,
        syncedSha: report.syncedSha,
        // `message` is Powertools' own key (the log line's text): a field of that name would be dropped.
        summary: report.message,
      });
    } catch (error) {
      log.warn("job returned to the queue", {
        error: describeError(error),
        receiveCount: record.attributes.ApproximateReceiveCount,
      });
      throw error;
    } finally {
      deps.logger.removeKeys(["target", "deliveryId", "jobType"]);
    }
  };

  return middy<SQSEvent, SQSBatchResponse, Error, Context>()
    .use(injectLambdaContext(deps.logger, { resetKeys: true }))
    .handler(async (event, context) => {
      // Job metrics are published per job (each has its own `target` dimension), so the
      // logMetrics middleware would only warn about an empty set: record the cold start directly.
      deps.metrics.captureColdStartMetric(context.functionName);
      const processor = new SqsFifoPartialProcessorAsync();
      try {
        return await processPartialResponse(
          event,
          (record: SQSRecord) => handleRecord(record, context),
          processor,
          {
            context,
            skipGroupOnError: true,
          },
        );
      } finally {
        // The batch's cache hits and misses and GitHub budget, as fleet totals (no target dimension).
        publishServiceMetrics(deps.metrics, deps.fleet?.counters.take() ?? []);
      }
    });
}
