/**
 * `push` → one sync job per target whose path changed. Pure.
 *
 * When the payload cannot tell us every changed file (commit list truncated or missing, a forced
 * push, a new branch, an empty list) every target on the branch is queued: an unneeded sync is a
 * no-op that writes nothing, a missed one leaves the cluster behind Git.
 *
 * With derived routing (the state bucket holds what each target's last render read), a push also
 * reaches a target when it changes a file that render read, a directory it listed or a path it
 * checked — an overlay's base elsewhere, a values file — and every target that has no record yet.
 */

import { type DeliveryJobInput, JobTrigger } from "../jobs/job-codec.ts";
import "../validation/zod-messages.ts";
import * as z from "zod/mini";
import { sourcePathsOf, touchesTarget } from "../render/target-source-paths.ts";
import { type RoutingRecord, recordTouches } from "../routing/routing-record.ts";
import type { RoutingReader } from "../routing/routing-store.ts";
import {
  type DeliveryFacts,
  IgnoreCode,
  type RoutableTarget,
  type RouteDecision,
  sameRepo,
} from "./route-decision.ts";

/**
 * GitHub's documented cap on `commits` in push events is 20 (Events API; webhooks can carry
 * more). A list this long may be incomplete, so it counts as truncated: the cost is a few no-op
 * syncs, never a missed change.
 */
export const PUSH_COMMIT_LIST_CAP = 20;
const ZERO_SHA = "0000000000000000000000000000000000000000";

const sha = z.string().check(z.regex(/^[0-9a-f]{40}$/));
const files = z.optional(z.array(z.string()));
const nonEmpty = () => z.string().check(z.minLength(1));

const pushPayload = z.object({
  ref: nonEmpty(),
  before: sha,
  after: sha,
  created: z.optional(z.boolean()),
  deleted: z.optional(z.boolean()),
  forced: z.optional(z.boolean()),
  /** Not in webhook payloads today, but if present and larger than the list, it is truncated. */
  size: z.optional(z.number().check(z.int(), z.nonnegative())),
  commits: z.nullish(z.array(z.object({ added: files, modified: files, removed: files }))),
  repository: z.object({ full_name: nonEmpty() }),
  sender: z.nullish(z.object({ login: nonEmpty() })),
  pusher: z.nullish(z.object({ name: nonEmpty() })),
  installation: z.nullish(z.object({ id: z.number().check(z.int(), z.positive()) })),
});
type PushPayload = z.infer<typeof pushPayload>;
/**
 * What routing reads from a push payload; GitHub's own payload type is checked against it in tests.
 * @internal
 */
export type PushPayloadInput = z.input<typeof pushPayload>;

/** Why the commit list cannot be trusted to name every changed file, or undefined when it can. */
function fullSyncReason(
  push: Pick<PushPayload, "forced" | "created" | "size" | "commits">,
): string | undefined {
  if (push.forced) return "forced push";
  if (push.created) return "new branch";
  const commits = push.commits;
  if (!commits) return "commit list missing";
  if (commits.length === 0) return "commit list empty";
  if (push.size !== undefined && push.size > commits.length) {
    return `commit list truncated (${commits.length} of ${push.size})`;
  }
  if (commits.length >= PUSH_COMMIT_LIST_CAP)
    return `commit list may be truncated (${commits.length} commits)`;
  if (commits.some((c) => !c.added || !c.modified || !c.removed)) return "commit file lists missing";
  return undefined;
}

/**
 * What derived routing knows about a branch's targets, wherever it is kept: each target's record of
 * what its last render read, or undefined when it has none yet (it then gets every push).
 */
export type DerivedRoutes = {
  recordOf(target: string): Pick<RoutingRecord, "inputs" | "listed" | "probed"> | undefined;
};

/** No records at all (the routing data could not be read): every target of the branch is touched. */
export const NO_DERIVED_ROUTES: DerivedRoutes = { recordOf: () => undefined };

/** Derived routes of a branch from the routing objects (`routing/`): each target's record, if it has one. */
export function derivedRoutesFrom(
  reader: RoutingReader,
): (repo: string, branch: string) => Promise<DerivedRoutes> {
  return async (repo, branch) => {
    const routing = await reader.read(repo, branch);
    return { recordOf: (target) => routing?.targets[target] };
  };
}

