/**
 * A GitHub `push` delivery made from a local repository: the payload fields the webhook reads
 * (ref, before/after, per-commit file lists, repository, sender), signed with the webhook
 * secret exactly as GitHub signs (`X-Hub-Signature-256: sha256=<hmac>` over the raw body), and
 * POSTed to the local bridge.
 */
import { createHmac, randomUUID } from "node:crypto";
import type { ChangedFiles, LocalGit } from "./local-git.ts";
import { ZERO_SHA } from "./local-git.ts";

/** The subset of GitHub's push payload pullbridge reads, shaped as GitHub sends it. */
export function pushPayload(options: {
  repo: string;
  branch: string;
  before: string;
  after: string;
  files: ChangedFiles | undefined;
  message: string;
  sender?: string;
}): Record<string, unknown> {
  const [owner = "", name = ""] = options.repo.split("/");
  const sender = options.sender ?? "local";
  const created = options.before === ZERO_SHA;
  return {
    ref: `refs/heads/${options.branch}`,
    before: options.before,
    after: options.after,
    created,
    deleted: false,
    forced: false,
    // No commit list means "sync every target on the branch" (e.g. re-sending the same head).
    commits: options.files
      ? [{ id: options.after, message: options.message, distinct: true, ...options.files }]
      : [],
    head_commit: { id: options.after, message: options.message },
    repository: { name, full_name: options.repo, owner: { login: owner } },
    pusher: { name: sender },
    sender: { login: sender },
  };
}

/** `sha256=<hex hmac>` over the exact body bytes. */
function signBody(secret: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(body, "utf8").digest("hex")}`;
}

export type DeliveryAnswer = { deliveryId: string; status: number; body: string };

/** POSTs a signed delivery and returns the bridge's answer. */
export async function sendDelivery(options: {
  url: string;
  secret: string;
  event: string;
  payload: unknown;
  deliveryId?: string;
}): Promise<DeliveryAnswer> {
  const body = JSON.stringify(options.payload);
  const deliveryId = options.deliveryId ?? randomUUID();
  const response = await fetch(options.url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "user-agent": "GitHub-Hookshot/pullbridge-local",
      "x-github-event": options.event,
      "x-github-delivery": deliveryId,
      "x-hub-signature-256": signBody(options.secret, body),
    },
    body,
  });
  return { deliveryId, status: response.status, body: await response.text() };
}

export type PushResult = DeliveryAnswer & { before: string; after: string; files: ChangedFiles | undefined };

/**
 * Sends the push GitHub would send for `branch` moving from `before` to its current head.
 * `before` defaults to the head's parent (all zeros for a root commit: a new branch).
 */
export async function deliverPush(options: {
  repo: LocalGit;
  repoName: string;
  branch: string;
  url: string;
  secret: string;
  before?: string | undefined;
}): Promise<PushResult> {
  const after = await options.repo.head(options.branch);
  if (after === undefined)
    throw new Error(`branch ${options.branch} of ${options.repo.dir} has no commit yet`);
  const before = options.before ?? (await options.repo.parentOf(after)) ?? ZERO_SHA;
  const files = before === after ? undefined : await options.repo.changedFiles(before, after);
  const payload = pushPayload({
    repo: options.repoName,
    branch: options.branch,
    before,
    after,
    files,
    message: await options.repo.subjectOf(after),
  });
  const answer = await sendDelivery({ url: options.url, secret: options.secret, event: "push", payload });
  return { ...answer, before, after, files };
}
