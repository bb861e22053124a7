/**
 * A `KubeConnection` from a client-node `KubeConfig` (current context): the kubeconfig's TLS
 * material, proxy agent and authentication (tokens, client certificates, basic auth, exec and
 * auth-provider plugins) through `applyToHTTPSOptions`. Only the type is imported here: the
 * package itself is loaded by whoever built the `KubeConfig` (kube-config.ts).
 */
import type { Agent as HttpAgent, OutgoingHttpHeaders } from "node:http";
import type { RequestOptions } from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";
import { ClusterError } from "../../errors.ts";
import type { KubeConnection } from "./kube-connection.ts";

async function readOptions(
  kubeConfig: KubeConfig,
): Promise<{ opts: RequestOptions; headers: OutgoingHttpHeaders }> {
  const opts: RequestOptions = {};
  await kubeConfig.applyToHTTPSOptions(opts);
  const headers: OutgoingHttpHeaders = {};
  const given = opts.headers;
  if (given && !Array.isArray(given)) Object.assign(headers, given);
  if (opts.auth) headers.authorization = `Basic ${Buffer.from(opts.auth).toString("base64")}`;
  return { opts, headers };
}

/** Reads the KubeConfig once now (TLS, first headers); later `authHeaders()` calls read it again. */
export async function connectionFromKubeConfig(kubeConfig: KubeConfig): Promise<KubeConnection> {
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) {
    throw new ClusterError("kubeconfig has no current cluster", { retryable: false });
  }
  const first = await readOptions(kubeConfig);
  const tls = first.opts;
  let unused: OutgoingHttpHeaders | undefined = first.headers;
  return {
    server: cluster.server,
    tls: {
      ca: tls.ca,
      cert: tls.cert,
      key: tls.key,
      pfx: tls.pfx,
      passphrase: tls.passphrase,
      rejectUnauthorized: tls.rejectUnauthorized,
      servername: tls.servername,
    },
    // A proxy needs client-node's proxy agent; otherwise the transport's keep-alive agent with this TLS material.
    agent: cluster.proxyUrl ? (tls.agent as HttpAgent | undefined) : undefined,
    authHeaders: async () => {
      if (unused !== undefined) {
        const headers = unused;
        unused = undefined;
        return headers;
      }
      return (await readOptions(kubeConfig)).headers;
    },
  };
}
