/**
 * Health Lambda entry point. It runs as its own IAM role, which the cluster maps to a read-only
 * Kubernetes group (infra/rbac/health-reader-role.yaml): a health check never writes to the
 * cluster. Everything is built once per container (compose-health.ts).
 */
import { SQSClient } from "@aws-sdk/client-sqs";
import { loadHealthEnv } from "../../lib/config/health-env.ts";
import { createParametersSecretReader } from "../../lib/config/read-secrets.ts";
import { createJobGitHubFactory } from "../../lib/github/create-job-github.ts";
import { createGitHubClientProvider } from "../../lib/github/github-client.ts";
import { createSqsHealthCheckQueue } from "../../lib/health/sqs-health-check-queue.ts";
import { ServiceName } from "../../lib/telemetry/metric-names.ts";
import { createServiceLogger } from "../../lib/telemetry/powertools-logger.ts";
import { createServiceMetrics } from "../../lib/telemetry/powertools-metrics.ts";
import { composeHealth } from "./compose-health.ts";

const env = loadHealthEnv();
const secrets = createParametersSecretReader({ maxAgeSeconds: env.secretsMaxAgeSeconds });

export const handler = composeHealth({
  targets: env.targets,
  github: createJobGitHubFactory(createGitHubClientProvider({ config: env.github, secrets })),
  secrets,
  queue: createSqsHealthCheckQueue({
    client: new SQSClient(env.sqsEndpoint ? { endpoint: env.sqsEndpoint } : {}),
    queueUrl: env.healthQueueUrl,
  }),
  backoff: env.backoff,
  region: env.region,
  localMode: env.localMode,
  logger: createServiceLogger(ServiceName.Health),
  metrics: createServiceMetrics(ServiceName.Health),
});
