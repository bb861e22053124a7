/**
 * What went wrong with a GitHub REST call, read from Octokit's errors by shape (status,
 * response headers, message) so the policy below stays pure and testable.
 */
import { GitHubError } from "../errors.ts";

/** The parts of a failed GitHub call that decide retry vs. permanent. */
export type GitHubFailure = {
  /** HTTP status; `undefined` when no response arrived (network error, timeout). */
  status: number | undefined;
  /** Lower-case response headers (empty without a response). */
  headers: Readonly<Record<string, string>>;
  message: string;
};

/** What kind of failure it is, in the terms the retry policy and error mapping use. */
export type GitHubFailureKind = "rate-limited" | "server" | "network" | "not-found" | "client";

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/** Reads an Octokit `RequestError` (or anything shaped like one); `undefined` if it is not an HTTP failure. */
export function readGitHubFailure(error: unknown): GitHubFailure | undefined {
  if (!isRecord(error) || typeof error.status !== "number") return undefined;
  const response = isRecord(error.response) ? error.response : undefined;
  const headers: Record<string, string> = {};
  if (response && isRecord(response.headers)) {
    for (const [name, value] of Object.entries(response.headers)) {
      if (value !== undefined && value !== null) headers[name.toLowerCase()] = String(value);
    }
  }
  const message = typeof error.message === "string" ? error.message : "";
  // Octokit reports a fetch failure (DNS, reset, timeout) as status 500 without a response.
  return { status: response ? error.status : undefined, headers, message };
}

/**
 * GitHub signals rate limits with 429, or with 403 plus `retry-after`,
 * `x-ratelimit-remaining: 0`, or a "secondary rate limit" message.
 */
function isRateLimited(failure: GitHubFailure): boolean {
  if (failure.status === 429) return true;
  if (failure.status !== 403) return false;
  return (
    failure.headers["retry-after"] !== undefined ||
    failure.headers["x-ratelimit-remaining"] === "0" ||
    /rate limit/i.test(failure.message)
  );
}

/** Classifies a failure. */
export function classifyGitHubFailure(failure: GitHubFailure): GitHubFailureKind {
  if (failure.status === undefined) return "network";
  if (isRateLimited(failure)) return "rate-limited";
  if (failure.status >= 500) return "server";
  if (failure.status === 404) return "not-found";
  return "client";
}

/** True for failures a later attempt can fix (network, 5xx, rate limits). */
export function isRetryableGitHubFailure(failure: GitHubFailure): boolean {
  const kind = classifyGitHubFailure(failure);
  return kind === "network" || kind === "server" || kind === "rate-limited";
}

/**
 * Wraps any error from a GitHub call as a `GitHubError`, keeping the cause. `action` says what
 * was attempted (`posting status pullbridge/prod on acme/deploy@abc1234`).
 */
export function toGitHubError(error: unknown, action: string): GitHubError {
  if (error instanceof GitHubError) return error;
  const failure = readGitHubFailure(error);
  if (failure === undefined) {
    const reason = error instanceof Error ? error.message : String(error);
    return new GitHubError(`${action} failed: ${reason}`, { retryable: true, cause: error });
  }
  const status = failure.status === undefined ? "network error" : `HTTP ${failure.status}`;
  return new GitHubError(`${action} failed (${status}): ${failure.message}`, {
    retryable: isRetryableGitHubFailure(failure),
    status: failure.status,
    cause: error,
  });
}
