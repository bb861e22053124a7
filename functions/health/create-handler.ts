/**
 * The health Lambda handler, built from injected dependencies: a batch of delayed health checks
 * from the standard health queue, one `runHealthCheck` per record, partial-batch failures out (a
 * retryable failure returns that check to the queue; the DLQ catches what keeps failing). Checks
 * are independent reads, so there is no ordering to keep.
 */
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import type { Metrics } from "@aws-lambda-powertools/metrics";
import middy from "@middy/core";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { type HealthCheckDeps, relayJob, runHealthCheck } from "../../lib/app/run-health-check.ts";
import { describeError } from "../../lib/errors.ts";
import { decodeHealthMessage } from "../../lib/health/health-check-codec.ts";
import { publishJobMetrics } from "../../lib/telemetry/adapters/job-metrics.ts";
import { logFromPowertools } from "../../lib/telemetry/adapters/powertools-logger.ts";

export type HealthHandlerDeps = Omit<HealthCheckDeps, "logger"> & {
  logger: Logger;
  metrics: Metrics;
  /** The targets in force, read per check (a config repository's stored config); without it, `config`. */
  currentConfig?: (() => Promise<HealthCheckDeps["config"]>) | undefined;
};

/** Builds the middy-wrapped Lambda handler. Call once per container. */
export function createHealthHandler(deps: HealthHandlerDeps) {
  const log = logFromPowertools(deps.logger);

  const handleRecord = async (record: SQSRecord) => {
    // An undecodable check cannot be reported anywhere: fail it so it ends in the DLQ (alarmed).
    const message = decodeHealthMessage(record.body);
    if (message.kind === "relay") {
      await relayJob({ ...deps, logger: log }, message.job);
      return;
    }
    const check = message.check;
    deps.logger.appendKeys({ target: check.target, sha: check.sha, attempt: check.attempt });
    try {
      const config = deps.currentConfig === undefined ? deps.config : await deps.currentConfig();
      const report = await runHealthCheck({ ...deps, config, logger: log }, check);
      publishJobMetrics(deps.metrics, report.target, report.metrics);
      log.info("health check done", {
        outcome: report.outcome,
        message: report.message,
        requests: report.requests,
      });
    } catch (error) {
      log.warn("health check returned to the queue", {
        error: describeError(error),
        receiveCount: record.attributes.ApproximateReceiveCount,
      });
      throw error;
    } finally {
      deps.logger.removeKeys(["target", "sha", "attempt"]);
    }
  };

  return middy<SQSEvent, SQSBatchResponse, Error, Context>()
    .use(injectLambdaContext(deps.logger, { resetKeys: true }))
    .handler(async (event, context) => {
      deps.metrics.captureColdStartMetric(context.functionName);
      const processor = new BatchProcessor(EventType.SQS);
      return await processPartialResponse(event, handleRecord, processor, { context });
    });
}
