/**
 * A thin HTTPS transport to the Kubernetes API, built from a `KubeConnection` (server, TLS
 * material, auth headers) or a client-node `KubeConfig` converted to one.
 *
 * Why not the generated clients or `KubernetesObjectApi`: they round-trip every object through
 * the typed ObjectSerializer (slow, and it drops fields it does not know, which would corrupt
 * custom resources and managedFields comparisons), `KubernetesObjectApi` issues its own
 * discovery GET per unseen kind, and their positional-argument methods hide which requests are
 * sent, so they cannot be counted exactly. A `KubeConfig` still does what it is good at —
 * loading config, TLS material and authentication (tokens, client certs, exec plugins) through
 * `applyToHTTPSOptions` (kube-config-connection.ts) — while an EKS token needs none of it
 * (kube-connection.ts), so the worker's EKS path does not load client-node. Requests go over one
 * keep-alive agent, so 1,000 applies reuse a handful of TLS connections instead of handshaking
 * per request.
 */
import { Agent as HttpAgent, request as httpRequest, type OutgoingHttpHeaders } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { setTimeout as sleep } from "node:timers/promises";
import type { KubeConfig } from "@kubernetes/client-node";
import { ClusterError, type ClusterErrorCause } from "../../errors.ts";
import {
  type ApiAnswer,
  classifyApiFailure,
  type NetworkFailureKind,
  parseRetryAfter,
} from "../classify-api-error.ts";
import type { RequestCounts } from "../cluster-port.ts";
import { remainingBudgetMs } from "../time-budget.ts";
import { connectionFromKubeConfig } from "./kube-config-connection.ts";
import type { KubeConnection } from "./kube-connection.ts";

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

export type TransportResponse = {
  status: number;
  contentType: string;
  body: unknown;
  /** The server's `Retry-After` in ms, when it sent one (429 / 503). */
  retryAfterMs?: number | undefined;
};

/** Who to act as (Kubernetes impersonation headers). */
export type Impersonation = { user: string; groups?: readonly string[] };

/** Sends requests and counts them; errors are raised as ClusterError by the caller's mapping. */
export type KubeTransport = {
  readonly server: string;
  send(request: TransportRequest): Promise<TransportResponse>;
  counts(): RequestCounts;
  /**
   * Refuses new requests and destroys the keep-alive agent (at once, or when the requests in
   * flight are done), so a replaced client leaves no sockets behind. Idempotent.
   */
  close(): Promise<void>;
};

/** Connections kept open to the API server; bounds the client's in-flight requests too. */
const MAX_SOCKETS = 32;
/** Auth headers are refreshed this often so exec-plugin / EKS tokens rotate in warm processes. */
const AUTH_REFRESH_MS = 60_000;
/**
 * Deadline for one request, from sending it to the last byte of the answer: a paused or
 * half-dead API server must not hold a Lambda invocation until its own timeout.
 */
const REQUEST_DEADLINE_MS = 60_000;
/** The longest `Retry-After` waited out in-process when the caller's time budget is unknown. */
const MAX_IN_PROCESS_WAIT_MS = 10_000;
/** How often one request is re-sent after `Retry-After` waits before the job goes back to the queue. */
const MAX_IN_PROCESS_RETRIES = 3;

type AuthState = { headers: OutgoingHttpHeaders; fetchedAt: number };

/** Where and how to connect: a connection, or a `KubeConfig` (current context) to take one from. */
export type KubeEndpoint = { connection: KubeConnection } | { kubeConfig: KubeConfig };

export type KubeTransportOptions = KubeEndpoint & {
  impersonate?: Impersonation | undefined;
  maxSockets?: number;
  /** Per-request deadline (default 60 s). */
  requestDeadlineMs?: number;
  /** Longest `Retry-After` taken in-process when the caller's remaining budget is unknown (default 10 s). */
  maxInProcessWaitMs?: number;
  /** Re-sends per request after in-process waits (default 3). */
  maxInProcessRetries?: number;
};

/** Marks the reason our own deadline timer destroyed a request (vs. the caller's signal). */
class DeadlineExceeded extends Error {
  override readonly name = "DeadlineExceeded";
}

