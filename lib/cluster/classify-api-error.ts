/**
 * The one classification of failed Kubernetes API calls: which answers are a verdict on the
 * manifests (permanent: report the failure on the commit) and which are the weather (retryable:
 * the job goes back to the queue). Rows are checked in order; the first match wins, and the
 * last rows catch everything, so every failure gets exactly one class. Each row is provoked
 * against a real kube-apiserver in `test/integration/cluster/classify-api-error.test.ts`.
 * Pure: no I/O.
 */
import type { ClusterErrorCause, ClusterFailureClass } from "../errors.ts";

/** A non-2xx answer of the API server, as far as classification reads it. */
export type ApiAnswer = {
  readonly status: number;
  /** `Status.reason` (e.g. `Invalid`, `Conflict`), when the body was a Status. */
  readonly reason?: string | undefined;
  /** `Status.message`, or the start of a non-Status body. */
  readonly message: string;
  readonly causes: readonly ClusterErrorCause[];
  /**
   * True when the request carried a precondition pullbridge set itself (the ApplySet parent's
   * `resourceVersion`): a 409 then means another writer raced us, and a retry re-reads.
   */
  readonly ownPrecondition?: boolean | undefined;
};

/** Why no answer arrived. */
export type NetworkFailureKind =
  /** The per-request deadline passed. */
  | "deadline"
  /** The caller's AbortSignal fired (in the worker: the job's time budget ran out). */
  | "aborted"
  /** The client was closed (its credentials were replaced) while the request was queued. */
  | "closed"
  /** Any socket or TLS error; `code` says which. */
  | "socket";

/** A request that got no HTTP answer. */
export type NetworkFailure = {
  readonly kind: NetworkFailureKind;
  /** Node's `error.code` (`ECONNRESET`, `ECONNREFUSED`, `DEPTH_ZERO_SELF_SIGNED_CERT`, …), when there is one. */
  readonly code?: string | undefined;
  readonly message: string;
};

export type ApiFailure =
  | { readonly answer: ApiAnswer; readonly network?: undefined }
  | { readonly network: NetworkFailure; readonly answer?: undefined };

/** What a row matches. Answer rows need `status`; network rows need `network`. */
type Match =
  | {
      /** One status, several, or a whole class. */
      readonly status: number | readonly number[] | "4xx" | "5xx";
      readonly message?: RegExp;
      readonly ownPrecondition?: boolean;
    }
  | { readonly network: NetworkFailureKind; readonly code?: RegExp };

/** One row of the table. */
export type ApiErrorRow = {
  readonly id: ClusterFailureClass;
  readonly match: Match;
  readonly retryable: boolean;
  /**
   * When the server sends `Retry-After`, wait in-process (within the caller's time budget) and
   * send the request again instead of failing the job. Only for answers that mean "not processed".
   */
  readonly waitInProcess?: boolean;
  /** What the class means, for the table in docs/concepts/failures-and-retries.md and for people reading a failure. */
  readonly meaning: string;
};

