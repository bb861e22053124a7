/**
 * A local stand-in for api.github.com that the real Octokit talks to (baseUrl = `fake.url`).
 *
 * - Serves branch heads and tarballs from real local git repositories (`git archive`), with
 *   GitHub's 302 to a codeload-like URL carrying a short-lived token; comparisons from `git
 *   diff` (capped at 300 files, as GitHub caps them); pull requests registered with
 *   `openPullRequest`, whose head follows their branch.
 * - Records commit statuses and check runs, and issues installation tokens to a GitHub App
 *   JWT (checked: RS256, `iss` = app id, ≤ 10 min lifetime, signature when a key is given).
 * - Validates every request against GitHub's OpenAPI description: an unknown operation or an
 *   invalid parameter/body is answered 422 (404 for unknown routes) and recorded in
 *   `violations`, which tests assert is empty.
 * - Injects failures per route: 5xx, primary/secondary rate limits with their headers, 429
 *   with `retry-after`, dropped connections.
 */
import { execFile, spawn } from "node:child_process";
import { createHash, createPublicKey, type KeyObject, randomBytes, verify } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { promisify } from "node:util";
import { createGitDataRoutes, type GitDataPullRequest, type GitDataRoutes } from "./git-data-routes.ts";
import { githubOpenApi, type MatchedOperation } from "./openapi-validator.ts";

const run = promisify(execFile);

/** A failure to answer with instead of the real response. */
export type InjectedFailure =
  | { kind: "server-error"; status?: 500 | 502 | 503 | 504 }
  /** 403 (or 429) "You have exceeded a secondary rate limit" with `retry-after`. */
  | { kind: "secondary-rate-limit"; retryAfter: number; status?: 403 | 429 }
  /** 403 with `x-ratelimit-remaining: 0` and a reset `resetInSeconds` from now. */
  | { kind: "primary-rate-limit"; resetInSeconds: number }
  /** 429 with only `retry-after`. */
  | { kind: "too-many-requests"; retryAfter: number }
  /** Any status with a GitHub-style error body. */
  | { kind: "status"; status: number; message?: string }
  /** The connection is dropped without a response. */
  | { kind: "network" };

export type RecordedRequest = {
  method: string;
  /** Raw path as sent (percent-encoded). */
  path: string;
  /** `METHOD /template` of the matched OpenAPI operation; `codeload` for archive downloads; undefined if unknown. */
  route: string | undefined;
  params: Readonly<Record<string, string>>;
  query: Readonly<Record<string, string>>;
  body: unknown;
  /** How the request authenticated. */
  auth: "installation-token" | "token" | "jwt" | "none" | "invalid";
  /** Status the fake answered with. */
  status: number;
  /** True when the answer was an injected failure. */
  injected: boolean;
  /** Bytes of the response body sent (archives: as streamed so far). */
  bytes: number;
  /**
   * Counted against the installation's (or token's) primary rate limit, by GitHub's rules: an
   * API request made with an installation token or a token, unless it was answered 304 to a
   * conditional request. Archive downloads from codeload and the App's own JWT requests are not.
   */
  rateLimited: boolean;
};

/** What GitHub would have charged: requests by kind and bytes served (see `RecordedRequest.rateLimited`). */
export type GitHubBudget = {
  /** API requests (every route, including the App's JWT requests and 304s). */
  requests: number;
  /** Requests counted against the installation's primary rate limit. */
  rateLimited: number;
  /** Conditional requests answered 304 (free). */
  notModified: number;
  /** Requests authenticated as the App itself (JWT): its own limit, not the installation's. */
  appJwt: number;
  /** Archive (tarball) downloads from codeload, and their bytes. */
  archives: number;
  archiveBytes: number;
  /** Every response body byte, API and archives. */
  bytes: number;
};

export type Violation = {
  kind: "openapi" | "github-rule";
  method: string;
  path: string;
  route: string | undefined;
  problems: readonly string[];
};

export type RecordedStatus = {
  repo: string;
  sha: string;
  state: string;
  context: string;
  description: string | undefined;
  target_url: string | undefined;
};

export type RecordedAnnotation = {
  path: string;
  start_line: number;
  end_line: number;
  annotation_level: string;
  message: string;
  title?: string;
  start_column?: number;
  end_column?: number;
};

export type RecordedCheckRun = {
  id: number;
  repo: string;
  name: string;
  head_sha: string;
  status: string;
  conclusion: string | null;
  details_url: string | undefined;
  html_url: string;
  title: string | undefined;
  summary: string | undefined;
  text: string | undefined;
  /** All annotations posted, across create and updates (GitHub appends them). */
  annotations: RecordedAnnotation[];
};

export type RecordedDeploymentStatus = {
  id: number;
  state: string;
  description: string | undefined;
  log_url: string | undefined;
  environment_url: string | undefined;
  created_at: string;
};

/** A deployment as it stands now, with its statuses oldest first (GitHub lists them newest first). */
export type RecordedDeployment = {
  id: number;
  repo: string;
  sha: string;
  ref: string;
  task: string;
  environment: string;
  description: string | undefined;
  payload: unknown;
  production_environment: boolean;
  transient_environment: boolean;
  created_at: string;
  statuses: RecordedDeploymentStatus[];
};

export type IssuedToken = {
  token: string;
  installationId: number;
  jwt: { iss: unknown; iat: number; exp: number };
};

