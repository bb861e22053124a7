/**
 * Builds the Octokit a job talks to GitHub with: as a GitHub App installation (installation id
 * from the job) or, failing that, with a token. Clients are cached per container and per
 * installation, so warm invocations reuse the installation token (auth-app caches it until
 * shortly before its one-hour expiry).
 */
import { setTimeout } from "node:timers/promises";
import { createAppAuth } from "@octokit/auth-app";
import { Octokit } from "@octokit/rest";
import type { SecretReader } from "../../config/adapters/read-secrets.ts";
import { ConfigError } from "../../errors.ts";
import { readGitHubFailure, toGitHubError } from "../github-failure.ts";
import {
  DEFAULT_GITHUB_RETRY_POLICY,
  decideGitHubRetry,
  type GitHubRetryPolicy,
} from "../github-retry-policy.ts";

/** How pullbridge authenticates to GitHub. Secrets are references, read through a `SecretReader`. */
export type GitHubConnectionConfig = {
  /** REST API root; `https://api.github.com` by default (GitHub Enterprise Server: `https://host/api/v3`). */
  baseUrl?: string;
  /** GitHub App: its id and a reference to its private key (PEM, PKCS#1 as GitHub issues it, or PKCS#8). */
  app?: { appId: string; privateKeyRef: string };
  /** Reference to a token (fine-grained PAT or similar) used when no App/installation applies. */
  tokenRef?: string;
};

/** `app`: an installation token (check runs available). `token`: statuses only. */
export type GitHubAuthMode = "app" | "token";

export type GitHubClient = { octokit: Octokit; mode: GitHubAuthMode };

/**
 * Gives the client for a job. `installationId` comes from the webhook delivery; jobs without one
 * (drift checks) name their `repo`, and an App looks its installation up (`GET /repos/{o}/{r}/installation`).
 * With neither, the token is used.
 */
export interface GitHubClientProvider {
  forInstallation(installationId: number | undefined, repo?: string): Promise<GitHubClient>;
}

/** One retry the hook is about to do (for logs/metrics; contains no secrets). */
export type GitHubRetryEvent = {
  method: string;
  url: string;
  attempt: number;
  waitMs: number;
  reason: string;
};

export type GitHubClientOptions = {
  config: GitHubConnectionConfig;
  secrets: SecretReader;
  retry?: Partial<GitHubRetryPolicy>;
  /** Waits between retries; tests inject a recorder that does not sleep. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** Per-request timeout unless the caller passes its own signal. */
  requestTimeoutMs?: number;
  onRetry?: (event: GitHubRetryEvent) => void;
  /**
   * Every answer to a request made as an installation or with a token (not the App's own JWT
   * requests): the GitHub budget spent. A 304 is free against the rate limit.
   */
  onAnswer?: (answer: { status: number | undefined }) => void;
  userAgent?: string;
};

/**
 * Octokit's warnings (deprecations) are useful; its debug/info chatter and its per-request
 * error lines are not: failures reach the caller as errors and are logged there, structured.
 */
const quietLog = {
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => console.warn(message),
  error: () => undefined,
};

type RequestOptionsShape = { method?: string; url?: string; request?: { signal?: AbortSignal } };

/**
 * Retries 5xx, network errors and rate limits per `decideGitHubRetry`, honouring
 * `retry-after` / `x-ratelimit-reset`. Chosen over plugin-retry + plugin-throttling because
 * those ignore `retry-after` on plain 429s, space every write ≥ 1 s apart process-wide (a
 * sync does 2–3 writes, on a path whose budget is 2 s) and have no bound tied to Lambda time.
 */
function installRetries(octokit: Octokit, options: GitHubClientOptions): void {
  const policy = { ...DEFAULT_GITHUB_RETRY_POLICY, ...options.retry };
  const sleep = options.sleep ?? ((ms: number) => setTimeout(ms));
  const now = options.now ?? Date.now;
  const timeoutMs = options.requestTimeoutMs ?? 30_000;
  octokit.hook.wrap("request", async (request, requestOptions) => {
    const shape = requestOptions as RequestOptionsShape;
    for (let attempt = 0; ; attempt += 1) {
      const perAttempt = { ...requestOptions, request: { ...requestOptions.request } };
      if (shape.request?.signal === undefined) perAttempt.request.signal = AbortSignal.timeout(timeoutMs);
      try {
        return await request(perAttempt);
      } catch (error) {
        const decision = decideGitHubRetry(readGitHubFailure(error), attempt, policy, now());
        if (!decision.retry) throw error;
        options.onRetry?.({
          method: shape.method ?? "GET",
          url: shape.url ?? "",
          attempt: attempt + 1,
          waitMs: decision.waitMs,
          reason: decision.reason,
        });
        await sleep(decision.waitMs);
      }
    }
  });
}

