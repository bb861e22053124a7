/**
 * Health Lambda entry point. It runs as its own IAM role, which the cluster maps to a read-only
 * Kubernetes group (infra/rbac/health-reader-role.yaml): a health check never writes to the
 * cluster. Everything is built once per container (compose-health.ts).
 */
import { SQSClient } from "@aws-sdk/client-sqs";
import { createParametersSecretReader } from "../../lib/config/adapters/read-secrets.ts";
import { loadHealthEnv } from "../../lib/config/health-env.ts";
import { loadOptionalStateStoreEnv } from "../../lib/config/state-env.ts";
import { createGitHubClientProvider } from "../../lib/github/adapters/github-client.ts";
import { createJobGitHubFactory } from "../../lib/github/create-job-github.ts";
import { createSqsHealthCheckQueue } from "../../lib/health/adapters/sqs-health-check-queue.ts";
import { createSqsJobQueue } from "../../lib/jobs/adapters/sqs-job-queue.ts";
import { createS3ObjectStore, lazyS3Client } from "../../lib/state/adapters/s3-object-store.ts";
import { createServiceLogger } from "../../lib/telemetry/adapters/powertools-logger.ts";
import { createServiceMetrics } from "../../lib/telemetry/adapters/powertools-metrics.ts";
import { ServiceName } from "../../lib/telemetry/metric-names.ts";
import { composeConfigSource } from "../state/compose-config-source.ts";
import { composeHealth } from "./compose-health.ts";

const env = loadHealthEnv();
const secrets = createParametersSecretReader({ maxAgeSeconds: env.secretsMaxAgeSeconds });
const state = loadOptionalStateStoreEnv();
// The S3 SDK loads with the first verdict read or written, not at every cold start.
const stateStore =
  state &&
  createS3ObjectStore({
    bucket: state.bucket,
    client: lazyS3Client({ endpoint: state.endpoint, region: state.region }),
  });
const sqs = new SQSClient(env.sqsEndpoint ? { endpoint: env.sqsEndpoint } : {});

const { current } = composeConfigSource(env.targets, loadOptionalStateStoreEnv());

export const handler = composeHealth({
  targets: env.targets,
  ...(env.targets.configRepository === undefined ? {} : { currentConfig: () => current.targets() }),
  github: createJobGitHubFactory(createGitHubClientProvider({ config: env.github, secrets })),
  secrets,
  queue: createSqsHealthCheckQueue({ client: sqs, queueUrl: env.healthQueueUrl }),
  jobs:
    env.jobQueueUrl === undefined ? undefined : createSqsJobQueue({ client: sqs, queueUrl: env.jobQueueUrl }),
  backoff: env.backoff,
  region: env.region,
  localMode: env.localMode,
  logger: createServiceLogger(ServiceName.Health),
  metrics: createServiceMetrics(ServiceName.Health),
  stateStore,
});