export type GitHubFakeOptions = {
  /** PATs the fake accepts (besides installation tokens it issued). Default: `["test-token"]`. */
  tokens?: readonly string[];
  /** GitHub App the fake issues installation tokens for. */
  app?: { appId: string | number; publicKey?: string | KeyObject };
  /** Installation id `GET /repos/{owner}/{repo}/installation` answers for every served repository. */
  installationId?: number;
  /** Refuse requests without valid credentials (401). Default true. */
  requireAuth?: boolean;
};

/** A pull request the fake answers `GET /repos/{owner}/{repo}/pulls/{pull_number}` for. */
export type FakePullRequest = {
  number: number;
  /** Branch of the served repository holding the head; its current commit is the pull request's head. */
  head: string;
  /** Branch it merges into. */
  base: string;
};

/** GitHub lists at most this many files in a comparison. */
const COMPARE_FILES_LIMIT = 300;

export type GitHubFake = {
  /** Base URL to give Octokit (`baseUrl`). */
  url: string;
  /** Serves `owner/name` from a local git repository directory. */
  addRepo(repo: string, dir: string): void;
  /** Registers (or updates) a pull request on a served repository. */
  openPullRequest(repo: string, pullRequest: FakePullRequest): void;
  /** What `GET /repos/{o}/{r}/commits/{sha}` says of a commit's signature (default: unsigned). */
  setCommitVerification(repo: string, sha: string, verification: { verified: boolean; reason: string }): void;
  /** Every request received, in order (API and codeload). */
  readonly requests: readonly RecordedRequest[];
  /** Requests that broke the OpenAPI description or a GitHub rule. Assert this is empty. */
  readonly violations: readonly Violation[];
  /** API requests only: no codeload downloads, no installation-token exchanges. */
  restCalls(): RecordedRequest[];
  /** Counts `restCalls()` by route, for exact "which calls" assertions. */
  restCallsByRoute(): Record<string, number>;
  /** Requests and bytes by GitHub's rate-limit rules, over `requests` (optionally from index `since` on). */
  budget(since?: number): GitHubBudget;
  /** Commit statuses posted, in order (optionally for one sha). */
  statuses(sha?: string): RecordedStatus[];
  /** Check runs as they stand now (after updates), in creation order. */
  checkRuns(sha?: string): RecordedCheckRun[];
  /** Deployments (optionally of one sha), in creation order, each with its statuses. */
  deployments(sha?: string): RecordedDeployment[];
  /** Installation tokens issued, with the JWT claims that obtained them. */
  readonly issuedTokens: readonly IssuedToken[];
  /**
   * Answers the next `times` requests for `route` (e.g. `POST /repos/{owner}/{repo}/statuses/{sha}`,
   * or `codeload`) with `failure` instead.
   */
  failNext(route: string, failure: InjectedFailure, times?: number): void;
  /**
   * Runs `hook` with the request body before answering each request for `route` (awaited), so a
   * test can act at an exact point of a job — e.g. take the API server down once a deployment is
   * `in_progress`. Replaces an earlier hook for the route.
   */
  beforeAnswer(route: string, hook: (body: Record<string, unknown>) => Promise<void> | void): void;
  /** Git data API (blobs/trees/commits/refs) and pull-request creation: hooks and ref-update counts. */
  readonly gitData: Pick<GitDataRoutes, "beforeRefUpdate" | "refUpdates">;
  /** Forgets requests, violations, statuses, check runs and pending failures (repos stay). */
  reset(): void;
  close(): Promise<void>;
};

type Reply = { status: number; body?: unknown; headers?: Record<string, string> };

const DOCS = "https://docs.github.com/rest";

function errorBody(status: number, message: string) {
  return { message, documentation_url: DOCS, status: String(status) };
}