/** Builds a counting keep-alive transport from a connection (or a KubeConfig's current context). */
export async function createKubeTransport(options: KubeTransportOptions): Promise<KubeTransport> {
  const { impersonate } = options;
  const connection =
    "connection" in options ? options.connection : await connectionFromKubeConfig(options.kubeConfig);
  const server = connection.server.replace(/\/+$/, "");
  const url = new URL(server);
  const secure = url.protocol === "https:";
  const maxSockets = options.maxSockets ?? MAX_SOCKETS;
  const deadlineMs = options.requestDeadlineMs ?? REQUEST_DEADLINE_MS;
  const maxWaitMs = options.maxInProcessWaitMs ?? MAX_IN_PROCESS_WAIT_MS;
  const maxRetries = options.maxInProcessRetries ?? MAX_IN_PROCESS_RETRIES;

  const readAuth = async (): Promise<AuthState> => ({
    headers: await connection.authHeaders(),
    fetchedAt: Date.now(),
  });

  let auth = await readAuth();
  const tls = connection.tls;
  const agent: HttpAgent | undefined =
    connection.agent ??
    (secure
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
      : new HttpAgent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets }));

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
          auth = next;
        })
        .finally(() => {
          refreshing = undefined;
        });
      await refreshing;
    }
    return auth.headers;
  };

  let closed = false;
  let inFlight = 0;

  /** One HTTP exchange under the per-request deadline and the caller's signal. */
  const exchange = (req: TransportRequest, path: string, headers: OutgoingHttpHeaders, payload?: Buffer) =>
    new Promise<TransportResponse>((resolve, reject) => {
      const { signal } = req;
      if (signal?.aborted) {
        reject(networkError(req, signal.reason, deadlineMs));
        return;
      }
      let timer: NodeJS.Timeout | undefined;
      const settle = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
      };
      const fail = (error: unknown) => {
        settle();
        // A caller's abort surfaces as a socket error; report the signal's reason instead.
        const why = signal?.aborted && !(error instanceof DeadlineExceeded) ? signal.reason : error;
        reject(networkError(req, why, deadlineMs));
      };
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
        },
        (res) => {
          // Decoded as it arrives: a LIST page is megabytes, and chunks + their concatenation +
          // the decoded text would hold it three times over while it is parsed.
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => {
            text += chunk;
          });
          res.on("error", fail);
          res.on("close", () => {
            if (!res.complete) fail(new Error("the connection closed before the answer was complete"));
          });
          res.on("end", () => {
            settle();
            let body: unknown = text;
            const contentType = String(res.headers["content-type"] ?? "");
            if (contentType.includes("json") && text.length > 0) {
              try {
                body = JSON.parse(text);
              } catch {
                body = text;
              }
            }
            const retryAfterMs = parseRetryAfter(headerValue(res.headers["retry-after"]), Date.now());
            resolve({
              status: res.statusCode ?? 0,
              contentType,
              body,
              ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
            });
          });
        },
      );
      // A real deadline for the whole exchange: the socket `timeout` option only measures idleness.
      timer = setTimeout(
        () => r.destroy(new DeadlineExceeded(`no answer within ${deadlineMs} ms`)),
        deadlineMs,
      );
      const onAbort = () => r.destroy(signal?.reason ?? new Error("aborted"));
      signal?.addEventListener("abort", onAbort, { once: true });
      r.on("error", fail);
      r.end(payload);
    });

  const send = async (req: TransportRequest): Promise<TransportResponse> => {
    if (closed) throw networkError(req, new ClientClosed("the client was closed"), deadlineMs);
    inFlight += 1;
    try {
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

      for (let attempt = 0; ; attempt++) {
        if (req.countAs === "read") counts.reads += 1;
        else if (req.countAs === "write") counts.writes += 1;
        else counts.dryRuns += 1;
        if (req.listPage) counts.listPages += 1;
        const response = await exchange(req, path, headers, payload);
        const wait = inProcessWait({ response, attempt, maxRetries, maxWaitMs, signal: req.signal });
        if (wait === undefined) return response;
        await sleep(wait, undefined, { signal: req.signal }).catch(() => {
          // Only an abort rejects the timer: classify the signal's reason, as for a request it cuts short.
          throw networkError(req, req.signal?.reason, deadlineMs, response.retryAfterMs);
        });
      }
    } finally {
      inFlight -= 1;
      // The last request of a closed client takes the sockets with it.
      if (closed && inFlight === 0) agent?.destroy();
    }
  };

  const close = async (): Promise<void> => {
    closed = true;
    if (inFlight === 0) agent?.destroy();
  };

  return { server, send, counts: () => ({ ...counts }), close };
}

