/**
 * What a delivery means for the config repository and its generators, beside the targets'
 * own syncs (route-push.ts, route-pull-request.ts). Pure: the caller passes the stack file's
 * config repository and the stored config's generators.
 *
 * - a push to the config branch that touches the config path → a config job (validate, store,
 *   queue the changed targets); a pull request into it → a config job that only validates;
 * - a push to a `directories` generator's branch that adds or removes a file inside a matching
 *   directory (the directory may have appeared or gone) → a config job (re-expand);
 * - a pull request of a `pullRequests` generator's repository: labelled and open → an environment
 *   job (sync it at the head); closed, or its label removed → a remove job. Never for a fork.
 *
 * When the payload cannot list every changed file (forced, truncated), the config job is queued:
 * an unneeded expansion changes nothing, a missed one leaves a directory without its target.
 */

import { directoryMatches } from "../config/directory-glob.ts";
import type { DirectorySource, PullRequestGenerator } from "../config/expand-config.ts";
import { CONFIG_JOB_TARGET, type ConfigDeliveryJobInput, JobTrigger } from "../jobs/job-codec.ts";
import "../validation/zod-messages.ts";
import * as z from "zod/mini";
import { isPathWithin } from "../is-path-within.ts";
import { type DeliveryFacts, sameRepo } from "./route-decision.ts";
import { PUSH_COMMIT_LIST_CAP } from "./route-push.ts";

/** What config routing needs: the stack file's config repository and the stored config's generators. */
export type ConfigRouting = {
  configRepository?: { repo: string; branch: string; path: string } | undefined;
  directorySources: readonly DirectorySource[];
  pullRequestGenerators: readonly Pick<PullRequestGenerator, "name" | "spec">[];
};

/** Jobs for the config repository and generators, and why (empty when the delivery means nothing to them). */
export type ConfigRoute = { jobs: ConfigDeliveryJobInput[]; reasons: string[] };

const sha = z.string().check(z.regex(/^[0-9a-f]{40}$/));
const nonEmpty = () => z.string().check(z.minLength(1));
const files = z.optional(z.array(z.string()));
const installation = z.nullish(z.object({ id: z.number().check(z.int(), z.positive()) }));

const pushPayload = z.object({
  ref: nonEmpty(),
  after: sha,
  forced: z.optional(z.boolean()),
  created: z.optional(z.boolean()),
  deleted: z.optional(z.boolean()),
  commits: z.nullish(z.array(z.object({ added: files, modified: files, removed: files }))),
  repository: z.object({ full_name: nonEmpty() }),
  sender: z.nullish(z.object({ login: nonEmpty() })),
  installation,
});

const pullRequestPayload = z.object({
  action: nonEmpty(),
  number: z.number().check(z.int(), z.positive()),
  pull_request: z.object({
    state: z.optional(z.string()),
    labels: z.optional(z.array(z.object({ name: z.string() }))),
    head: z.object({ sha, ref: nonEmpty(), repo: z.nullish(z.object({ full_name: nonEmpty() })) }),
    base: z.object({ ref: nonEmpty(), sha, repo: z.object({ full_name: nonEmpty() }) }),
  }),
  sender: z.nullish(z.object({ login: nonEmpty() })),
  installation,
});

const NONE: ConfigRoute = { jobs: [], reasons: [] };

/** Config, environment and remove jobs for a verified delivery. */
export function routeConfigEvents(
  event: string,
  payload: unknown,
  routing: ConfigRouting,
  facts: DeliveryFacts,
): ConfigRoute {
  if (event === "push") return routeConfigPush(payload, routing, facts);
  if (event === "pull_request") return routeConfigPullRequest(payload, routing, facts);
  return NONE;
}

/** A directory the file lies in that `glob` matches (the file's directory or an ancestor), if any. */
function matchingDirectory(glob: string, file: string): string | undefined {
  const depth = glob.split("/").length;
  const segments = file.split("/").slice(0, -1);
  if (segments.length < depth) return undefined;
  const dir = segments.slice(0, depth).join("/");
  return directoryMatches(glob, dir) ? dir : undefined;
}

