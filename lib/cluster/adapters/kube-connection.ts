/**
 * What the transport needs to reach one API server: its URL, the TLS material, and the
 * authentication headers (asked for again every minute, so rotating credentials are renewed).
 * Built from an EKS / static bearer token here (no client-node on the worker's EKS path), or
 * from a client-node `KubeConfig` by `kube-config-connection.ts` (kubeconfig files and secrets).
 */
import type { Agent as HttpAgent, OutgoingHttpHeaders } from "node:http";
import type { AgentOptions } from "node:https";

/** TLS options for the transport's HTTPS agent, as client-node's `applyToHTTPSOptions` sets them. */
export type KubeTls = Pick<
  AgentOptions,
  "ca" | "cert" | "key" | "pfx" | "passphrase" | "rejectUnauthorized" | "servername"
>;

export type KubeConnection = {
  /** The API server's URL (`https://host:port[/prefix]`). */
  readonly server: string;
  readonly tls: KubeTls;
  /** Headers that authenticate a request (`authorization`, a kubeconfig's impersonation). */
  authHeaders(): Promise<OutgoingHttpHeaders>;
  /** Send through this agent instead of the transport's own (a kubeconfig's `proxy-url`). */
  readonly agent?: HttpAgent | undefined;
};

/** A connection that authenticates with a bearer token (EKS tokens, static tokens); `caData` is base64 PEM. */
export function connectionFromToken(options: {
  server: string;
  caData: string;
  token: string;
}): KubeConnection {
  const ca = options.caData === "" ? undefined : Buffer.from(options.caData, "base64");
  const headers: OutgoingHttpHeaders = { Authorization: `Bearer ${options.token}` };
  return {
    server: options.server,
    tls: ca === undefined ? {} : { ca },
    authHeaders: async () => headers,
  };
}
