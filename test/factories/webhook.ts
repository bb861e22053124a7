/**
 * Builders for webhook tests: real GitHub payloads (test/fixtures/webhooks, from
 * @octokit/webhooks-examples) with only the fields a test cares about changed, signed with a
 * test secret the way GitHub signs them, wrapped in the request / Lambda event shapes.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { sign } from "@octokit/webhooks-methods";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { parseTargetsConfig, type Target, type TargetInput } from "../../lib/config/targets.ts";
import type { DeliveryRequest } from "../../lib/webhook/delivery-http.ts";

export const TEST_SECRET = "test-webhook-secret-0123456789";
export const OTHER_SECRET = "not-the-webhook-secret-9876543210";
/** Repository of every fixture payload. */
const FIXTURE_REPO = "Codertocat/Hello-World";

type Json = Record<string, unknown>;

const FIXTURES = new URL("../fixtures/webhooks/", import.meta.url);

/** A fresh copy of a fixture payload. */
export function webhookFixture(
  name: "ping" | "push" | "push-tag" | `pull-request-${"opened" | "synchronize" | "closed"}`,
): Json {
  return JSON.parse(readFileSync(new URL(`${name}.json`, FIXTURES), "utf8")) as Json;
}

/** A 40-character hex sha derived from a seed, so tests read `sha("after")`. */
export function sha(seed: string): string {
  let hex = "";
  for (let i = 0; hex.length < 40; i++)
    hex += ((seed.charCodeAt(i % seed.length) * (i + 7)) % 256).toString(16).padStart(2, "0");
  return hex.slice(0, 40);
}

export type CommitFiles = { added?: string[]; modified?: string[]; removed?: string[] };

export type PushOptions = {
  repo?: string;
  branch?: string;
  /** Full ref; overrides `branch`. */
  ref?: string;
  commits?: CommitFiles[] | null;
  before?: string;
  after?: string;
  created?: boolean;
  deleted?: boolean;
  forced?: boolean;
  size?: number;
  installationId?: number | null;
};

/**
 * The real `push` fixture (a push to master) as an ordinary push: not a new branch, one commit
 * per entry of `commits` (default: one commit changing `README.md`).
 */
export function pushPayload(options: PushOptions = {}): Json {
  const payload = webhookFixture("push");
  const template = (payload.commits as Json[])[0] as Json;
  const repo = options.repo ?? FIXTURE_REPO;
  const [owner = "", name = ""] = repo.split("/");
  const repository = payload.repository as Json;
  repository.full_name = repo;
  repository.name = name;
  (repository.owner as Json).login = owner;
  payload.ref = options.ref ?? `refs/heads/${options.branch ?? "master"}`;
  payload.before = options.before ?? sha("before");
  payload.after = options.after ?? sha("after");
  payload.created = options.created ?? false;
  payload.deleted = options.deleted ?? false;
  payload.forced = options.forced ?? false;
  if (options.size !== undefined) payload.size = options.size;
  if (options.installationId === null) delete payload.installation;
  else if (options.installationId !== undefined) (payload.installation as Json).id = options.installationId;
  const commits = options.commits === undefined ? [{ modified: ["README.md"] }] : options.commits;
  if (commits === null) {
    delete payload.commits;
  } else {
    payload.commits = commits.map((files, i) => ({
      ...template,
      id: sha(`commit-${i}`),
      added: files.added ?? [],
      modified: files.modified ?? [],
      removed: files.removed ?? [],
    }));
  }
  return payload;
}

/** A branch deletion, as GitHub sends it: `deleted`, `after` all zeros, no commits. */
export function branchDeletionPayload(branch = "master"): Json {
  const payload = pushPayload({ branch, deleted: true, after: "0".repeat(40), commits: [] });
  payload.head_commit = null;
  return payload;
}

export type PullRequestOptions = {
  action?: string;
  baseRef?: string;
  repo?: string;
  number?: number;
  headSha?: string;
};

