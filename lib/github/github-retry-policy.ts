/**
 * When to retry a GitHub call, and after how long. Pure: the Octokit hook in
 * `github-client.ts` asks it after each failure.
 *
 * Waits are bounded: a Lambda has a time limit, and a job whose GitHub quota is exhausted
 * for minutes is better handed back to SQS (it is retryable) than kept sleeping.
 */
import { classifyGitHubFailure, type GitHubFailure } from "./github-failure.ts";

export type GitHubRetryPolicy = {
  /** Retries after the first attempt. */
  retries: number;
  /** Backoff for 5xx and network errors: base × 2^attempt. */
  baseDelayMs: number;
  /** Longest single wait; a rate limit asking for longer is not waited for (the job goes back to the queue). */
  maxWaitMs: number;
};

export const DEFAULT_GITHUB_RETRY_POLICY: GitHubRetryPolicy = {
  retries: 3,
  baseDelayMs: 500,
  maxWaitMs: 20_000,
};

/** GitHub's guidance when a secondary rate limit comes without `retry-after`: wait at least a minute. */
const SECONDARY_LIMIT_FALLBACK_MS = 60_000;

export type GitHubRetryDecision =
  | { retry: true; waitMs: number; reason: string }
  | { retry: false; reason: string };

/** How long GitHub asks us to wait before retrying a rate-limited call. */
function rateLimitWaitMs(failure: GitHubFailure, nowMs: number): number {
  const retryAfter = Number(failure.headers["retry-after"]);
  if (failure.headers["retry-after"] !== undefined && Number.isFinite(retryAfter) && retryAfter >= 0) {
    return retryAfter * 1000;
  }
  const reset = Number(failure.headers["x-ratelimit-reset"]);
  if (failure.headers["x-ratelimit-remaining"] === "0" && Number.isFinite(reset) && reset > 0) {
    // Reset is in epoch seconds; one extra second absorbs clock skew.
    return Math.max(0, reset * 1000 - nowMs) + 1000;
  }
  return SECONDARY_LIMIT_FALLBACK_MS;
}

/**
 * Decides whether attempt number `attempt` (0 = the first call) should be retried.
 * `failure` is `undefined` for errors that are not HTTP failures (programming errors): never retried.
 */
export function decideGitHubRetry(
  failure: GitHubFailure | undefined,
  attempt: number,
  policy: GitHubRetryPolicy,
  nowMs: number,
): GitHubRetryDecision {
  if (failure === undefined) return { retry: false, reason: "not an HTTP failure" };
  const kind = classifyGitHubFailure(failure);
  if (kind === "not-found" || kind === "client") {
    return { retry: false, reason: `HTTP ${failure.status} is not retryable` };
  }
  if (attempt >= policy.retries) return { retry: false, reason: `gave up after ${attempt + 1} attempts` };
  if (kind === "rate-limited") {
    const waitMs = rateLimitWaitMs(failure, nowMs);
    if (waitMs > policy.maxWaitMs) {
      return {
        retry: false,
        reason: `rate limited for ${Math.ceil(waitMs / 1000)}s, longer than the ${policy.maxWaitMs / 1000}s budget`,
      };
    }
    return { retry: true, waitMs, reason: `rate limited (HTTP ${failure.status})` };
  }
  const waitMs = Math.min(policy.baseDelayMs * 2 ** attempt, policy.maxWaitMs);
  return {
    retry: true,
    waitMs,
    reason: kind === "network" ? `network error: ${failure.message}` : `HTTP ${failure.status}`,
  };
}