class ClientClosed extends Error {
  override readonly name = "ClientClosed";
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * How long to wait before re-sending, or undefined to hand the answer back: only for a class the
 * table marks `waitInProcess`, when the server said how long (`Retry-After`), and the wait fits
 * both the caller's remaining time budget and the in-process limit.
 */
function inProcessWait(options: {
  response: TransportResponse;
  attempt: number;
  maxRetries: number;
  maxWaitMs: number;
  signal: AbortSignal | undefined;
}): number | undefined {
  const { response, attempt, maxRetries, maxWaitMs, signal } = options;
  if (response.retryAfterMs === undefined || attempt >= maxRetries) return undefined;
  if (response.status < 400) return undefined;
  const { answer } = answerOf(response);
  if (!classifyApiFailure({ answer }).waitInProcess) return undefined;
  const remaining = remainingBudgetMs(signal);
  const limit = remaining === undefined ? maxWaitMs : remaining;
  return response.retryAfterMs <= limit ? response.retryAfterMs : undefined;
}

/** A request that got no answer, classified by the table (deadline, caller abort, closed client, socket). */
function networkError(
  req: TransportRequest,
  error: unknown,
  deadlineMs: number,
  retryAfterMs?: number,
): ClusterError {
  const kind: NetworkFailureKind =
    error instanceof DeadlineExceeded
      ? "deadline"
      : error instanceof ClientClosed
        ? "closed"
        : req.signal?.aborted
          ? "aborted"
          : "socket";
  const code =
    typeof error === "object" && error !== null && "code" in error && typeof error.code === "string"
      ? error.code
      : undefined;
  const detail =
    kind === "deadline"
      ? `no answer within the ${deadlineMs} ms request deadline`
      : kind === "aborted"
        ? `aborted (${error instanceof Error ? error.message : "the caller's time budget ran out"})`
        : error instanceof Error
          ? error.message
          : String(error);
  const row = classifyApiFailure({ network: { kind, code, message: detail } });
  return new ClusterError(
    `${req.method} ${req.path}: ${detail}${code && !detail.includes(code) ? ` (${code})` : ""}`,
    {
      retryable: row.retryable,
      failureClass: row.id,
      retryAfterMs,
      cause: error,
    },
  );
}

/** A Kubernetes `Status` body, as far as pullbridge reads it. */
type StatusBody = {
  kind?: string;
  message?: string;
  reason?: string;
  details?: { causes?: Array<{ type?: string; message?: string; field?: string }> };
};

/** The answer fields the classification table reads, from a non-2xx response. */
function answerOf(
  response: TransportResponse,
  ownPrecondition = false,
): { answer: ApiAnswer; body: StatusBody | undefined } {
  const body =
    typeof response.body === "object" && response.body !== null ? (response.body as StatusBody) : undefined;
  const message = body?.message ?? (typeof response.body === "string" ? response.body.slice(0, 300) : "");
  const causes: ClusterErrorCause[] = (body?.details?.causes ?? []).map((c) => ({
    type: c.type,
    message: c.message ?? "",
    field: c.field,
  }));
  return {
    answer: { status: response.status, reason: body?.reason, message, causes, ownPrecondition },
    body,
  };
}

/**
 * Maps a non-2xx response to a ClusterError naming the object, classified by the table.
 * `conflictRetryable`: the request carried pullbridge's own precondition (the ApplySet parent).
 * `redact` removes secret values the server may echo (applied to the message and every cause).
 */
export function clusterErrorFromResponse(options: {
  response: TransportResponse;
  operation: string;
  object?: string | undefined;
  conflictRetryable?: boolean;
  redact?: ((text: string) => string) | undefined;
}): ClusterError {
  const { response, operation, object, conflictRetryable = false } = options;
  const redact = options.redact ?? ((text: string) => text);
  const { answer, body } = answerOf(response, conflictRetryable);
  const row = classifyApiFailure({ answer });
  const status = response.status;
  const reason = answer.reason ?? (row.id === "schema" ? "BadRequest" : undefined);
  const subject = object ? `${object}: ` : "";
  const causes = answer.causes.map((c) => ({ ...c, message: redact(c.message) }));
  return new ClusterError(
    `${subject}${operation} failed: ${status}${body?.reason ? ` ${body.reason}` : ""}: ${redact(answer.message)}`,
    {
      retryable: row.retryable,
      status,
      object,
      reason,
      causes,
      failureClass: row.id,
      retryAfterMs: response.retryAfterMs,
    },
  );
}
