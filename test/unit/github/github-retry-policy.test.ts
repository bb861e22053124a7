import { describe, expect, it } from "vitest";
import type { GitHubFailure } from "../../../lib/github/github-failure.ts";
import {
  classifyGitHubFailure,
  readGitHubFailure,
  toGitHubError,
} from "../../../lib/github/github-failure.ts";
import { DEFAULT_GITHUB_RETRY_POLICY, decideGitHubRetry } from "../../../lib/github/github-retry-policy.ts";

const NOW = 1_700_000_000_000;
const failure = (
  status: number | undefined,
  headers: Record<string, string> = {},
  message = "boom",
): GitHubFailure => ({
  status,
  headers,
  message,
});
const decide = (f: GitHubFailure | undefined, attempt = 0) =>
  decideGitHubRetry(f, attempt, DEFAULT_GITHUB_RETRY_POLICY, NOW);

describe("decideGitHubRetry", () => {
  it("backs off exponentially on 5xx", () => {
    // Act
    const waits = [0, 1, 2].map((attempt) => decide(failure(502), attempt));

    // Assess
    expect(waits).toEqual([
      { retry: true, waitMs: 500, reason: "HTTP 502" },
      { retry: true, waitMs: 1000, reason: "HTTP 502" },
      { retry: true, waitMs: 2000, reason: "HTTP 502" },
    ]);
  });

  it("retries network errors and gives up after the configured retries", () => {
    // Act
    const first = decide(failure(undefined, {}, "ECONNRESET"));
    const last = decide(failure(undefined, {}, "ECONNRESET"), 3);

    // Assess
    expect(first).toMatchObject({ retry: true, reason: "network error: ECONNRESET" });
    expect(last).toEqual({ retry: false, reason: "gave up after 4 attempts" });
  });

  it.each([400, 401, 403, 404, 422])("does not retry HTTP %i without rate-limit signals", (status) => {
    // Act
    const decision = decide(failure(status, {}, "Resource not accessible by integration"));

    // Assess
    expect(decision.retry).toBe(false);
  });

  it("waits what retry-after says on a secondary rate limit (403)", () => {
    // Act
    const decision = decide(
      failure(403, { "retry-after": "1" }, "You have exceeded a secondary rate limit."),
    );

    // Assess
    expect(decision).toEqual({ retry: true, waitMs: 1000, reason: "rate limited (HTTP 403)" });
  });

  it("waits what retry-after says on a 429", () => {
    // Act
    const decision = decide(failure(429, { "retry-after": "3" }));

    // Assess
    expect(decision).toMatchObject({ retry: true, waitMs: 3000 });
  });

  it("waits until x-ratelimit-reset (plus a second) when the primary quota is exhausted", () => {
    // Act
    const decision = decide(
      failure(
        403,
        { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(NOW / 1000 + 5) },
        "API rate limit exceeded",
      ),
    );

    // Assess
    expect(decision).toMatchObject({ retry: true, waitMs: 6000 });
  });

  it("hands long rate limits back to the queue instead of sleeping through the Lambda's time", () => {
    // Act
    const decision = decide(failure(403, { "retry-after": "3600" }, "secondary rate limit"));

    // Assess
    expect(decision).toEqual({ retry: false, reason: "rate limited for 3600s, longer than the 20s budget" });
  });

  it("falls back to a minute for a secondary limit without retry-after (beyond the default budget)", () => {
    // Act
    const decision = decide(failure(403, {}, "You have exceeded a secondary rate limit."));

    // Assess
    expect(decision).toMatchObject({ retry: false, reason: expect.stringContaining("60s") });
  });

  it("never retries errors that are not HTTP failures", () => {
    // Act
    const decision = decide(readGitHubFailure(new TypeError("x is not a function")));

    // Assess
    expect(decision).toEqual({ retry: false, reason: "not an HTTP failure" });
  });
});

describe("GitHub failure mapping", () => {
  it("reads an Octokit-shaped error and classifies it", () => {
    // Prepare
    const error = Object.assign(new Error("Not Found"), {
      status: 404,
      response: { headers: { "X-Thing": "1" } },
    });

    // Act
    const read = readGitHubFailure(error);

    // Assess
    expect(read).toEqual({ status: 404, headers: { "x-thing": "1" }, message: "Not Found" });
    expect(read && classifyGitHubFailure(read)).toBe("not-found");
  });

  it("treats a status without a response as a network error (how Octokit reports fetch failures)", () => {
    // Prepare
    const error = Object.assign(new Error("getaddrinfo ENOTFOUND"), { status: 500 });

    // Act
    const mapped = toGitHubError(error, "posting status");

    // Assess
    expect(mapped).toMatchObject({
      name: "GitHubError",
      retryable: true,
      status: undefined,
      message: "posting status failed (network error): getaddrinfo ENOTFOUND",
    });
    expect(mapped.cause).toBe(error);
  });

  it("makes 422 permanent and 503 retryable", () => {
    // Act
    const invalid = toGitHubError(
      Object.assign(new Error("Validation Failed"), { status: 422, response: { headers: {} } }),
      "x",
    );
    const unavailable = toGitHubError(
      Object.assign(new Error("Unavailable"), { status: 503, response: { headers: {} } }),
      "x",
    );

    // Assess
    expect([invalid.retryable, unavailable.retryable]).toEqual([false, true]);
  });
});
