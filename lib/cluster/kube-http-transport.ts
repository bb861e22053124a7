/**
 * A thin HTTPS transport to the Kubernetes API, built from a client-node `KubeConfig`.
 *
 * Why not the generated clients or `KubernetesObjectApi`: they round-trip every object through
 * the typed ObjectSerializer (slow, and it drops fields it does not know, which would corrupt
 * custom resources and managedFields comparisons), `KubernetesObjectApi` issues its own
 * discovery GET per unseen kind, and their positional-argument methods hide which requests are
 * sent, so they cannot be counted exactly. Here `KubeConfig` still does what it is good at —
 * loading config, TLS material and authentication (tokens, client certs, exec plugins) through
 * `applyToHTTPSOptions` — and requests go over one keep-alive agent, so 1,000 applies reuse a
 * handful of TLS connections instead of handshaking per request.
 */
import { Agent as HttpAgent, request as httpRequest, type OutgoingHttpHeaders } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest, type RequestOptions } from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";
import { ClusterError, type ClusterErrorCause } from "../errors.ts";
import type { RequestCounts } from "./cluster-port.ts";

/** How a request is counted. */
export type RequestClass = "read" | "write" | "dryRun";

export type TransportRequest = {
  method: "GET" | "PATCH" | "DELETE" | "POST" | "PUT";
  /** Path (no query), e.g. `/api/v1/namespaces/x/configmaps`. */
  path: string;
  query?: Record<string, string | undefined>;
  body?: unknown;
  contentType?: string;
  accept?: string;
  countAs: RequestClass;
  /** Counted as a LIST page too. */
  listPage?: boolean;
  signal?: AbortSignal | undefined;
};

export type TransportResponse = { status: number; contentType: string; body: unknown };

/** Who to act as (Kubernetes impersonation headers). */
export type Impersonation = { user: string; groups?: readonly string[] };

/** Sends requests and counts them; errors are raised as ClusterError by the caller's mapping. */
export type KubeTransport = {
  readonly server: string;
  send(request: TransportRequest): Promise<TransportResponse>;
  counts(): RequestCounts;
};

/** Connections kept open to the API server; bounds the client's in-flight requests too. */
const MAX_SOCKETS = 32;
/** Auth headers are refreshed this often so exec-plugin / EKS tokens rotate in warm processes. */
const AUTH_REFRESH_MS = 60_000;
/** A single request never hangs a Lambda invocation. */
const REQUEST_TIMEOUT_MS = 60_000;

type AuthState = { headers: OutgoingHttpHeaders; fetchedAt: number };