/** The table. Order matters: specific message patterns before their status's catch-all. */
export const API_ERROR_TABLE: readonly ApiErrorRow[] = [
  // ── no answer ───────────────────────────────────────────────────────────
  {
    id: "aborted",
    match: { network: "aborted" },
    retryable: true,
    meaning: "the caller aborted the request (the job's time budget ran out); the job is retried",
  },
  {
    id: "timeout",
    match: { network: "deadline" },
    retryable: true,
    meaning: "no complete answer within the per-request deadline (server paused, overloaded or unreachable)",
  },
  {
    id: "closed",
    match: { network: "closed" },
    retryable: true,
    meaning: "the client was closed because its credentials were replaced; a new client is built",
  },
  {
    id: "tls",
    match: {
      network: "socket",
      code: /^(ERR_TLS_CERT_ALTNAME_INVALID|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|CERT_[A-Z_]+)$/,
    },
    retryable: false,
    meaning: "the server's certificate does not match the configured CA or name: a configuration error",
  },
  {
    id: "connection",
    match: { network: "socket" },
    retryable: true,
    meaning: "connection refused, reset or lost (ECONNREFUSED, ECONNRESET, EPIPE, DNS, socket hang up)",
  },
  // ── 5xx and 429 ─────────────────────────────────────────────────────────
  {
    id: "conversion",
    match: { status: 500, message: /failed to convert new object/ },
    retryable: false,
    meaning:
      "the object cannot be converted to its type (e.g. `memory: 512mb`, invalid base64 in Secret `data`); the API server answers 500 for a manifest error",
  },
  {
    id: "schema",
    match: { status: 500, message: /failed to create typed patch object/ },
    retryable: false,
    meaning:
      "server-side apply found the manifest does not fit the schema (kubernetes/kubernetes#122480); a manifest error answered as 500",
  },
  {
    id: "admission-unavailable",
    match: { status: "5xx", message: /failed calling webhook/ },
    retryable: true,
    meaning: "an admission webhook could not be reached (failurePolicy Fail); retried until it is back",
  },
  {
    id: "storage-initializing",
    match: { status: 429, message: /storage is \(re\)initializing/ },
    retryable: true,
    waitInProcess: true,
    meaning:
      "the watch cache of a just-changed CRD is being rebuilt; clears within about a second, waited out in-process",
  },
  {
    id: "throttled",
    match: { status: 429 },
    retryable: true,
    waitInProcess: true,
    meaning:
      "API Priority and Fairness or a proxy rejected the request; Retry-After is waited out in-process when it fits the time budget",
  },
  {
    id: "unavailable",
    match: { status: 503 },
    retryable: true,
    waitInProcess: true,
    meaning: "the server (or an aggregated API) is unavailable; Retry-After is honoured like 429",
  },
  {
    id: "server-error",
    match: { status: "5xx" },
    retryable: true,
    meaning: "any other server error (500 InternalError, 502, 504 Timeout, etcd trouble)",
  },
  // ── 409 ─────────────────────────────────────────────────────────────────
  {
    id: "field-conflict",
    // The server lists one cause per field (`conflict with "kubectl"`, field `.data.color`) but sends no cause type.
    match: { status: 409, message: /^Apply failed with \d+ conflicts?/ },
    retryable: false,
    meaning:
      "server-side apply field conflict: another field manager owns the fields (set forceConflicts to take them)",
  },
  {
    id: "version-conflict",
    match: { status: 409, ownPrecondition: true },
    retryable: true,
    meaning: "another writer changed the ApplySet parent since it was read; the retry re-reads it",
  },
  {
    id: "version-conflict",
    match: { status: 409, message: /the object has been modified|Precondition failed/ },
    retryable: false,
    meaning:
      "the manifest itself carries `metadata.resourceVersion` or `uid` that no longer matches; remove it from the manifest",
  },
  {
    id: "already-exists",
    match: { status: 409, message: /already exists/ },
    retryable: true,
    meaning: "a concurrent creation won the race; the retry sees the object",
  },
  {
    id: "conflict",
    match: { status: 409 },
    retryable: false,
    meaning: "any other conflict with the object's current state",
  },
  // ── 403 ─────────────────────────────────────────────────────────────────
  {
    id: "quota-exceeded",
    match: { status: 403, message: /exceeded quota/ },
    retryable: false,
    meaning: "a ResourceQuota of the namespace does not allow the object",
  },
  {
    id: "quota-pending",
    match: { status: 403, message: /status unknown for quota/ },
    retryable: true,
    meaning: "a new ResourceQuota has not been computed yet by the quota controller",
  },
  {
    id: "namespace-terminating",
    match: { status: 403, message: /because it is being terminated/ },
    retryable: true,
    meaning: "the namespace is terminating; objects can be created again once it is gone",
  },
  {
    id: "admission-denied",
    match: {
      status: "4xx",
      message:
        /admission webhook ".*" denied the request|ValidatingAdmissionPolicy '.*' with binding '.*' denied request/,
    },
    retryable: false,
    meaning: "an admission webhook or ValidatingAdmissionPolicy denied the object",
  },
  {
    id: "forbidden",
    match: { status: 403 },
    retryable: false,
    meaning: "RBAC (or another admission plugin) forbids the request for this identity",
  },
  // ── other 4xx ───────────────────────────────────────────────────────────
  {
    id: "unauthorized",
    match: { status: 401 },
    retryable: true,
    meaning: "the credentials were not accepted (an expired token); the retry resolves fresh credentials",
  },
  {
    id: "validation",
    match: { status: 422 },
    retryable: false,
    meaning: "the object is invalid (field validation, immutable field, bad name)",
  },
  {
    id: "not-found",
    match: { status: 404 },
    retryable: false,
    meaning: "the namespace, the object or its kind does not exist",
  },
  {
    id: "gone",
    match: { status: 410 },
    retryable: true,
    meaning: "a list continue token or resourceVersion expired; the retry starts over",
  },
  {
    id: "bad-request",
    match: { status: 400 },
    retryable: false,
    meaning:
      "the request is malformed for this server (e.g. strict field validation: unknown or duplicate field)",
  },
  {
    id: "client-error",
    match: { status: "4xx" },
    retryable: false,
    meaning: "any other client error (413 too large, 415 unsupported media type, …)",
  },
  {
    id: "unknown",
    match: { status: [0] },
    retryable: true,
    meaning: "an answer without a usable status; retried so nothing is lost",
  },
];

const UNKNOWN: ApiErrorRow = {
  id: "unknown",
  match: { status: [0] },
  retryable: true,
  meaning: "an answer no row describes; retried so nothing is lost",
};

function statusMatches(expected: number | readonly number[] | "4xx" | "5xx", status: number): boolean {
  if (expected === "4xx") return status >= 400 && status < 500;
  if (expected === "5xx") return status >= 500 && status < 600;
  if (typeof expected === "number") return status === expected;
  return expected.includes(status);
}

function rowMatches(row: ApiErrorRow, failure: ApiFailure): boolean {
  const { match } = row;
  if ("network" in match) {
    const network = failure.network;
    if (!network || network.kind !== match.network) return false;
    return match.code === undefined || (network.code !== undefined && match.code.test(network.code));
  }
  const answer = failure.answer;
  if (!answer || !statusMatches(match.status, answer.status)) return false;
  if (match.message && !match.message.test(answer.message)) return false;
  if (match.ownPrecondition !== undefined && (answer.ownPrecondition ?? false) !== match.ownPrecondition) {
    return false;
  }
  return true;
}

/** The first row of the table that matches the failure. */
export function classifyApiFailure(failure: ApiFailure): ApiErrorRow {
  return API_ERROR_TABLE.find((row) => rowMatches(row, failure)) ?? UNKNOWN;
}

/**
 * `Retry-After` in milliseconds: delay-seconds or an HTTP date (relative to `now`); undefined
 * when absent or unreadable. Negative dates count as "now".
 */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
