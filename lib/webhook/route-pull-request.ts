/**
 * `pull_request` (opened, synchronize, reopened) → one preview job per preview-enabled target
 * of the base repository and branch. Pure.
 *
 * The payload does not list the files a pull request touches (that needs an API call the
 * webhook does not make: it holds no GitHub token and must answer fast), so every
 * preview-enabled target on the base branch gets a job; the worker asks GitHub which files
 * changed (one compare call) and posts nothing for targets the pull request does not touch.
 */

import { type DeliveryJobInput, JobTrigger } from "../jobs/job-codec.ts";
import "../validation/zod-messages.ts";
import * as z from "zod/mini";
import {
  type DeliveryFacts,
  IgnoreCode,
  payloadAction,
  payloadRepo,
  type RoutableTarget,
  type RouteDecision,
  sameRepo,
} from "./route-decision.ts";

/** Actions that change what a preview would show. */
const PREVIEW_ACTIONS: readonly string[] = ["opened", "synchronize", "reopened"];

const sha = z.string().check(z.regex(/^[0-9a-f]{40}$/));
const nonEmpty = () => z.string().check(z.minLength(1));

const pullRequestPayload = z.object({
  action: nonEmpty(),
  number: z.number().check(z.int(), z.positive()),
  pull_request: z.object({
    head: z.object({
      sha,
      label: z.nullish(z.string()),
      repo: z.nullish(z.object({ full_name: nonEmpty() })),
    }),
    base: z.object({ ref: nonEmpty(), sha, repo: z.object({ full_name: nonEmpty() }) }),
  }),
  repository: z.object({ full_name: nonEmpty() }),
  sender: z.nullish(z.object({ login: nonEmpty() })),
  installation: z.nullish(z.object({ id: z.number().check(z.int(), z.positive()) })),
});

/**
 * What routing reads from a pull_request payload; GitHub's own payload type is checked against it in tests.
 * @internal
 */
export type PullRequestPayloadInput = z.input<typeof pullRequestPayload>;

/** Routes a verified `pull_request` delivery. */
export function routePullRequest(
  payload: unknown,
  targets: readonly RoutableTarget[],
  facts: DeliveryFacts,
): RouteDecision {
  const action = payloadAction(payload);
  if (action !== undefined && !PREVIEW_ACTIONS.includes(action)) {
    return {
      kind: "ignore",
      repo: payloadRepo(payload),
      code: IgnoreCode.UnhandledAction,
      reason: `pull_request action ${action} is not handled`,
    };
  }
  const parsed = pullRequestPayload.safeParse(payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      kind: "invalid",
      reason: `pull_request payload: ${issue?.path.join(".") || "(root)"}: ${issue?.message}`,
    };
  }
  const event = parsed.data;
  const pr = event.pull_request;
  const repo = pr.base.repo.full_name;
  const baseRef = pr.base.ref;
  const selected = targets.filter((t) => t.preview && sameRepo(t.repo, repo) && t.branch === baseRef);
  if (selected.length === 0) {
    return {
      kind: "ignore",
      repo,
      code: IgnoreCode.NoPreviewTarget,
      reason: `no preview-enabled target tracks ${repo}@${baseRef}`,
    };
  }
  const sender = event.sender?.login ?? "unknown";
  const headRepo = pr.head.repo?.full_name ?? pr.head.label ?? "unknown";
  const jobs = selected.map(
    (target): DeliveryJobInput => ({
      v: 1,
      type: "preview",
      trigger: JobTrigger.Webhook,
      target: target.name,
      repo: target.repo,
      ...(event.installation ? { installationId: event.installation.id } : {}),
      ref: `refs/pull/${event.number}/head`,
      sha: pr.head.sha,
      before: pr.base.sha,
      deliveryId: facts.deliveryId,
      sender,
      receivedAt: facts.receivedAt,
      pullRequest: { number: event.number, headSha: pr.head.sha, baseRef, headRepo },
    }),
  );
  return { kind: "queue", repo, jobs, reason: `pull request #${event.number} ${event.action}` };
}
