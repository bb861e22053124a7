/**
 * Connects a target to its cluster: resolves credentials (EKS token or stored kubeconfig, plus
 * the target's impersonation) and builds a ClusterPort, reused across jobs of a warm container
 * until its credentials come close to expiring.
 */
import type { Target, TargetsFile } from "../config/targets.ts";
import { ConfigError } from "../errors.ts";
import type { ClusterPort } from "./cluster-port.ts";
import type { ClusterCredentialsResolver, Impersonation } from "./credentials-resolver.ts";
import { type ClusterClient, createClusterClient } from "./kube-cluster-client.ts";
import { connectionFromToken } from "./kube-connection.ts";
import type { KubeEndpoint } from "./kube-http-transport.ts";

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
};

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
        : { kubeConfig: await kubeConfigOf(credentials) };
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

/**
 * A stored kubeconfig goes through client-node (its auth plugins, proxies, file references),
 * loaded on first use: an EKS-only worker never loads it (it is most of the bundle's weight).
 */
async function kubeConfigOf(credentials: { kubeconfig: string; context?: string | undefined }) {
  const { kubeConfigFromText } = await import("./kube-config.ts");
  return kubeConfigFromText({ text: credentials.kubeconfig, context: credentials.context });
}