/** Builds a counting keep-alive transport from a KubeConfig (current context). */
export async function createKubeTransport(options: {
  kubeConfig: KubeConfig;
  impersonate?: Impersonation | undefined;
  maxSockets?: number;
}): Promise<KubeTransport> {
  const { kubeConfig, impersonate } = options;
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) {
    throw new ClusterError("kubeconfig has no current cluster", { retryable: false });
  }
  const server = cluster.server.replace(/\/+$/, "");
  const url = new URL(server);
  const secure = url.protocol === "https:";
  const maxSockets = options.maxSockets ?? MAX_SOCKETS;

  const readAuth = async (): Promise<{ opts: RequestOptions; auth: AuthState }> => {
    const opts: RequestOptions = {};
    await kubeConfig.applyToHTTPSOptions(opts);
    const headers: OutgoingHttpHeaders = {};
    const given = opts.headers;
    if (given && !Array.isArray(given)) Object.assign(headers, given);
    if (opts.auth) headers.authorization = `Basic ${Buffer.from(opts.auth).toString("base64")}`;
    return { opts, auth: { headers, fetchedAt: Date.now() } };
  };

  const first = await readAuth();
  let auth = first.auth;
  const tls = first.opts;
  // A proxy needs client-node's proxy agent; otherwise our own keep-alive agent with the same TLS material.
  const agent = cluster.proxyUrl
    ? tls.agent
    : secure
      ? new HttpsAgent({
          keepAlive: true,
          maxSockets,
          maxFreeSockets: maxSockets,
          ...(tls.ca === undefined ? {} : { ca: tls.ca }),
          ...(tls.cert === undefined ? {} : { cert: tls.cert }),
          ...(tls.key === undefined ? {} : { key: tls.key }),
          ...(tls.pfx === undefined ? {} : { pfx: tls.pfx }),
          ...(tls.passphrase === undefined ? {} : { passphrase: tls.passphrase }),
          ...(tls.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: tls.rejectUnauthorized }),
          ...(tls.servername === undefined ? {} : { servername: tls.servername }),
        })
      : new HttpAgent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });

  const impersonationHeaders: OutgoingHttpHeaders = {};
  if (impersonate) {
    impersonationHeaders["impersonate-user"] = impersonate.user;
    if (impersonate.groups && impersonate.groups.length > 0) {
      impersonationHeaders["impersonate-group"] = [...impersonate.groups];
    }
  }

  const counts: RequestCounts = { reads: 0, writes: 0, dryRuns: 0, listPages: 0 };
  let refreshing: Promise<void> | undefined;
  const currentAuth = async (): Promise<OutgoingHttpHeaders> => {
    if (Date.now() - auth.fetchedAt > AUTH_REFRESH_MS) {
      refreshing ??= readAuth()
        .then((next) => {
          auth = next.auth;
        })
        .finally(() => {
          refreshing = undefined;
        });
      await refreshing;
    }
    return auth.headers;
  };

  const send = async (req: TransportRequest): Promise<TransportResponse> => {
    const headers: OutgoingHttpHeaders = {
      ...(await currentAuth()),
      ...impersonationHeaders,
      accept: req.accept ?? "application/json",
    };
    let payload: Buffer | undefined;
    if (req.body !== undefined) {
      payload = Buffer.from(JSON.stringify(req.body));
      headers["content-type"] = req.contentType ?? "application/json";
      headers["content-length"] = payload.length;
    }
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(req.query ?? {})) {
      if (value !== undefined) search.set(key, value);
    }
    const qs = search.toString();
    const path = `${url.pathname.replace(/\/+$/, "")}${req.path}${qs ? `?${qs}` : ""}`;

    if (req.countAs === "read") counts.reads += 1;
    else if (req.countAs === "write") counts.writes += 1;
    else counts.dryRuns += 1;
    if (req.listPage) counts.listPages += 1;

    return await new Promise<TransportResponse>((resolve, reject) => {
      const call = secure ? httpsRequest : httpRequest;
      const r = call(
        {
          protocol: url.protocol,
          hostname: url.hostname,
          port: url.port,
          method: req.method,
          path,
          headers,
          agent,
          timeout: REQUEST_TIMEOUT_MS,
          ...(req.signal ? { signal: req.signal } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("error", reject);
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            let body: unknown = text;
            const contentType = String(res.headers["content-type"] ?? "");
            if (contentType.includes("json") && text.length > 0) {
              try {
                body = JSON.parse(text);
              } catch {
                body = text;
              }
            }
            resolve({ status: res.statusCode ?? 0, contentType, body });
          });
        },
      );
      r.on("timeout", () => r.destroy(new Error(`request timed out after ${REQUEST_TIMEOUT_MS} ms`)));
      r.on("error", (error) => {
        reject(
          new ClusterError(`${req.method} ${req.path}: ${error.message}`, {
            retryable: error.name !== "AbortError",
            cause: error,
          }),
        );
      });
      r.end(payload);
    });
  };

  return { server, send, counts: () => ({ ...counts }) };
}

/** A Kubernetes `Status` body, as far as pullbridge reads it. */
type StatusBody = {
  kind?: string;
  message?: string;
  reason?: string;
  details?: { causes?: Array<{ type?: string; message?: string; field?: string }> };
};

/** Maps a non-2xx response to a ClusterError naming the object; `conflictRetryable` for the ApplySet parent. */
export function clusterErrorFromResponse(options: {
  response: TransportResponse;
  operation: string;
  object?: string | undefined;
  conflictRetryable?: boolean;
}): ClusterError {
  const { response, operation, object, conflictRetryable = false } = options;
  const status = response.status;
  const body =
    typeof response.body === "object" && response.body !== null ? (response.body as StatusBody) : undefined;
  const serverMessage =
    body?.message ?? (typeof response.body === "string" ? response.body.slice(0, 300) : "");
  const causes: ClusterErrorCause[] = (body?.details?.causes ?? []).map((c) => ({
    type: c.type,
    message: c.message ?? "",
    field: c.field,
  }));
  // Server-side apply reports a manifest that does not fit the schema as a 500 (kubernetes/kubernetes#122480,
  // #139253); retrying cannot help, so treat it as the 400 it should be.
  const schemaError = status === 500 && /^failed to create typed patch object/.test(serverMessage);
  const retryable =
    !schemaError &&
    (status >= 500 || status === 429 || (status === 409 && conflictRetryable) || status === 0);
  const subject = object ? `${object}: ` : "";
  return new ClusterError(
    `${subject}${operation} failed: ${status}${body?.reason ? ` ${body.reason}` : ""}: ${serverMessage}`,
    { retryable, status, object, reason: body?.reason ?? (schemaError ? "BadRequest" : undefined), causes },
  );
}
