/**
 * Worker Lambda entry point: the only component with cluster credentials. Configuration, GitHub
 * clients, EKS token cache and cluster clients are built once per container (compose-worker.ts)
 * and reused by warm invocations.
 */

import { createParametersSecretReader } from "../../lib/config/adapters/read-secrets.ts";
import { loadOptionalHealthQueueEnv } from "../../lib/config/health-env.ts";
import { loadOptionalStateStoreEnv } from "../../lib/config/state-env.ts";
import { loadWorkerEnv } from "../../lib/config/worker-env.ts";
import { ConfigError } from "../../lib/errors.ts";
import { createGitHubClientProvider } from "../../lib/github/adapters/github-client.ts";
import { createJobGitHubFactory } from "../../lib/github/create-job-github.ts";
import { createSqsHealthCheckQueue } from "../../lib/health/adapters/sqs-health-check-queue.ts";
import { createSqsJobQueue } from "../../lib/jobs/adapters/sqs-job-queue.ts";
import type { JobQueue } from "../../lib/jobs/job-queue.ts";
import { createProcessRenderer } from "../../lib/render/adapters/process-renderer.ts";
import { createS3ObjectStore, lazyS3Client } from "../../lib/state/adapters/s3-object-store.ts";
import { createServiceLogger } from "../../lib/telemetry/adapters/powertools-logger.ts";
import { createServiceMetrics } from "../../lib/telemetry/adapters/powertools-metrics.ts";
import { createFleetCounters } from "../../lib/telemetry/fleet-counters.ts";
import { FleetMetric, ServiceName } from "../../lib/telemetry/metric-names.ts";
import { composeConfigSource } from "../state/compose-config-source.ts";
import { composeWorker } from "./compose-worker.ts";

const env = loadWorkerEnv();
const secrets = createParametersSecretReader({ maxAgeSeconds: env.secretsMaxAgeSeconds });
const state = loadOptionalStateStoreEnv();
// The S3 SDK loads with the first state read or write (verdicts, the fleet cache), not at every cold start.
const stateStore =
  state &&
  createS3ObjectStore({
    bucket: state.bucket,
    client: lazyS3Client({ endpoint: state.endpoint, region: state.region }),
  });
const health = loadOptionalHealthQueueEnv();
const fleetCounters = createFleetCounters();
const config = composeConfigSource(env.targets, state);
const queue = env.jobQueue;
if (config.store !== undefined && queue === undefined) {
  throw new ConfigError(
    "PULLBRIDGE_QUEUE_URL",
    "is required with a `configRepository` (config jobs queue the syncs a config change needs)",
  );
}
// Built on first use: the SQS SDK is ~100 ms of a cold start, needed only by a drift tick's
// fan-out and by config changes that queue syncs.
let jobQueue: Promise<JobQueue> | undefined;
const lazyJobQueue: JobQueue | undefined = queue && {
  async enqueue(jobs) {
    jobQueue ??= (async () => {
      const { SQSClient } = await import("@aws-sdk/client-sqs");
      const client = new SQSClient(queue.endpoint ? { endpoint: queue.endpoint } : {});
      return createSqsJobQueue({ client, queueUrl: queue.url });
    })();
    return await (await jobQueue).enqueue(jobs);
  },
};

export const handler = composeWorker({
  targets: env.targets,
  github: createJobGitHubFactory(
    createGitHubClientProvider({
      config: env.github,
      secrets,
      // The GitHub budget: every answer, and those the rate limit counts (a 304 is free).
      onAnswer: ({ status }) => {
        fleetCounters.add(FleetMetric.GitHubRequests);
        fleetCounters.add(status === 304 ? FleetMetric.GitHubNotModified : FleetMetric.GitHubBudgetUsed);
      },
    }),
  ),
  fleetCounters,
  stateStore,
  jobQueue: lazyJobQueue,
  secrets,
  sourceLimits: env.sourceLimits,
  maxReceiveCount: env.maxReceiveCount,
  region: env.region,
  localMode: env.localMode,
  renderer:
    env.rendererPath === undefined
      ? undefined
      : createProcessRenderer({ binaryPath: env.rendererPath, limits: env.renderLimits }),
  ...(config.store === undefined || lazyJobQueue === undefined
    ? {}
    : { configRepository: { store: config.store, current: config.current, queue: lazyJobQueue } }),
  logger: createServiceLogger(ServiceName.Worker),
  metrics: createServiceMetrics(ServiceName.Worker),
  ...(health === undefined
    ? {}
    : {
        health: {
          queue: createSqsHealthCheckQueue({
            // Built on the first check scheduled: the SQS SDK is ~100 ms of a cold start.
            client: async () => {
              const { SQSClient } = await import("@aws-sdk/client-sqs");
              return new SQSClient(health.sqsEndpoint ? { endpoint: health.sqsEndpoint } : {});
            },
            queueUrl: health.healthQueueUrl,
          }),
          backoff: health.backoff,
        },
      }),
});