function base64urlJson(part: string | undefined): Record<string, unknown> | undefined {
  if (part === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
    return typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** Starts the fake on a random loopback port. */
export async function startGitHubFake(options: GitHubFakeOptions = {}): Promise<GitHubFake> {
  const openapi = githubOpenApi();
  const repos = new Map<string, string>();
  const pullRequests = new Map<string, FakePullRequest & GitDataPullRequest>();
  const requests: RecordedRequest[] = [];
  const violations: Violation[] = [];
  const statuses: RecordedStatus[] = [];
  const checkRuns: RecordedCheckRun[] = [];
  const deployments: RecordedDeployment[] = [];
  let nextDeploymentId = 5000;
  let nextDeploymentStatusId = 9000;
  const issuedTokens: IssuedToken[] = [];
  const failures = new Map<string, InjectedFailure[]>();
  /** `repo@sha` → GitHub's `verification` of the commit (unsigned unless set or created by the App). */
  const verifications = new Map<string, { verified: boolean; reason: string }>();
  const hooks = new Map<string, (body: Record<string, unknown>) => Promise<void> | void>();
  const downloadTokens = new Set<string>();
  const patTokens = new Set(options.tokens ?? ["test-token"]);
  const requireAuth = options.requireAuth ?? true;
  const appPublicKey =
    options.app?.publicKey === undefined
      ? undefined
      : typeof options.app.publicKey === "string"
        ? createPublicKey(options.app.publicKey)
        : options.app.publicKey;
  let nextCheckRunId = 1000;
  let url = "";
  const gitData = createGitDataRoutes({
    repos,
    pullRequests,
    baseUrl: () => url,
    verificationOf: (repo, sha) => verifications.get(`${repo}@${sha}`),
  });

  const rateLimitHeaders = (remaining = 4999, reset = Math.floor(Date.now() / 1000) + 3600) => ({
    "x-ratelimit-limit": "5000",
    "x-ratelimit-remaining": String(remaining),
    "x-ratelimit-reset": String(reset),
    "x-ratelimit-used": String(5000 - remaining),
    "x-ratelimit-resource": "core",
  });

  function violation(
    kind: Violation["kind"],
    req: IncomingMessage,
    route: string | undefined,
    problems: string[],
  ) {
    violations.push({ kind, method: req.method ?? "", path: req.url ?? "", route, problems });
  }

  async function resolveCommit(repo: string, rev: string): Promise<string | undefined> {
    const dir = repos.get(repo);
    if (dir === undefined) return undefined;
    try {
      const { stdout } = await run(
        "git",
        ["rev-parse", "--verify", "--quiet", "--end-of-options", `${rev}^{commit}`],
        {
          cwd: dir,
        },
      );
      return stdout.trim() || undefined;
    } catch {
      return undefined;
    }
  }

  /** `git diff --name-status` of `base...head` as GitHub's comparison `files` (renames detected, as GitHub does). */
  async function compareFiles(repo: string, base: string, head: string) {
    const dir = repos.get(repo) ?? "";
    const { stdout } = await run(
      "git",
      ["diff", "--name-status", "--find-renames", "-z", `${base}...${head}`],
      {
        cwd: dir,
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    const fields = stdout.split("\0").filter((f) => f !== "");
    const files: Array<{ filename: string; status: string; previous_filename?: string }> = [];
    for (let i = 0; i < fields.length; ) {
      const code = fields[i] ?? "";
      if (code.startsWith("R") || code.startsWith("C")) {
        files.push({
          status: "renamed",
          previous_filename: fields[i + 1] ?? "",
          filename: fields[i + 2] ?? "",
        });
        i += 3;
      } else {
        const status = code === "A" ? "added" : code === "D" ? "removed" : "modified";
        files.push({ status, filename: fields[i + 1] ?? "" });
        i += 2;
      }
    }
    return files;
  }

  function injected(failure: InjectedFailure): Reply | "drop" {
    const now = Math.floor(Date.now() / 1000);
    switch (failure.kind) {
      case "network":
        return "drop";
      case "server-error": {
        const status = failure.status ?? 500;
        return { status, body: errorBody(status, "Server Error") };
      }
      case "secondary-rate-limit": {
        const status = failure.status ?? 403;
        return {
          status,
          headers: { "retry-after": String(failure.retryAfter) },
          body: errorBody(
            status,
            "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
          ),
        };
      }
      case "primary-rate-limit":
        return {
          status: 403,
          headers: rateLimitHeaders(0, now + failure.resetInSeconds),
          body: errorBody(403, "API rate limit exceeded for installation ID 1."),
        };
      case "too-many-requests":
        return {
          status: 429,
          headers: { "retry-after": String(failure.retryAfter) },
          body: errorBody(429, "Too Many Requests"),
        };
      case "status":
        return {
          status: failure.status,
          body: errorBody(failure.status, failure.message ?? "Injected failure"),
        };
    }
  }

  function takeFailure(route: string): InjectedFailure | undefined {
    const queue = failures.get(route);
    const failure = queue?.shift();
    if (queue !== undefined && queue.length === 0) failures.delete(route);
    return failure;
  }

  type AuthResult = { kind: RecordedRequest["auth"]; problem?: string; jwt?: IssuedToken["jwt"] };

  function authenticate(header: string | undefined): AuthResult {
    if (header === undefined) return { kind: "none" };
    const [scheme = "", credential = ""] = header.split(/\s+/, 2);
    if (/^bearer$/i.test(scheme) && credential.split(".").length === 3) {
      const [h, p, s] = credential.split(".");
      const head = base64urlJson(h);
      const claims = base64urlJson(p);
      if (head?.alg !== "RS256")
        return { kind: "invalid", problem: `JWT alg must be RS256, got ${String(head?.alg)}` };
      if (claims === undefined || typeof claims.iat !== "number" || typeof claims.exp !== "number") {
        return { kind: "invalid", problem: "JWT must carry numeric iat and exp" };
      }
      if (options.app === undefined || String(claims.iss) !== String(options.app.appId)) {
        return { kind: "invalid", problem: `JWT iss ${String(claims.iss)} is not the app id` };
      }
      if (claims.exp - claims.iat > 600)
        return { kind: "invalid", problem: "JWT lifetime exceeds 10 minutes" };
      if (claims.exp < Date.now() / 1000) return { kind: "invalid", problem: "JWT expired" };
      if (
        appPublicKey !== undefined &&
        !verify("RSA-SHA256", Buffer.from(`${h}.${p}`), appPublicKey, Buffer.from(s ?? "", "base64url"))
      ) {
        return { kind: "invalid", problem: "JWT signature does not verify with the app's public key" };
      }
      return { kind: "jwt", jwt: { iss: claims.iss, iat: claims.iat, exp: claims.exp } };
    }
    if (/^(token|bearer)$/i.test(scheme)) {
      if (issuedTokens.some((t) => t.token === credential)) return { kind: "installation-token" };
      if (patTokens.has(credential)) return { kind: "token" };
    }
    return { kind: "invalid", problem: "Bad credentials" };
  }

  function repoOf(params: Record<string, string>): string {
    return `${params.owner ?? ""}/${params.repo ?? ""}`;
  }

  async function handleApi(
    matched: MatchedOperation,
    body: Record<string, unknown>,
    auth: AuthResult,
    req: IncomingMessage,
  ): Promise<Reply> {
    const { route } = matched.operation;
    const params = matched.pathParams;
    const repo = repoOf(params);
    const notFound: Reply = { status: 404, body: errorBody(404, "Not Found") };
    const repoUrl = `${url}/repos/${repo}`;
    const rule = (status: number, message: string): Reply => {
      violation("github-rule", req, route, [message]);
      return { status, body: errorBody(status, message) };
    };

    switch (route) {
      case "POST /app/installations/{installation_id}/access_tokens": {
        if (auth.kind !== "jwt" || auth.jwt === undefined) {
          return { status: 401, body: errorBody(401, "A JSON web token could not be decoded") };
        }
        const token = `ghs_${randomBytes(18).toString("hex")}`;
        issuedTokens.push({ token, installationId: Number(params.installation_id), jwt: auth.jwt });
        return {
          status: 201,
          body: {
            token,
            expires_at: new Date(Date.now() + 3600_000).toISOString().replace(/\.\d+Z$/, "Z"),
            permissions: { checks: "write", contents: "read", statuses: "write", metadata: "read" },
            repository_selection: "selected",
          },
        };
      }
      case "GET /repos/{owner}/{repo}/installation": {
        if (auth.kind !== "jwt")
          return { status: 401, body: errorBody(401, "A JSON web token could not be decoded") };
        if (!repos.has(repo)) return notFound;
        const id = options.installationId ?? 77;
        return {
          status: 200,
          body: {
            id,
            app_id: Number(auth.jwt?.iss),
            account: { login: params.owner ?? "", id: 1, type: "Organization" },
            target_type: "Organization",
            repository_selection: "selected",
            permissions: { checks: "write", contents: "read", statuses: "write", metadata: "read" },
            access_tokens_url: `${url}/app/installations/${id}/access_tokens`,
            repositories_url: `${url}/installation/repositories`,
            html_url: `https://github.com/settings/installations/${id}`,
            events: ["push", "pull_request"],
            created_at: "2026-01-01T00:00:00Z",
            updated_at: "2026-01-01T00:00:00Z",
          },
        };
      }
      case "GET /repos/{owner}/{repo}/git/ref/{ref}": {
        const ref = params.ref ?? "";
        const sha =
          ref.startsWith("heads/") || ref.startsWith("tags/")
            ? await resolveCommit(repo, `refs/${ref}`)
            : undefined;
        if (sha === undefined) return notFound;
        return {
          status: 200,
          body: {
            ref: `refs/${ref}`,
            node_id: Buffer.from(`ref:${repo}:${ref}`).toString("base64"),
            url: `${repoUrl}/git/refs/${ref}`,
            object: { sha, type: "commit", url: `${repoUrl}/git/commits/${sha}` },
          },
        };
      }
      case "GET /repos/{owner}/{repo}/branches/{branch}": {
        const sha = await resolveCommit(repo, `refs/heads/${params.branch ?? ""}`);
        if (sha === undefined) return notFound;
        return {
          status: 200,
          body: {
            name: params.branch,
            commit: { sha, url: `${repoUrl}/commits/${sha}` },
            _links: {
              self: `${repoUrl}/branches/${params.branch}`,
              html: `${url}/${repo}/tree/${params.branch}`,
            },
            protected: false,
            protection_url: `${repoUrl}/branches/${params.branch}/protection`,
          },
        };
      }
      case "GET /repos/{owner}/{repo}/commits/{ref}": {
        const sha = await resolveCommit(repo, params.ref ?? "");
        if (sha === undefined) return notFound;
        if (req.headers.accept?.includes("application/vnd.github.sha")) {
          return {
            status: 200,
            body: sha,
            headers: { "content-type": "application/vnd.github.sha; charset=utf-8" },
          };
        }
        const verification = verifications.get(`${repo}@${sha}`) ?? { verified: false, reason: "unsigned" };
        return {
          status: 200,
          body: {
            sha,
            node_id: `C_${sha}`,
            url: `${repoUrl}/commits/${sha}`,
            html_url: `${url}/${repo}/commit/${sha}`,
            comments_url: `${repoUrl}/commits/${sha}/comments`,
            commit: {
              url: `${repoUrl}/git/commits/${sha}`,
              message: "",
              comment_count: 0,
              tree: { sha, url: `${repoUrl}/git/trees/${sha}` },
              verification: {
                ...verification,
                signature: verification.verified ? "-----BEGIN PGP SIGNATURE-----" : null,
                payload: verification.verified ? `tree ${sha}` : null,
                verified_at: verification.verified ? "2026-01-01T00:00:00Z" : null,
              },
            },
            author: null,
            committer: null,
            parents: [],
          },
        };
      }
      case "GET /repos/{owner}/{repo}/tarball/{ref}": {
        const sha = await resolveCommit(repo, params.ref ?? "");
        if (sha === undefined) return notFound;
        const token = randomBytes(12).toString("hex");
        downloadTokens.add(token);
        return {
          status: 302,
          headers: { location: `${url}/_codeload/${repo}/legacy.tar.gz/${sha}?token=${token}` },
        };
      }
      case "POST /repos/{owner}/{repo}/statuses/{sha}": {
        const sha = params.sha ?? "";
        if (!repos.has(repo)) return notFound;
        if ((await resolveCommit(repo, sha)) !== sha) return rule(422, `No commit found for SHA: ${sha}`);
        const description = typeof body.description === "string" ? body.description : undefined;
        if (description !== undefined && description.length > 140) {
          return rule(422, "Validation Failed: description is too long (maximum is 140 characters)");
        }
        const status: RecordedStatus = {
          repo,
          sha,
          state: String(body.state),
          context: typeof body.context === "string" ? body.context : "default",
          description,
          target_url: typeof body.target_url === "string" ? body.target_url : undefined,
        };
        statuses.push(status);
        return {
          status: 201,
          body: {
            url: `${repoUrl}/statuses/${sha}`,
            id: statuses.length,
            node_id: `SC_${statuses.length}`,
            state: status.state,
            description: status.description ?? null,
            target_url: status.target_url ?? null,
            context: status.context,
            created_at: new Date().toISOString(),
            updated_at: new Date().toISOString(),
          },
        };
      }
      case "POST /repos/{owner}/{repo}/check-runs":
      case "PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}": {
        if (auth.kind !== "installation-token" && requireAuth) {
          return { status: 403, body: errorBody(403, "You must authenticate via a GitHub App.") };
        }
        if (!repos.has(repo)) return notFound;
        const output = (typeof body.output === "object" && body.output !== null ? body.output : {}) as Record<
          string,
          unknown
        >;
        const annotations = Array.isArray(output.annotations)
          ? (output.annotations as RecordedAnnotation[])
          : [];
        let run: RecordedCheckRun | undefined;
        if (route.startsWith("POST")) {
          const headSha = String(body.head_sha);
          if ((await resolveCommit(repo, headSha)) !== headSha)
            return rule(422, `No commit found for SHA: ${headSha}`);
          const id = nextCheckRunId++;
          run = {
            id,
            repo,
            name: String(body.name),
            head_sha: headSha,
            status: "queued",
            conclusion: null,
            details_url: undefined,
            html_url: `${url}/${repo}/runs/${id}`,
            title: undefined,
            summary: undefined,
            text: undefined,
            annotations: [],
          };
          checkRuns.push(run);
        } else {
          run = checkRuns.find((r) => r.id === Number(params.check_run_id) && r.repo === repo);
          if (run === undefined) return notFound;
        }
        if (typeof body.name === "string") run.name = body.name;
        if (typeof body.details_url === "string") run.details_url = body.details_url;
        if (typeof body.status === "string") run.status = body.status;
        if (typeof body.conclusion === "string") {
          // GitHub completes a run when a conclusion is given.
          run.conclusion = body.conclusion;
          run.status = "completed";
        }
        if (run.status === "completed" && run.conclusion === null) {
          return rule(422, "Validation Failed: conclusion is required when status is completed");
        }
        if (typeof output.title === "string") run.title = output.title;
        if (typeof output.summary === "string") run.summary = output.summary;
        if (typeof output.text === "string") run.text = output.text;
        run.annotations.push(...annotations);
        return {
          status: route.startsWith("POST") ? 201 : 200,
          body: {
            id: run.id,
            head_sha: run.head_sha,
            node_id: `CR_${run.id}`,
            external_id: null,
            url: `${repoUrl}/check-runs/${run.id}`,
            html_url: run.html_url,
            details_url: run.details_url ?? null,
            status: run.status,
            conclusion: run.conclusion,
            started_at: new Date().toISOString(),
            completed_at: run.status === "completed" ? new Date().toISOString() : null,
            output: {
              title: run.title ?? null,
              summary: run.summary ?? null,
              text: run.text ?? null,
              annotations_count: run.annotations.length,
              annotations_url: `${repoUrl}/check-runs/${run.id}/annotations`,
            },
            name: run.name,
            check_suite: { id: 1 },
            app: null,
            pull_requests: [],
          },
        };
      }
      case "POST /repos/{owner}/{repo}/deployments":
        return await createDeployment(repo, body, auth, rule);
      case "GET /repos/{owner}/{repo}/deployments": {
        if (!repos.has(repo)) return notFound;
        const q = Object.fromEntries(new URL(req.url ?? "/", "http://fake").searchParams);
        const listed = deployments
          .filter((d) => d.repo === repo)
          .filter((d) => q.sha === undefined || d.sha === q.sha)
          .filter((d) => q.ref === undefined || d.ref === q.ref)
          .filter((d) => q.environment === undefined || d.environment === q.environment)
          .filter((d) => q.task === undefined || d.task === q.task)
          .reverse();
        return { status: 200, body: listed.map((d) => deploymentBody(d)) };
      }
      case "POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses":
        return createDeploymentStatus(repo, Number(params.deployment_id), body, rule);
      case "GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses": {
        const deployment = deployments.find((d) => d.repo === repo && d.id === Number(params.deployment_id));
        if (deployment === undefined) return notFound;
        return {
          status: 200,
          body: [...deployment.statuses].reverse().map((st) => statusBody(deployment, st)),
        };
      }
      case "GET /repos/{owner}/{repo}/compare/{base}...{head}": {
        // GitHub's description spells `{basehead}` as `{base}...{head}`; it compares from the merge base.
        if (!repos.has(repo)) return notFound;
        const [baseRev, headRev] = [params.base ?? "", params.head ?? ""];
        const [baseSha, headSha] = [await resolveCommit(repo, baseRev), await resolveCommit(repo, headRev)];
        if (baseSha === undefined || headSha === undefined) return notFound;
        const dir = repos.get(repo) ?? "";
        const mergeBase = (await run("git", ["merge-base", baseSha, headSha], { cwd: dir })).stdout.trim();
        const count = async (range: string) =>
          Number((await run("git", ["rev-list", "--count", range], { cwd: dir })).stdout.trim());
        const [aheadBy, behindBy] = [
          await count(`${mergeBase}..${headSha}`),
          await count(`${mergeBase}..${baseSha}`),
        ];
        const files = (await compareFiles(repo, baseSha, headSha)).slice(0, COMPARE_FILES_LIMIT);
        const commitRef = (sha: string) => ({
          sha,
          url: `${repoUrl}/commits/${sha}`,
          html_url: `${url}/${repo}/commit/${sha}`,
        });
        return {
          status: 200,
          body: {
            url: `${repoUrl}/compare/${baseRev}...${headRev}`,
            html_url: `${url}/${repo}/compare/${baseRev}...${headRev}`,
            permalink_url: `${url}/${repo}/compare/${baseSha}...${headSha}`,
            diff_url: `${url}/${repo}/compare/${baseRev}...${headRev}.diff`,
            patch_url: `${url}/${repo}/compare/${baseRev}...${headRev}.patch`,
            base_commit: commitRef(baseSha),
            merge_base_commit: commitRef(mergeBase),
            status:
              aheadBy === 0
                ? behindBy === 0
                  ? "identical"
                  : "behind"
                : behindBy === 0
                  ? "ahead"
                  : "diverged",
            ahead_by: aheadBy,
            behind_by: behindBy,
            total_commits: aheadBy,
            commits: [],
            files: files.map((f) => ({
              sha: headSha,
              ...f,
              additions: 0,
              deletions: 0,
              changes: 0,
              blob_url: `${url}/${repo}/blob/${headSha}/${f.filename}`,
              raw_url: `${url}/${repo}/raw/${headSha}/${f.filename}`,
              contents_url: `${repoUrl}/contents/${f.filename}?ref=${headSha}`,
            })),
          },
        };
      }
      case "GET /repos/{owner}/{repo}/pulls/{pull_number}": {
        const pr = pullRequests.get(`${repo}#${params.pull_number ?? ""}`);
        if (pr === undefined) return notFound;
        const [headSha, baseSha] = [
          await resolveCommit(repo, `refs/heads/${pr.head}`),
          await resolveCommit(repo, `refs/heads/${pr.base}`),
        ];
        if (headSha === undefined || baseSha === undefined) return notFound;
        const [owner = "", name = ""] = repo.split("/");
        const repository = {
          id: 1,
          name,
          full_name: repo,
          owner: { login: owner, id: 1, type: "Organization" },
          private: true,
        };
        return {
          status: 200,
          body: {
            id: pr.number,
            node_id: `PR_${pr.number}`,
            number: pr.number,
            url: `${repoUrl}/pulls/${pr.number}`,
            html_url: `${url}/${repo}/pull/${pr.number}`,
            state: "open",
            locked: false,
            draft: false,
            merged: false,
            title: `pull request ${pr.number}`,
            user: { login: "octocat", id: 1, type: "User" },
            head: { label: `${owner}:${pr.head}`, ref: pr.head, sha: headSha, repo: repository },
            base: { label: `${owner}:${pr.base}`, ref: pr.base, sha: baseSha, repo: repository },
            created_at: "2026-01-01T00:00:00Z",
            updated_at: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
          },
        };
      }
      default: {
        const gitDataReply = await gitData.handle(
          route,
          repo,
          params,
          new URL(req.url ?? "/", "http://localhost").searchParams,
          body,
          rule,
        );
        if (gitDataReply !== undefined) {
          // GitHub signs the commits a GitHub App creates through the API ("verified", reason "valid").
          const created = gitDataReply.body as { sha?: unknown } | undefined;
          if (
            route === "POST /repos/{owner}/{repo}/git/commits" &&
            gitDataReply.status === 201 &&
            auth.kind === "installation-token" &&
            typeof created?.sha === "string"
          ) {
            verifications.set(`${repo}@${created.sha}`, { verified: true, reason: "valid" });
          }
          return gitDataReply;
        }
        violation("github-rule", req, route, [
          `${route} is documented but not implemented by the GitHub fake`,
        ]);
        return { status: 501, body: errorBody(501, `${route} is not implemented by the GitHub fake`) };
      }
    }
  }

  const timestamp = () => new Date().toISOString().replace(/\.\d+Z$/, "Z");
  const creator = { login: "pullbridge[bot]", id: 1, type: "Bot" };

  function deploymentBody(d: RecordedDeployment) {
    const repoUrl = `${url}/repos/${d.repo}`;
    return {
      url: `${repoUrl}/deployments/${d.id}`,
      id: d.id,
      node_id: `DE_${d.id}`,
      sha: d.sha,
      ref: d.ref,
      task: d.task,
      payload: d.payload,
      original_environment: d.environment,
      environment: d.environment,
      description: d.description ?? null,
      creator,
      created_at: d.created_at,
      updated_at: d.statuses.at(-1)?.created_at ?? d.created_at,
      statuses_url: `${repoUrl}/deployments/${d.id}/statuses`,
      repository_url: repoUrl,
      transient_environment: d.transient_environment,
      production_environment: d.production_environment,
    };
  }

  function statusBody(d: RecordedDeployment, st: RecordedDeploymentStatus) {
    const repoUrl = `${url}/repos/${d.repo}`;
    return {
      url: `${repoUrl}/deployments/${d.id}/statuses/${st.id}`,
      id: st.id,
      node_id: `DES_${st.id}`,
      state: st.state,
      creator,
      description: st.description ?? "",
      environment: d.environment,
      target_url: st.log_url ?? "",
      log_url: st.log_url ?? "",
      environment_url: st.environment_url ?? "",
      created_at: st.created_at,
      updated_at: st.created_at,
      deployment_url: `${repoUrl}/deployments/${d.id}`,
      repository_url: repoUrl,
    };
  }

  async function createDeployment(
    repo: string,
    body: Record<string, unknown>,
    auth: AuthResult,
    rule: (status: number, message: string) => Reply,
  ): Promise<Reply> {
    if (!repos.has(repo)) return { status: 404, body: errorBody(404, "Not Found") };
    if (auth.kind === "jwt") return rule(403, "Resource not accessible by integration");
    const ref = String(body.ref);
    const sha = await resolveCommit(repo, ref);
    if (sha === undefined) return rule(422, `No ref found for: ${ref}`);
    const environment = typeof body.environment === "string" ? body.environment : "production";
    const deployment: RecordedDeployment = {
      id: nextDeploymentId++,
      repo,
      sha,
      ref,
      task: typeof body.task === "string" ? body.task : "deploy",
      environment,
      description: typeof body.description === "string" ? body.description : undefined,
      payload: body.payload ?? {},
      // GitHub's defaults: production when the environment is named so; never transient.
      production_environment:
        typeof body.production_environment === "boolean"
          ? body.production_environment
          : environment === "production",
      transient_environment: body.transient_environment === true,
      created_at: timestamp(),
      statuses: [],
    };
    deployments.push(deployment);
    return { status: 201, body: deploymentBody(deployment) };
  }

  /**
   * A new status; on `success` with `auto_inactive` (default true), every earlier deployment of
   * the same environment whose latest status is `success` gets an `inactive` status, as GitHub
   * documents (production and transient environments excepted).
   */
  function createDeploymentStatus(
    repo: string,
    id: number,
    body: Record<string, unknown>,
    rule: (status: number, message: string) => Reply,
  ): Reply {
    const deployment = deployments.find((d) => d.repo === repo && d.id === id);
    if (deployment === undefined) return { status: 404, body: errorBody(404, "Not Found") };
    const description = typeof body.description === "string" ? body.description : undefined;
    if (description !== undefined && description.length > 140) {
      return rule(422, "Validation Failed: description is too long (maximum is 140 characters)");
    }
    const status: RecordedDeploymentStatus = {
      id: nextDeploymentStatusId++,
      state: String(body.state),
      description,
      log_url: typeof body.log_url === "string" ? body.log_url : undefined,
      environment_url: typeof body.environment_url === "string" ? body.environment_url : undefined,
      created_at: timestamp(),
    };
    deployment.statuses.push(status);
    if (status.state === "success" && body.auto_inactive !== false) {
      for (const earlier of deployments) {
        const eligible =
          earlier.repo === repo &&
          earlier.id < deployment.id &&
          earlier.environment === deployment.environment &&
          !earlier.production_environment &&
          !earlier.transient_environment &&
          earlier.statuses.at(-1)?.state === "success";
        if (!eligible) continue;
        earlier.statuses.push({
          id: nextDeploymentStatusId++,
          state: "inactive",
          description: undefined,
          log_url: undefined,
          environment_url: undefined,
          created_at: timestamp(),
        });
      }
    }
    return { status: 201, body: statusBody(deployment, status) };
  }

  /** Writes the reply; returns the body's length in bytes. */
  function send(res: ServerResponse, reply: Reply): number {
    const isText = typeof reply.body === "string";
    const payload = reply.body === undefined ? "" : isText ? String(reply.body) : JSON.stringify(reply.body);
    res.writeHead(reply.status, {
      "content-type": "application/json; charset=utf-8",
      "x-github-api-version-selected": "2022-11-28",
      "x-github-request-id": randomBytes(8).toString("hex").toUpperCase(),
      ...rateLimitHeaders(),
      ...reply.headers,
    });
    res.end(payload);
    return Buffer.byteLength(payload);
  }

  async function serveArchive(
    req: IncomingMessage,
    res: ServerResponse,
    parsed: URL,
  ): Promise<RecordedRequest> {
    const record: RecordedRequest = {
      method: req.method ?? "GET",
      path: parsed.pathname,
      route: "codeload",
      params: {},
      query: Object.fromEntries(parsed.searchParams),
      body: undefined,
      auth: "none",
      status: 200,
      injected: false,
      bytes: 0,
      rateLimited: false,
    };
    const failure = takeFailure("codeload");
    if (failure !== undefined) {
      const reply = injected(failure);
      record.injected = true;
      if (reply === "drop") {
        req.socket.destroy();
        record.status = 0;
        return record;
      }
      record.status = reply.status;
      send(res, reply);
      return record;
    }
    const match = /^\/_codeload\/([^/]+)\/([^/]+)\/legacy\.tar\.gz\/([0-9a-f]{40})$/.exec(parsed.pathname);
    const token = parsed.searchParams.get("token") ?? "";
    const dir = match ? repos.get(`${match[1]}/${match[2]}`) : undefined;
    if (!match || dir === undefined || !downloadTokens.delete(token)) {
      record.status = 404;
      res.writeHead(404, { "content-type": "text/plain" }).end("Not Found");
      return record;
    }
    const [, owner, name, sha = ""] = match;
    const prefix = `${owner}-${name}-${sha.slice(0, 7)}`;
    res.writeHead(200, {
      "content-type": "application/x-gzip",
      "content-disposition": `attachment; filename=${prefix}.tar.gz`,
    });
    const child = spawn("git", ["archive", "--format=tar.gz", `--prefix=${prefix}/`, sha], {
      cwd: dir,
      stdio: ["ignore", "pipe", "ignore"],
    });
    child.stdout.on("data", (chunk: Buffer) => {
      record.bytes += chunk.length;
    });
    child.stdout.pipe(res);
    res.on("close", () => {
      if (child.exitCode === null) child.kill();
    });
    return record;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const parsed = new URL(req.url ?? "/", "http://localhost");
    if (parsed.pathname.startsWith("/_codeload/")) {
      requests.push(await serveArchive(req, res, parsed));
      return;
    }
    const method = req.method ?? "GET";
    const rawBody = await readBody(req);
    let body: unknown;
    try {
      body = rawBody.length > 0 ? JSON.parse(rawBody) : undefined;
    } catch {
      body = undefined;
    }
    const record: RecordedRequest = {
      method,
      path: parsed.pathname,
      route: undefined,
      params: {},
      query: Object.fromEntries(parsed.searchParams),
      body,
      auth: "none",
      status: 0,
      injected: false,
      bytes: 0,
      rateLimited: false,
    };
    requests.push(record);
    const reply = await (async (): Promise<Reply | "drop"> => {
      const matched = openapi.match(method, parsed.pathname);
      if (matched === undefined) {
        violation("openapi", req, undefined, [
          `no operation ${method} ${parsed.pathname} in GitHub's OpenAPI description`,
        ]);
        return { status: 404, body: errorBody(404, "Not Found") };
      }
      record.route = matched.operation.route;
      record.params = matched.pathParams;
      const problems = openapi.validate(matched, {
        query: parsed.searchParams,
        contentType: req.headers["content-type"],
        body,
        rawBody,
      });
      if (problems.length > 0) {
        violation("openapi", req, matched.operation.route, problems);
        return { status: 422, body: errorBody(422, `Invalid request.\n\n${problems.join("\n")}`) };
      }
      const auth = authenticate(req.headers.authorization);
      record.auth = auth.kind;
      if (auth.kind === "invalid" || (auth.kind === "none" && requireAuth)) {
        if (auth.problem !== undefined && auth.problem !== "Bad credentials") {
          violation("github-rule", req, matched.operation.route, [auth.problem]);
        }
        return { status: 401, body: errorBody(401, auth.problem ?? "Requires authentication") };
      }
      const failure = takeFailure(matched.operation.route);
      if (failure !== undefined) {
        record.injected = true;
        return injected(failure);
      }
      const fields = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
      await hooks.get(matched.operation.route)?.(fields);
      return handleApi(matched, fields, auth, req);
    })();
    if (reply === "drop") {
      req.socket.destroy();
      return;
    }
    const answer = conditional(req, reply);
    record.status = answer.status;
    record.rateLimited =
      (record.auth === "installation-token" || record.auth === "token") && answer.status !== 304;
    record.bytes = send(res, answer);
  }

  /**
   * GitHub's conditional requests: every successful GET carries an ETag, and a request whose
   * `If-None-Match` names it is answered 304 with no body (which GitHub does not count against
   * the rate limit).
   */
  function conditional(req: IncomingMessage, reply: Reply): Reply {
    if (req.method !== "GET" || reply.status !== 200 || reply.body === undefined) return reply;
    const payload = typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body);
    const etag = `W/"${createHash("sha256").update(payload).digest("hex").slice(0, 40)}"`;
    const asked = req.headers["if-none-match"];
    const matches =
      typeof asked === "string" &&
      asked.split(",").some((tag) => tag.trim() === etag || tag.trim() === etag.slice(2));
    if (matches) return { status: 304, headers: { etag } };
    return { ...reply, headers: { ...reply.headers, etag } };
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      violations.push({
        kind: "github-rule",
        method: req.method ?? "",
        path: req.url ?? "",
        route: undefined,
        problems: [`fake crashed: ${error instanceof Error ? error.message : String(error)}`],
      });
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const isRest = (r: RecordedRequest) =>
    r.route !== "codeload" && r.route !== "POST /app/installations/{installation_id}/access_tokens";

  return {
    url,
    addRepo(repo, dir) {
      repos.set(repo, dir);
    },
    openPullRequest(repo, pullRequest) {
      pullRequests.set(`${repo}#${pullRequest.number}`, pullRequest);
    },
    setCommitVerification(repo, sha, verification) {
      verifications.set(`${repo}@${sha}`, verification);
    },
    requests,
    violations,
    issuedTokens,
    gitData,
    restCalls: () => requests.filter(isRest),
    restCallsByRoute() {
      const counts: Record<string, number> = {};
      for (const r of requests.filter(isRest)) {
        const key = r.route ?? `${r.method} ${r.path}`;
        counts[key] = (counts[key] ?? 0) + 1;
      }
      return counts;
    },
    budget(since = 0) {
      const counted = requests.slice(since);
      const archives = counted.filter((r) => r.route === "codeload");
      return {
        requests: counted.length - archives.length,
        rateLimited: counted.filter((r) => r.rateLimited).length,
        notModified: counted.filter((r) => r.status === 304).length,
        appJwt: counted.filter((r) => r.auth === "jwt").length,
        archives: archives.length,
        archiveBytes: archives.reduce((sum, r) => sum + r.bytes, 0),
        bytes: counted.reduce((sum, r) => sum + r.bytes, 0),
      };
    },
    statuses: (sha) => statuses.filter((s) => sha === undefined || s.sha === sha),
    checkRuns: (sha) => checkRuns.filter((r) => sha === undefined || r.head_sha === sha),
    deployments: (sha) => deployments.filter((d) => sha === undefined || d.sha === sha),
    beforeAnswer(route, hook) {
      hooks.set(route, hook);
    },
    failNext(route, failure, times = 1) {
      const queue = failures.get(route) ?? [];
      for (let i = 0; i < times; i += 1) queue.push(failure);
      failures.set(route, queue);
    },
    reset() {
      requests.length = 0;
      violations.length = 0;
      statuses.length = 0;
      checkRuns.length = 0;
      deployments.length = 0;
      failures.clear();
      hooks.clear();
      gitData.reset();
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** GitHub REST calls one sync makes: head lookup, tarball, pending status, final status; +1 check run as an App. */
export const SYNC_REST_CALLS = { withoutCheckRun: 4, withCheckRun: 5 } as const;
