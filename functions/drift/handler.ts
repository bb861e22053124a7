/**
 * Drift schedule Lambda entry point (composition root): queues one resolve job per repository
 * branch with scheduled targets (the worker fans out one drift check per target). Holds no GitHub or cluster credentials; its role may only send to the job queue.
 */
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import { SQSClient } from "@aws-sdk/client-sqs";
import middy from "@middy/core";
import { driftInputs, enqueueDriftJobs } from "../../lib/app/enqueue-drift-jobs.ts";
import { loadDriftEnv } from "../../lib/config/drift-env.ts";
import { loadOptionalStateStoreEnv } from "../../lib/config/state-env.ts";
import { createSqsJobQueue } from "../../lib/jobs/adapters/sqs-job-queue.ts";
import { createServiceLogger } from "../../lib/telemetry/adapters/powertools-logger.ts";
import { createServiceMetrics } from "../../lib/telemetry/adapters/powertools-metrics.ts";
import { DriftScheduleMetric, ServiceName } from "../../lib/telemetry/metric-names.ts";
import { composeConfigSource } from "../state/compose-config-source.ts";

const env = loadDriftEnv();
const config = composeConfigSource(env.targets, loadOptionalStateStoreEnv());
const logger = createServiceLogger(ServiceName.Drift);
const metrics = createServiceMetrics(ServiceName.Drift);
const queue = createSqsJobQueue({
  client: new SQSClient(env.sqsEndpoint ? { endpoint: env.sqsEndpoint } : {}),
  queueUrl: env.queueUrl,
});

/** The EventBridge scheduled event (only what we read). */
type ScheduledEvent = { id?: string; time?: string };

export const handler = middy<ScheduledEvent, unknown>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  .handler(async (event: ScheduledEvent) => {
    const scheduledAt =
      event.time && !Number.isNaN(Date.parse(event.time)) ? new Date(event.time) : new Date();
    // A retried invocation carries the same event id, so SQS deduplicates its jobs.
    const scheduleId = event.id ?? scheduledAt.toISOString();
    const { targets, expired } = await driftInputs(config.current, config.store, scheduledAt);
    const result = await enqueueDriftJobs({
      targets,
      expired,
      queue,
      now: scheduledAt,
      scheduleId,
    });
    metrics.addMetric(DriftScheduleMetric.JobsQueued, MetricUnit.Count, result.queued.length);
    metrics.addMetric(DriftScheduleMetric.ResolvesQueued, MetricUnit.Count, result.branches.length);
    logger.info("drift checks queued", { ...result });
    return result;
  });