/** The real `pull_request` `synchronize` fixture with the fields a test names changed. */
export function pullRequestPayload(options: PullRequestOptions = {}): Json {
  const payload = webhookFixture("pull-request-synchronize");
  const pr = payload.pull_request as Json;
  const base = pr.base as Json;
  const head = pr.head as Json;
  if (options.action !== undefined) payload.action = options.action;
  if (options.number !== undefined) {
    payload.number = options.number;
    pr.number = options.number;
  }
  if (options.baseRef !== undefined) base.ref = options.baseRef;
  if (options.headSha !== undefined) head.sha = options.headSha;
  if (options.repo !== undefined) {
    (payload.repository as Json).full_name = options.repo;
    (base.repo as Json).full_name = options.repo;
  }
  return payload;
}

export type DeliveryOptions = {
  event: string;
  /** Payload to serialise, or the exact body text. */
  payload?: Json;
  body?: string;
  /** Secret to sign with; `null` sends no signature header. */
  secret?: string | null;
  /** Replaces the computed signature header. */
  signature?: string;
  deliveryId?: string;
  base64?: boolean;
  contentType?: string;
  extraHeaders?: Record<string, string>;
};

/** A signed delivery as the use case sees it. */
export async function signedDelivery(
  options: DeliveryOptions,
): Promise<DeliveryRequest & { deliveryId: string }> {
  const body = options.body ?? JSON.stringify(options.payload ?? {});
  const deliveryId = options.deliveryId ?? randomUUID();
  const secret = options.secret === undefined ? TEST_SECRET : options.secret;
  const headers: Record<string, string> = {
    "content-type": options.contentType ?? "application/json",
    "user-agent": "GitHub-Hookshot/test",
    "x-github-event": options.event,
    "x-github-delivery": deliveryId,
    "x-github-hook-id": "12345",
    ...options.extraHeaders,
  };
  if (options.signature !== undefined) headers["x-hub-signature-256"] = options.signature;
  else if (secret !== null) headers["x-hub-signature-256"] = await sign(secret, body);
  return {
    headers,
    body: options.base64 ? Buffer.from(body, "utf8").toString("base64") : body,
    isBase64Encoded: options.base64 ?? false,
    sourceIp: "192.0.2.10",
    deliveryId,
  };
}

/** The API Gateway HTTP API (payload 2.0) event carrying a delivery. */
export function httpApiEvent(request: DeliveryRequest): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers))
    if (value !== undefined) headers[name.toLowerCase()] = value;
  return {
    version: "2.0",
    routeKey: "POST /webhook",
    rawPath: "/webhook",
    rawQueryString: "",
    headers,
    requestContext: {
      accountId: "123456789012",
      apiId: "api",
      domainName: "api.example.com",
      domainPrefix: "api",
      http: {
        method: "POST",
        path: "/webhook",
        protocol: "HTTP/1.1",
        sourceIp: "192.0.2.10",
        userAgent: "GitHub-Hookshot/test",
      },
      requestId: randomUUID(),
      routeKey: "POST /webhook",
      stage: "$default",
      time: "22/Nov/2025:10:00:00 +0000",
      timeEpoch: 1_763_805_600_000,
    },
    ...(request.body === undefined ? {} : { body: request.body }),
    isBase64Encoded: request.isBase64Encoded,
  };
}

/** A target in the fixture repository; name and path are what most tests vary. */
export function aTarget(overrides: Partial<TargetInput> & { name: string }): TargetInput {
  return {
    repo: FIXTURE_REPO,
    branch: "master",
    path: `apps/${overrides.name}`,
    cluster: "prod",
    namespace: overrides.name,
    ...overrides,
  };
}

/**
 * The standard test targets: `web` (apps/web, previews), `api` (apps/api), `platform`
 * (platform, previews) on master; `staging` (deploy/staging) on release; `elsewhere` in another
 * repository.
 */
export function webhookTargets(extra: TargetInput[] = []): Target[] {
  return parseTargetsConfig({
    version: 1,
    clusters: { prod: { type: "eks", name: "prod" } },
    targets: [
      aTarget({ name: "web", preview: true }),
      aTarget({ name: "api" }),
      aTarget({ name: "platform", path: "platform", preview: true }),
      aTarget({ name: "staging", branch: "release", path: "deploy/staging", preview: true }),
      aTarget({ name: "elsewhere", repo: "acme/other", path: "." }),
      ...extra,
    ],
  }).targets;
}
