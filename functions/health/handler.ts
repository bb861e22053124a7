/**
 * Health Lambda entry point (composition root). It runs as its own IAM role, which the cluster
 * maps to a read-only Kubernetes group (infra/rbac/health-reader-role.yaml): a health check
 * never writes to the cluster. GitHub clients and cluster clients are built once per container.
 */
import { SQSClient } from "@aws-sdk/client-sqs";
import { defaultProvider } from "@aws-sdk/credential-provider-node";
import { createClusterConnector } from "../../lib/cluster/cluster-connector.ts";
import { createClusterCredentialsResolver } from "../../lib/cluster/credentials-resolver.ts";
import { createEksClusterInfoSource } from "../../lib/cluster/eks-cluster-info.ts";
import { createEksTokenCache } from "../../lib/cluster/eks-token-cache.ts";
import { loadHealthEnv } from "../../lib/config/health-env.ts";
import { createParametersSecretReader } from "../../lib/config/read-secrets.ts";
import { createJobGitHubFactory } from "../../lib/github/create-job-github.ts";
import { createGitHubClientProvider } from "../../lib/github/github-client.ts";
import { createSqsHealthCheckQueue } from "../../lib/health/sqs-health-check-queue.ts";
import { ServiceName } from "../../lib/telemetry/metric-names.ts";
import { createServiceLogger } from "../../lib/telemetry/powertools-logger.ts";
import { createServiceMetrics } from "../../lib/telemetry/powertools-metrics.ts";
import { createHealthHandler } from "./create-handler.ts";

const env = loadHealthEnv();
const now = () => new Date();
const secrets = createParametersSecretReader({ maxAgeSeconds: env.secretsMaxAgeSeconds });
// A check takes a second or two; a token with a minute left is plenty.
const TOKEN_MARGIN_MS = 60_000;

export const handler = createHealthHandler({
  config: env.targets,
  github: createJobGitHubFactory(createGitHubClientProvider({ config: env.github, secrets })),
  connectCluster: createClusterConnector({
    config: env.targets,
    resolver: createClusterCredentialsResolver({
      clusterInfo: createEksClusterInfoSource(),
      tokens: createEksTokenCache({
        credentials: defaultProvider(),
        now,
        refreshBeforeExpiryMs: TOKEN_MARGIN_MS,
      }),
      secrets,
      defaultRegion: env.region,
      localMode: env.localMode,
    }),
    now,
    refreshBeforeExpiryMs: TOKEN_MARGIN_MS,
  }),
  queue: createSqsHealthCheckQueue({
    client: new SQSClient(env.sqsEndpoint ? { endpoint: env.sqsEndpoint } : {}),
    queueUrl: env.healthQueueUrl,
  }),
  backoff: env.backoff,
  now,
  logger: createServiceLogger(ServiceName.Health),
  metrics: createServiceMetrics(ServiceName.Health),
});
