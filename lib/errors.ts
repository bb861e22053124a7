/**
 * The one error hierarchy. `retryable` decides what happens to an SQS job: a retryable error
 * is returned to the queue (and ends in the DLQ after maxReceiveCount); a permanent error is
 * reported to GitHub and the message is acknowledged. Expected outcomes ("ignored", "no
 * changes", "superseded") are return values, never errors.
 */

/** Where in a manifest file an error points: file path, 0-based document index, 1-based line:column. */
export type SourceLocation = { file: string; document?: number; line?: number; column?: number };

/** Renders `file[#doc]:line:col` the way editors and GitHub annotations expect. */
export function formatLocation(loc: SourceLocation): string {
  const doc = loc.document === undefined ? "" : ` (document ${loc.document + 1})`;
  const pos = loc.line === undefined ? "" : `:${loc.line}${loc.column === undefined ? "" : `:${loc.column}`}`;
  return `${loc.file}${pos}${doc}`;
}

type ErrorOptions = { cause?: unknown };

/** Base class: every pullbridge error says whether retrying can help. */
export abstract class PullbridgeError extends Error {
  abstract readonly retryable: boolean;
  constructor(message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
  }
}

/** One problem in a configuration file: where it is written (when known), the field, and why. */
export type ConfigProblem = {
  location?: SourceLocation | undefined;
  field?: string | undefined;
  reason: string;
};

/** `file:line:col: field: reason`, leaving out what is unknown. */
export function formatConfigProblem(problem: ConfigProblem): string {
  const where = problem.location === undefined ? [] : [formatLocation(problem.location)];
  return [...where, ...(problem.field === undefined ? [] : [problem.field]), problem.reason].join(": ");
}

/** Configuration (environment or targets file) is invalid; names the field. Permanent. */
export class ConfigError extends PullbridgeError {
  override readonly name = "ConfigError";
  readonly retryable = false;
  readonly field: string;
  /** Every problem found in one pass (the message names the first), so a user can fix them all at once. */
  readonly problems: readonly ConfigProblem[];
  constructor(
    field: string,
    message: string,
    options: ErrorOptions & { problems?: readonly ConfigProblem[] | undefined } = {},
  ) {
    super(`${field}: ${message}`, options);
    this.field = field;
    this.problems = options.problems ?? [];
  }
}

/** A ConfigError listing `problems` (at least one): its message is the first, with how many more there are. */
export function configErrorOf(
  problems: readonly [ConfigProblem, ...ConfigProblem[]],
  cause?: unknown,
): ConfigError {
  const [first] = problems;
  const where = [
    ...(first.location === undefined ? [] : [formatLocation(first.location)]),
    ...(first.field === undefined ? [] : [first.field]),
  ].join(": ");
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : "";
  return new ConfigError(where || "(root)", `${first.reason}${more}`, { cause, problems });
}

/** A manifest cannot be parsed or is refused by validation or policy; names file:line. Permanent. */
export class ManifestError extends PullbridgeError {
  override readonly name = "ManifestError";
  readonly retryable = false;
  readonly location: SourceLocation;
  readonly reason: string;
  constructor(location: SourceLocation, reason: string, options: ErrorOptions = {}) {
    super(`${formatLocation(location)}: ${reason}`, options);
    this.location = location;
    this.reason = reason;
  }
}

/** Several manifest errors found in one pass, so the user can fix them all at once. Permanent. */
export class ManifestSetError extends PullbridgeError {
  override readonly name = "ManifestSetError";
  readonly retryable = false;
  readonly errors: readonly ManifestError[];
  constructor(errors: readonly ManifestError[]) {
    const first = errors[0]?.message ?? "invalid manifests";
    super(errors.length > 1 ? `${first} (and ${errors.length - 1} more)` : first);
    this.errors = errors;
  }
}

/** The Git source could not be fetched or exceeded its limits. Retryable unless marked otherwise. */
export class SourceError extends PullbridgeError {
  override readonly name = "SourceError";
  readonly retryable: boolean;
  constructor(message: string, options: ErrorOptions & { retryable: boolean }) {
    super(message, options);
    this.retryable = options.retryable;
  }
}

/** The webhook delivery was refused (bad signature, malformed body, too large). Never queued. */
export class DeliveryError extends PullbridgeError {
  override readonly name = "DeliveryError";
  readonly retryable = false;
  readonly statusCode: 400 | 401 | 413;
  constructor(statusCode: 400 | 401 | 413, message: string, options: ErrorOptions = {}) {
    super(message, options);
    this.statusCode = statusCode;
  }
}

/** A queue message is not a valid job (not JSON, unknown version, schema violation). Permanent. */
export class JobFormatError extends PullbridgeError {
  override readonly name = "JobFormatError";
  readonly retryable = false;
}

/**
 * How a failed Kubernetes API call was classified (one row of `lib/cluster/classify-api-error.ts`).
 * The row decides `retryable`; the id says which answer class it was, for messages and tests.
 */