/** Whether `changed` touches `target`: its path or watch paths, or — with derived routes — what its last render read. */
export function touchedBy(
  target: RoutableTarget,
  changed: readonly string[],
  derived: DerivedRoutes | undefined,
): boolean {
  if (changed.some((file) => touchesTarget(target, file))) return true;
  if (derived === undefined) return false;
  const record = derived.recordOf(target.name);
  return record === undefined || changed.some((file) => recordTouches(record, file));
}

/** The repository and branch a push is for (before routing, to read the branch's routing data); undefined for tags and malformed payloads. */
export function pushBranchOf(payload: unknown): { repo: string; branch: string } | undefined {
  const parsed = pushPayload.safeParse(payload);
  if (!parsed.success || !parsed.data.ref.startsWith("refs/heads/")) return undefined;
  return { repo: parsed.data.repository.full_name, branch: parsed.data.ref.slice("refs/heads/".length) };
}

/** Every file added, modified or removed by any commit of the push. */
function changedFiles(commits: NonNullable<PushPayload["commits"]>): Set<string> {
  const changed = new Set<string>();
  for (const commit of commits) {
    for (const list of [commit.added, commit.modified, commit.removed]) {
      for (const file of list ?? []) changed.add(file);
    }
  }
  return changed;
}

/** Routes a verified `push` delivery (`derived`: what each target's last render read, when the bucket is configured). */
export function routePush(
  payload: unknown,
  targets: readonly RoutableTarget[],
  facts: DeliveryFacts,
  derived?: DerivedRoutes,
): RouteDecision {
  const parsed = pushPayload.safeParse(payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      kind: "invalid",
      reason: `push payload: ${issue?.path.join(".") || "(root)"}: ${issue?.message}`,
    };
  }
  const push = parsed.data;
  const repo = push.repository.full_name;

  if (push.ref.startsWith("refs/tags/")) {
    return { kind: "ignore", repo, code: IgnoreCode.TagPush, reason: `tag push (${push.ref})` };
  }
  if (!push.ref.startsWith("refs/heads/")) {
    return { kind: "ignore", repo, code: IgnoreCode.NotABranch, reason: `ref ${push.ref} is not a branch` };
  }
  const branch = push.ref.slice("refs/heads/".length);
  if (push.deleted || push.after === ZERO_SHA) {
    // Deleting a branch never deletes what it deployed; removing a target is a config change.
    return { kind: "ignore", repo, code: IgnoreCode.BranchDeleted, reason: `branch ${branch} deleted` };
  }
  const inRepo = targets.filter((t) => sameRepo(t.repo, repo));
  if (inRepo.length === 0) {
    return {
      kind: "ignore",
      repo,
      code: IgnoreCode.UntrackedRepository,
      reason: `repository ${repo} is not tracked`,
    };
  }
  const onBranch = inRepo.filter((t) => t.branch === branch);
  if (onBranch.length === 0) {
    return {
      kind: "ignore",
      repo,
      code: IgnoreCode.UntrackedBranch,
      reason: `branch ${branch} of ${repo} is not tracked`,
    };
  }

  const everything = fullSyncReason(push);
  let selected: readonly RoutableTarget[];
  let reason: string;
  if (everything !== undefined) {
    selected = onBranch;
    reason = `${everything}: every target on ${branch}`;
  } else {
    const changed = [...changedFiles(push.commits ?? [])];
    selected = onBranch.filter((t) => touchedBy(t, changed, derived));
    reason = `paths changed in ${push.commits?.length ?? 0} commit(s)${derived === undefined ? "" : " (derived routing)"}`;
  }
  if (selected.length === 0) {
    return {
      kind: "ignore",
      repo,
      code: IgnoreCode.NoTargetChanged,
      reason: `no target path changed on ${branch} (${onBranch.flatMap((t) => sourcePathsOf(t)).join(", ")})`,
    };
  }

  const sender = push.sender?.login ?? push.pusher?.name ?? "unknown";
  const jobs = selected.map(
    (target): DeliveryJobInput => ({
      v: 1,
      type: "sync",
      trigger: JobTrigger.Webhook,
      target: target.name,
      repo: target.repo,
      ...(push.installation ? { installationId: push.installation.id } : {}),
      ref: push.ref,
      sha: push.after,
      before: push.before,
      deliveryId: facts.deliveryId,
      sender,
      receivedAt: facts.receivedAt,
    }),
  );
  return { kind: "queue", repo, jobs, reason };
}
