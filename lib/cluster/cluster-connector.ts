/**
 * Connects a target to its cluster: resolves credentials (EKS token or stored kubeconfig, plus
 * the target's impersonation) and builds a ClusterPort, reused across jobs of a warm container
 * until its credentials come close to expiring.
 */
import type { Target, TargetsFile } from "../config/targets.ts";
import { ConfigError } from "../errors.ts";
import type { ClusterCredentialsResolver, Impersonation } from "./adapters/credentials-resolver.ts";
import { type ClusterClient, createClusterClient } from "./adapters/kube-cluster-client.ts";
import { connectionFromToken } from "./adapters/kube-connection.ts";
import type { KubeEndpoint } from "./adapters/kube-http-transport.ts";
import type { ClusterPort } from "./cluster-port.ts";
import { connectionFromStaticKubeconfig } from "./static-kubeconfig.ts";

/** Which identity a job acts as: syncs use `impersonate`, previews `previewImpersonate`, health checks `healthImpersonate` when set. */
export type ClusterPurpose = "sync" | "preview" | "health";

export type ClusterConnector = (target: Target, purpose: ClusterPurpose) => Promise<ClusterPort>;

export type ClusterConnectorOptions = {
  config: Pick<TargetsFile, "clusters">;
  resolver: ClusterCredentialsResolver;
  now: () => Date;
  /** Drop a cached client this long before its token expires, so no sync outlives its token. */
  refreshBeforeExpiryMs: number;
  maxConnections?: number;
  /**
   * How a kubeconfig's text becomes an endpoint. Default: the inline-credentials reader
   * (`static-kubeconfig.ts`, what a Lambda can use); local mode passes client-node's full
   * KubeConfig (exec plugins, files, proxies) from `kube-config.ts`.
   */
  kubeconfigEndpoint?: KubeconfigEndpoint;
};

/** Turns stored or local kubeconfig text (and an optional context) into what the transport connects with. */
export type KubeconfigEndpoint = (kubeconfig: {
  text: string;
  context?: string | undefined;
}) => Promise<KubeEndpoint>;

const staticKubeconfigEndpoint: KubeconfigEndpoint = async (kubeconfig) => ({
  connection: connectionFromStaticKubeconfig(kubeconfig),
});

type Entry = { client: ClusterClient; expiresAt: number };

function impersonationFor(target: Target, purpose: ClusterPurpose): Impersonation | undefined {
  if (purpose === "preview") return target.previewImpersonate ?? target.impersonate;
  if (purpose === "health") return target.healthImpersonate ?? target.impersonate;
  return target.impersonate;
}

/** Builds the connector once per container. */
export function createClusterConnector(options: ClusterConnectorOptions): ClusterConnector {
  const cache = new Map<string, Entry>();
  return async (target, purpose) => {
    const cluster = options.config.clusters[target.cluster];
    if (!cluster)
      throw new ConfigError(`targets.${target.name}.cluster`, `unknown cluster "${target.cluster}"`);
    const impersonate = impersonationFor(target, purpose);
    const key = JSON.stringify([target.cluster, impersonate?.user, impersonate?.groups]);
    const now = options.now().getTime();
    const cached = cache.get(key);
    if (cached && cached.expiresAt - options.refreshBeforeExpiryMs > now) return cached.client;

    const access = await options.resolver.resolve({ cluster, clusterKey: target.cluster, impersonate });
    const { credentials } = access;
    const endpoint: KubeEndpoint =
      credentials.kind === "token"
        ? { connection: connectionFromToken(credentials) }
        : await (options.kubeconfigEndpoint ?? staticKubeconfigEndpoint)({
            text: credentials.kubeconfig,
            context: credentials.context,
          });
    const client = await createClusterClient({
      ...endpoint,
      impersonate: access.impersonate,
      ...(options.maxConnections === undefined ? {} : { maxConnections: options.maxConnections }),
    });
    const expiresAt =
      credentials.kind === "token" ? credentials.expiresAt.getTime() : Number.POSITIVE_INFINITY;
    cache.set(key, { client, expiresAt });
    // The replaced client's keep-alive sockets would otherwise stay open for the life of the container.
    if (cached) await cached.client.close();
    return client;
  };
}
