/**
 * The cluster connection every cluster-facing function builds the same way: EKS tokens from the
 * function's IAM role (or a kubeconfig from a secret, or a local file in local mode), cached
 * and renewed, behind lib/cluster's connector. Shared by the worker and the health consumer.
 */

import { createClusterCredentialsResolver } from "../../lib/cluster/adapters/credentials-resolver.ts";
import { createEksClusterInfoSource } from "../../lib/cluster/adapters/eks-cluster-info.ts";
import type { AwsCredentials, AwsCredentialsProvider } from "../../lib/cluster/adapters/eks-token.ts";
import { createClusterConnector, type KubeconfigEndpoint } from "../../lib/cluster/cluster-connector.ts";
import type { ClusterPort } from "../../lib/cluster/cluster-port.ts";
import { createEksTokenCache } from "../../lib/cluster/eks-token-cache.ts";
import type { SecretReader } from "../../lib/config/adapters/read-secrets.ts";
import type { TargetsFile } from "../../lib/config/targets.ts";

type Connect = ReturnType<typeof createClusterConnector>;

/** A connector for `targets`; renews tokens `tokenMarginMs` before they expire and shows each client to `onClusterClient`. */
export function composeClusterConnector(options: {
  targets: TargetsFile;
  secrets: SecretReader;
  tokenMarginMs: number;
  now: () => Date;
  awsCredentials?: AwsCredentials | AwsCredentialsProvider | undefined;
  region?: string | undefined;
  localMode: boolean;
  defaultKubeconfigPath?: string | undefined;
  kubeconfigEndpoint?: KubeconfigEndpoint | undefined;
  onClusterClient?: ((client: ClusterPort) => void) | undefined;
}): Connect {
  const { now, tokenMarginMs } = options;
  const connect = createClusterConnector({
    config: options.targets,
    resolver: createClusterCredentialsResolver({
      clusterInfo: createEksClusterInfoSource(),
      tokens: createEksTokenCache({
        credentials: options.awsCredentials ?? lazyDefaultProvider(),
        now,
        refreshBeforeExpiryMs: tokenMarginMs,
      }),
      secrets: options.secrets,
      defaultRegion: options.region,
      localMode: options.localMode,
      ...(options.defaultKubeconfigPath === undefined
        ? {}
        : { defaultKubeconfigPath: options.defaultKubeconfigPath }),
    }),
    now,
    refreshBeforeExpiryMs: tokenMarginMs,
    ...(options.kubeconfigEndpoint === undefined ? {} : { kubeconfigEndpoint: options.kubeconfigEndpoint }),
  });
  const observe = options.onClusterClient;
  if (observe === undefined) return connect;
  return async (target, purpose) => {
    const client = await connect(target, purpose);
    observe(client);
    return client;
  };
}

/** The AWS SDK's default credential chain, imported when the first token is signed (not at module load). */
function lazyDefaultProvider(): AwsCredentialsProvider {
  let provider: Promise<AwsCredentialsProvider> | undefined;
  return async () => {
    provider ??= import("@aws-sdk/credential-provider-node").then(({ defaultProvider }) => defaultProvider());
    return (await provider)();
  };
}
