/**
 * Worker Lambda entry point (composition root): the only component with cluster credentials.
 * Configuration, GitHub clients, EKS token cache and cluster clients are built once per
 * container and reused by warm invocations.
 */
import { defaultProvider } from "@aws-sdk/credential-provider-node";
import { createClusterConnector } from "../../lib/cluster/cluster-connector.ts";
import { createClusterCredentialsResolver } from "../../lib/cluster/credentials-resolver.ts";
import { createEksClusterInfoSource } from "../../lib/cluster/eks-cluster-info.ts";
import { createEksTokenCache } from "../../lib/cluster/eks-token-cache.ts";
import { createParametersSecretReader } from "../../lib/config/read-secrets.ts";
import { loadWorkerEnv } from "../../lib/config/worker-env.ts";
import { createJobGitHubFactory } from "../../lib/github/create-job-github.ts";
import { createGitHubClientProvider } from "../../lib/github/github-client.ts";
import { PULLBRIDGE_VERSION } from "../../lib/sync/tooling-version.ts";
import { ServiceName } from "../../lib/telemetry/metric-names.ts";
import { createServiceLogger } from "../../lib/telemetry/powertools-logger.ts";
import { createServiceMetrics } from "../../lib/telemetry/powertools-metrics.ts";
import { createWorkerHandler } from "./create-handler.ts";

const env = loadWorkerEnv();
const now = () => new Date();
const secrets = createParametersSecretReader({ maxAgeSeconds: env.secretsMaxAgeSeconds });
// A token must outlive the longest sync: refresh it when less than the Lambda timeout (max 15 min) remains.
const TOKEN_MARGIN_MS = 5 * 60_000;

export const handler = createWorkerHandler({
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
  now,
  toolingVersion: PULLBRIDGE_VERSION,
  sourceLimits: env.sourceLimits,
  logger: createServiceLogger(ServiceName.Worker),
  metrics: createServiceMetrics(ServiceName.Worker),
});