/** Reports each answer's status to `onAnswer` (the budget meter); failures too, since GitHub counts them. */
function installMeter(octokit: Octokit, onAnswer: GitHubClientOptions["onAnswer"]): void {
  if (onAnswer === undefined) return;
  octokit.hook.wrap("request", async (request, requestOptions) => {
    try {
      const response = await request(requestOptions);
      onAnswer({ status: response.status });
      return response;
    } catch (error) {
      onAnswer({ status: readGitHubFailure(error)?.status });
      throw error;
    }
  });
}

function baseOptions(options: GitHubClientOptions) {
  return {
    baseUrl: options.config.baseUrl ?? "https://api.github.com",
    userAgent: options.userAgent ?? "pullbridge",
    log: quietLog,
  };
}

/** Creates the per-container client cache. */
export function createGitHubClientProvider(options: GitHubClientOptions): GitHubClientProvider {
  const cache = new Map<string, Promise<GitHubClient>>();

  async function build(installationId: number | undefined): Promise<GitHubClient> {
    const { app, tokenRef } = options.config;
    if (app !== undefined && installationId !== undefined) {
      // Keys pasted into a parameter store often arrive with literal `\n`s instead of newlines.
      const privateKey = (await options.secrets.read(app.privateKeyRef)).replaceAll("\\n", "\n").trim();
      const octokit = new Octokit({
        ...baseOptions(options),
        authStrategy: createAppAuth,
        auth: { appId: app.appId, privateKey, installationId },
      });
      installMeter(octokit, options.onAnswer);
      installRetries(octokit, options);
      return { octokit, mode: "app" };
    }
    if (tokenRef !== undefined) {
      const token = await options.secrets.read(tokenRef);
      const octokit = new Octokit({ ...baseOptions(options), auth: token.trim() });
      installMeter(octokit, options.onAnswer);
      installRetries(octokit, options);
      return { octokit, mode: "token" };
    }
    throw new ConfigError(
      "github",
      app === undefined
        ? "no GitHub App and no token configured"
        : "the job has no installation id and no fallback token is configured",
    );
  }

  const installations = new Map<string, Promise<number>>();
  async function lookUpInstallation(repo: string): Promise<number> {
    const { app } = options.config;
    if (app === undefined) throw new ConfigError("github.app", "no GitHub App configured");
    const privateKey = (await options.secrets.read(app.privateKeyRef)).replaceAll("\\n", "\n").trim();
    const appOctokit = new Octokit({
      ...baseOptions(options),
      authStrategy: createAppAuth,
      auth: { appId: app.appId, privateKey },
    });
    installRetries(appOctokit, options);
    const [owner = "", name = ""] = repo.split("/");
    try {
      const { data } = await appOctokit.rest.apps.getRepoInstallation({ owner, repo: name });
      return data.id;
    } catch (error) {
      throw toGitHubError(error, `look up the GitHub App installation of ${repo}`);
    }
  }

  return {
    async forInstallation(installationIdOrUndefined, repo) {
      let installationId = installationIdOrUndefined;
      if (installationId === undefined && repo !== undefined && options.config.app !== undefined) {
        let lookup = installations.get(repo);
        if (lookup === undefined) {
          lookup = lookUpInstallation(repo);
          installations.set(repo, lookup);
          void lookup.catch(() => installations.delete(repo));
        }
        installationId = await lookup;
      }
      const key =
        options.config.app !== undefined && installationId !== undefined ? `app:${installationId}` : "token";
      let client = cache.get(key);
      if (client === undefined) {
        client = build(installationId);
        cache.set(key, client);
        // A failed build (e.g. secret store unreachable) must not be cached for the container's life.
        void client.catch(() => cache.delete(key));
      }
      return client;
    },
  };
}
