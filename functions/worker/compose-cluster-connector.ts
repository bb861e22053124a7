/**
 * The cluster connection every cluster-facing function builds the same way: EKS tokens from the
 * function's IAM role or from the role a cluster names (assumed with STS, docs/clusters.md), or a
 * kubeconfig from a secret (or a local file in local mode), cached and renewed, behind
 * lib/cluster's connector. Shared by the worker, the health consumer and the CLI.
 */

import {
  type AssumedRoleEvent,
  createAssumedRoleCredentials,
} from "../../lib/cluster/adapters/assumed-role-credentials.ts";
import { createClusterCredentialsResolver } from "../../lib/cluster/adapters/credentials-resolver.ts";
import { createEksClusterInfoSource } from "../../lib/cluster/adapters/eks-cluster-info.ts";
import type { AwsCredentials, AwsCredentialsProvider } from "../../lib/cluster/adapters/eks-token.ts";
import { createClusterConnector, type KubeconfigEndpoint } from "../../lib/cluster/cluster-connector.ts";
import type { ClusterPort } from "../../lib/cluster/cluster-port.ts";
import { createEksTokenCache } from "../../lib/cluster/eks-token-cache.ts";
import type { SecretReader } from "../../lib/config/adapters/read-secrets.ts";
import type { TargetsFile } from "../../lib/config/targets.ts";

type Connect = ReturnType<typeof createClusterConnector>;

/** Where the AWS APIs are, when not AWS itself (tests and local mode: the emulators). */
export type AwsEndpoints = { sts?: string | undefined; eks?: string | undefined };

/** A connector for `targets`; renews tokens `tokenMarginMs` before they expire and shows each client to `onClusterClient`. */
export function composeClusterConnector(options: {
  targets: TargetsFile;
  /** Which function connects: its session names, and which role of a cluster it assumes (health: `healthRoleArn`). */
  functionName: "worker" | "health" | "cli";
  secrets: SecretReader;
  tokenMarginMs: number;
  now: () => Date;
  awsCredentials?: AwsCredentials | AwsCredentialsProvider | undefined;
  region?: string | undefined;
  localMode: boolean;
  defaultKubeconfigPath?: string | undefined;
  kubeconfigEndpoint?: KubeconfigEndpoint | undefined;
  onClusterClient?: ((client: ClusterPort) => void) | undefined;
  awsEndpoints?: AwsEndpoints | undefined;
  /** Told about each role assumed (the function logs it; the job's delivery id is in the log, not the session). */
  onAssumedRole?: ((event: AssumedRoleEvent) => void) | undefined;
}): Connect {
  const { now, tokenMarginMs } = options;
  const connect = createClusterConnector({
    config: options.targets,
    resolver: createClusterCredentialsResolver({
      clusterInfo: createEksClusterInfoSource({ endpoint: options.awsEndpoints?.eks }),
      assumedRoles: createAssumedRoleCredentials({
        functionName: options.functionName,
        baseCredentials: options.awsCredentials,
        region: options.region,
        endpoint: options.awsEndpoints?.sts,
        now,
        // A role's credentials must outlive every token signed with them by the token margin.
        refreshBeforeExpiryMs: tokenMarginMs,
        ...(options.onAssumedRole === undefined ? {} : { onAssumed: options.onAssumedRole }),
      }),
      roleOf: options.functionName === "health" ? "health" : "worker",
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