export type ClusterFailureClass =
  | "validation"
  | "conversion"
  | "schema"
  | "field-conflict"
  | "version-conflict"
  | "already-exists"
  | "conflict"
  | "quota-exceeded"
  | "quota-pending"
  | "namespace-terminating"
  | "admission-denied"
  | "admission-unavailable"
  | "forbidden"
  | "unauthorized"
  | "not-found"
  | "gone"
  | "storage-initializing"
  | "throttled"
  | "unavailable"
  | "server-error"
  | "bad-request"
  | "client-error"
  | "timeout"
  | "aborted"
  | "connection"
  | "tls"
  | "closed"
  | "unknown";

/** A Kubernetes API call failed. Whether retrying helps is decided by the classification table. */
export class ClusterError extends PullbridgeError {
  override readonly name = "ClusterError";
  readonly retryable: boolean;
  /** HTTP status, when the API server answered. */
  readonly status: number | undefined;
  /** `Kind namespace/name` of the object concerned, when there is one. */
  readonly object: string | undefined;
  /** The Kubernetes `Status.reason` (e.g. `Conflict`, `Forbidden`, `Invalid`), when the API server sent one. */
  readonly reason: string | undefined;
  /** The Kubernetes `Status.details.causes` (e.g. one per conflicting field), when the API server sent them. */
  readonly causes: readonly ClusterErrorCause[];
  /** Which row of the classification table matched; undefined for errors raised by pullbridge itself. */
  readonly failureClass: ClusterFailureClass | undefined;
  /** The server's `Retry-After`, in milliseconds, when it sent one (the job should not come back sooner). */
  readonly retryAfterMs: number | undefined;
  constructor(
    message: string,
    options: ErrorOptions & {
      retryable: boolean;
      status?: number | undefined;
      object?: string | undefined;
      reason?: string | undefined;
      causes?: readonly ClusterErrorCause[] | undefined;
      failureClass?: ClusterFailureClass | undefined;
      retryAfterMs?: number | undefined;
    },
  ) {
    super(message, options);
    this.retryable = options.retryable;
    this.status = options.status;
    this.object = options.object;
    this.reason = options.reason;
    this.causes = options.causes ?? [];
    this.failureClass = options.failureClass;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** One entry of a Kubernetes `Status.details.causes` list. */
export type ClusterErrorCause = { type?: string | undefined; message: string; field?: string | undefined };

/** The planned change was refused before any write (dry-run, admission, RBAC, conflicts, guards). Permanent. */
export class SyncRefusedError extends PullbridgeError {
  override readonly name = "SyncRefusedError";
  readonly retryable = false;
  readonly object: string | undefined;
  /** Where the refused object is written in Git (repo-relative), when the refusal is about one object. */
  readonly source: SourceLocation | undefined;
  /** Every object refused in the same pass (the message names only the first), for per-file annotations. */
  readonly refusals: readonly SyncRefusal[];
  constructor(
    message: string,
    options: ErrorOptions & {
      object?: string | undefined;
      source?: SourceLocation | undefined;
      refusals?: readonly SyncRefusal[] | undefined;
    } = {},
  ) {
    super(message, options);
    this.object = options.object;
    this.source = options.source;
    this.refusals = options.refusals ?? [];
  }
}

/** One object the cluster (or a guard) refused: `Kind namespace/name`, where Git has it, and why. */
export type SyncRefusal = {
  object: string;
  source?: SourceLocation | undefined;
  reason: string;
  /**
   * Who refused: the target's policy (before any request), the inventory guard (an object that
   * would overwrite an ApplySet parent), or the cluster (dry-run); default cluster.
   */
  by?: "policy" | "inventory" | "cluster";
};

/** What a sync wrote before it failed, and what it meant to write but did not (`Kind ns/name` each). */
export type SyncWrites = {
  /** Whether the ApplySet parent was written (widened) by this sync. */
  inventoryWidened: boolean;
  /** Creates/updates the API server confirmed. */
  applied: readonly string[];
  /** Deletes the API server confirmed. */
  pruned: readonly string[];
  /** Planned creates/updates not confirmed: never sent, refused, or cut off. */
  notApplied: readonly string[];
  /** Planned deletes not confirmed. */
  notPruned: readonly string[];
};

/**
 * A sync failed after some of its writes had succeeded: the cluster holds part of the change.
 * Every written object is in the (widened) inventory, so nothing is orphaned and the next sync
 * converges once its cause is gone. Retryable when the failure that stopped it is.
 */
export class PartialSyncError extends PullbridgeError {
  override readonly name = "PartialSyncError";
  readonly retryable: boolean;
  /** `Kind namespace/name` of the object whose write failed, when one did. */
  readonly object: string | undefined;
  /** Where that object is written in Git. */
  readonly source: SourceLocation | undefined;
  readonly writes: SyncWrites;
  /** Objects a dry-run refused after the first writes (e.g. once their CRD existed), for annotations. */
  readonly refusals: readonly SyncRefusal[];
  constructor(
    message: string,
    options: ErrorOptions & {
      retryable: boolean;
      object?: string | undefined;
      source?: SourceLocation | undefined;
      writes: SyncWrites;
      refusals?: readonly SyncRefusal[] | undefined;
    },
  ) {
    super(message, options);
    this.retryable = options.retryable;
    this.object = options.object;
    this.source = options.source;
    this.writes = options.writes;
    this.refusals = options.refusals ?? [];
  }
}

/** A queue or other AWS dependency is unreachable. Retryable. */
export class DependencyError extends PullbridgeError {
  override readonly name = "DependencyError";
  readonly retryable = true;
}

/** A GitHub API call failed. Retryable for network errors, 5xx, 429 and secondary rate limits. */
export class GitHubError extends PullbridgeError {
  override readonly name = "GitHubError";
  readonly retryable: boolean;
  readonly status: number | undefined;
  constructor(message: string, options: ErrorOptions & { retryable: boolean; status?: number | undefined }) {
    super(message, options);
    this.retryable = options.retryable;
    this.status = options.status;
  }
}

/** What a state-store call was doing when it failed. */
export type StateStoreOperation = "get" | "put" | "list" | "delete";

/**
 * A call to the state store (S3) failed: names the operation and the object (`s3://bucket/key`,
 * or the prefix listed), the service's error code and HTTP status. Retryable for throttling,
 * 5xx, timeouts and network errors; permanent for a denied request, a missing bucket, bad
 * credentials or a stored document that does not match its schema (classify-store-error.ts).
 */
export class StateStoreError extends PullbridgeError {
  override readonly name = "StateStoreError";
  readonly retryable: boolean;
  readonly operation: StateStoreOperation;
  /** `s3://bucket/key` (or `s3://bucket/prefix` for a list). */
  readonly location: string;
  /** The service's error code (`AccessDenied`, `SlowDown`, …), when it sent one. */
  readonly code: string | undefined;
  readonly status: number | undefined;
  constructor(
    message: string,
    options: ErrorOptions & {
      retryable: boolean;
      operation: StateStoreOperation;
      location: string;
      code?: string | undefined;
      status?: number | undefined;
    },
  ) {
    super(message, options);
    this.retryable = options.retryable;
    this.operation = options.operation;
    this.location = options.location;
    this.code = options.code;
    this.status = options.status;
  }
}

/** True when retrying the job can help; unknown errors are treated as retryable so nothing is lost. */
export function isRetryable(error: unknown): boolean {
  return error instanceof PullbridgeError ? error.retryable : true;
}

/** A one-line, log-safe description of any thrown value (never JSON.stringify an error). */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/** What kind of render failure: the helper's classification (`outside-tree`, `remote`, `plugin`, `render`, `timeout`, `memory`, `output-too-large`, `request`) or `crash` when the helper itself failed. */
export type RenderFailureCode =
  | "outside-tree"
  | "remote"
  | "plugin"
  | "render"
  | "timeout"
  | "memory"
  | "output-too-large"
  | "request"
  | "crash";

/**
 * Kustomize or Helm could not render a target, or rendering was refused (a file outside the
 * tree, a remote base, a plugin, a limit). Names the file the renderer names. Permanent: the
 * same commit renders the same way on every retry.
 */
export class RenderError extends PullbridgeError {
  override readonly name = "RenderError";
  readonly retryable = false;
  readonly code: RenderFailureCode;
  /** Repository-relative file the failure points at, when the renderer names one. */
  readonly file: string | undefined;
  constructor(
    code: RenderFailureCode,
    message: string,
    options: ErrorOptions & { file?: string | undefined } = {},
  ) {
    super(message, options);
    this.code = code;
    this.file = options.file;
  }
}

/** Why a data key could not be decrypted: the key service refused, throttled, or no key was usable. */
export type DecryptionFailureCode =
  | "denied"
  | "throttled"
  | "unavailable"
  | "wrong-key"
  | "no-key"
  | "key-config";

/**
 * A SOPS file's data key could not be decrypted: names the file and the key, never a value.
 * Retryable when the key service throttled or could not be reached; permanent when it refused
 * (`kms:Decrypt` denied, a disabled key, a ciphertext for another key) or no allowed key was
 * available. A file whose content is wrong (a MAC that does not match, a key the target may not
 * use) is a ManifestSetError instead.
 */
export class DecryptionError extends PullbridgeError {
  override readonly name = "DecryptionError";
  readonly retryable: boolean;
  readonly code: DecryptionFailureCode;
  /** Repository-relative file whose data key was being decrypted. */
  readonly file: string | undefined;
  constructor(
    code: DecryptionFailureCode,
    message: string,
    options: ErrorOptions & { retryable: boolean; file?: string | undefined },
  ) {
    super(message, options);
    this.code = code;
    this.retryable = options.retryable;
    this.file = options.file;
  }
}