function routeConfigPush(payload: unknown, routing: ConfigRouting, facts: DeliveryFacts): ConfigRoute {
  const parsed = pushPayload.safeParse(payload);
  if (!parsed.success) return NONE;
  const push = parsed.data;
  if (!push.ref.startsWith("refs/heads/") || push.deleted) return NONE;
  const branch = push.ref.slice("refs/heads/".length);
  const repo = push.repository.full_name;
  const commits = push.commits ?? [];
  const unknownFiles =
    push.forced === true ||
    push.created === true ||
    commits.length === 0 ||
    commits.length >= PUSH_COMMIT_LIST_CAP ||
    commits.some((c) => !c.added || !c.modified || !c.removed);
  const reasons: string[] = [];
  let configSha: string | undefined;
  const config = routing.configRepository;
  if (config !== undefined && sameRepo(config.repo, repo) && config.branch === branch) {
    const touched = commits.flatMap((c) => [...(c.added ?? []), ...(c.modified ?? []), ...(c.removed ?? [])]);
    if (unknownFiles || touched.some((f) => isPathWithin(config.path, f))) {
      configSha = push.after;
      reasons.push(`push to the config repository ${repo}@${branch}`);
    }
  }
  for (const source of routing.directorySources) {
    if (!sameRepo(source.repo, repo) || source.branch !== branch) continue;
    // Only additions and removals can make a matching directory appear or disappear.
    const addedOrRemoved = commits.flatMap((c) => [...(c.added ?? []), ...(c.removed ?? [])]);
    const dir = unknownFiles
      ? undefined
      : addedOrRemoved
          .map((f) => matchingDirectory(source.glob, f))
          .find((d) => d !== undefined && !source.exclude.some((e) => directoryMatches(e, d)));
    if (unknownFiles || dir !== undefined) {
      reasons.push(
        `push to ${repo}@${branch} may add or remove ${dir ?? source.glob} (generator ${source.generator})`,
      );
    }
  }
  if (reasons.length === 0 || config === undefined) return NONE;
  const job: ConfigDeliveryJobInput = {
    v: 1,
    type: "config",
    target: CONFIG_JOB_TARGET,
    repo: config.repo,
    ...(configSha === undefined ? {} : { sha: configSha }),
    // The installation of the push is the config repository's only when the push was to it.
    ...(push.installation && configSha !== undefined ? { installationId: push.installation.id } : {}),
    deliveryId: facts.deliveryId,
    sender: push.sender?.login ?? "unknown",
    receivedAt: facts.receivedAt,
    cause: reasons.join("; ").slice(0, 300),
  };
  return { jobs: [job], reasons };
}

/** Actions after which an open, labelled pull request's environment should match its head. */
const SYNC_ACTIONS: readonly string[] = ["opened", "reopened", "synchronize", "labeled", "ready_for_review"];

function routeConfigPullRequest(payload: unknown, routing: ConfigRouting, facts: DeliveryFacts): ConfigRoute {
  const parsed = pullRequestPayload.safeParse(payload);
  if (!parsed.success) return NONE;
  const event = parsed.data;
  const pr = event.pull_request;
  const repo = pr.base.repo.full_name;
  const headRepo = pr.head.repo?.full_name;
  const sender = event.sender?.login ?? "unknown";
  const jobs: ConfigDeliveryJobInput[] = [];
  const reasons: string[] = [];
  const config = routing.configRepository;
  if (
    config !== undefined &&
    sameRepo(config.repo, repo) &&
    config.branch === pr.base.ref &&
    ["opened", "reopened", "synchronize"].includes(event.action)
  ) {
    jobs.push({
      v: 1,
      type: "config",
      target: CONFIG_JOB_TARGET,
      repo: config.repo,
      ...(event.installation ? { installationId: event.installation.id } : {}),
      deliveryId: facts.deliveryId,
      sender,
      receivedAt: facts.receivedAt,
      cause: `pull request #${event.number} into the config repository`,
      pullRequest: { number: event.number, headSha: pr.head.sha },
    });
    reasons.push(`pull request #${event.number} into the config repository: validate`);
  }
  const labels = (pr.labels ?? []).map((l) => l.name);
  for (const generator of routing.pullRequestGenerators) {
    const { spec } = generator;
    if (!sameRepo(spec.repo, repo) || spec.branch !== pr.base.ref) continue;
    // Never from a fork: a fork's author would run their manifests with the project's rights.
    if (headRepo === undefined || !sameRepo(headRepo, repo)) {
      reasons.push(
        `pull request #${event.number} comes from a fork (${headRepo ?? "deleted"}): no environment`,
      );
      continue;
    }
    const labelled = labels.includes(spec.label);
    const name = `${generator.name}-pr-${event.number}`;
    const closed = event.action === "closed" || pr.state === "closed";
    if ((closed && labelled) || (event.action === "unlabeled" && !labelled)) {
      jobs.push({
        v: 1,
        type: "remove",
        target: name,
        repo,
        ...(event.installation ? { installationId: event.installation.id } : {}),
        deliveryId: facts.deliveryId,
        sender,
        receivedAt: facts.receivedAt,
        reportOn: { repo, sha: pr.head.sha },
        environment: { generator: generator.name, number: event.number },
        cause: `pull request #${event.number} ${closed ? "closed" : `unlabeled ${spec.label}`}`,
      });
      reasons.push(`pull request #${event.number} ${event.action}: remove environment ${name}`);
    } else if (!closed && labelled && SYNC_ACTIONS.includes(event.action)) {
      jobs.push({
        v: 1,
        type: "environment",
        trigger: JobTrigger.Webhook,
        target: name,
        repo,
        ...(event.installation ? { installationId: event.installation.id } : {}),
        ref: `refs/heads/${pr.head.ref}`,
        sha: pr.head.sha,
        before: pr.base.sha,
        deliveryId: facts.deliveryId,
        sender,
        receivedAt: facts.receivedAt,
        generator: generator.name,
        pullRequest: { number: event.number, branch: pr.head.ref },
      });
      reasons.push(`pull request #${event.number} ${event.action}: sync environment ${name}`);
    }
  }
  return { jobs, reasons };
}
