/**
 * The drift schedule's use case: one `resolve` job per repository branch that has scheduled
 * targets (the stack file's and the config repository's), and a removal for every preview
 * environment past its time limit. The worker looks the branch head up once (conditionally: an
 * unchanged branch costs GitHub nothing) and queues a `drift` job carrying it for each scheduled
 * target of the branch, which plans against the live cluster and corrects (or reports) any
 * difference — drift detection and self-heal with no agent in the cluster, at one GitHub request
 * per branch per tick.
 */
import type { CurrentConfigSource } from "../config/current-config.ts";
import {
  ENVIRONMENTS_KEY,
  environmentsSchema,
  expiredEnvironments,
  type LiveEnvironment,
} from "../config/environments.ts";
import type { Target } from "../config/targets.ts";
import { type ResolveJob, validateJob, validateResolveJob } from "../jobs/job-codec.ts";
import type { JobQueue } from "../jobs/job-queue.ts";
import { jsonDocument } from "../state/json-document.ts";
import type { ObjectStore } from "../state/object-store.ts";

export type DriftRunResult = {
  /** Targets whose drift check the tick asked for (queued by their branch's resolve job). */
  queued: string[];
  skipped: string[];
  /** `owner/name@branch` of each resolve job queued. */
  branches: string[];
  /** Preview environments removed for outliving their time limit (their `closed` event may have been missed). */
  expired?: string[];
};

/**
 * Queues a resolve job for every repository branch with a target that has not opted out
 * (`scheduled: false`). Job ids come from `scheduleId`, which names one run of the schedule: a
 * retried run reuses it, so SQS deduplicates the retry; every new run gets new jobs.
 */
export async function enqueueDriftJobs(deps: {
  targets: readonly Target[];
  queue: JobQueue;
  now: Date;
  /** One run of the schedule: EventBridge's event id in Lambda, a tick counter locally. */
  scheduleId: string;
  /** Live preview environments past their generator's `ttlHours` since their last push: each gets a removal. */
  expired?: readonly LiveEnvironment[];
}): Promise<DriftRunResult> {
  const scheduled = deps.targets.filter((t) => t.scheduled);
  // Job delivery ids allow [A-Za-z0-9._:-] and 100 characters; the subject is appended for dedup.
  const runId = deps.scheduleId.replace(/[^A-Za-z0-9._:-]/g, "-").slice(0, 80);
  // GitHub names are case-insensitive: `Org/App` and `org/app` are one repository.
  const branches = new Map<string, { repo: string; branch: string }>();
  for (const t of scheduled)
    branches.set(`${t.repo.toLowerCase()}@${t.branch}`, { repo: t.repo, branch: t.branch });
  const jobs: ResolveJob[] = [...branches.values()].map((b) =>
    validateResolveJob({
      type: "resolve",
      repo: b.repo,
      branch: b.branch,
      deliveryId: `drift-${runId}`,
      receivedAt: deps.now.toISOString(),
    }),
  );
  const removals = (deps.expired ?? []).map((env) =>
    validateJob({
      type: "remove",
      target: env.name,
      repo: env.repo,
      deliveryId: `drift-${runId}`,
      sender: "pullbridge-schedule",
      receivedAt: deps.now.toISOString(),
      reportOn: { repo: env.repo, sha: env.headSha },
      environment: { generator: env.generator, number: env.number },
      cause: `pull request #${env.number} not pushed to for ${env.ttlHours} h (ttlHours)`,
    }),
  );
  if (jobs.length + removals.length > 0) await deps.queue.enqueue([...jobs, ...removals]);
  return {
    queued: scheduled.map((t) => t.name),
    skipped: deps.targets.filter((t) => !t.scheduled).map((t) => t.name),
    branches: [...branches.keys()],
    ...(removals.length > 0 ? { expired: removals.map((j) => j.target) } : {}),
  };
}

/**
 * What one run of the schedule checks: the targets in force (one conditional GET of the stored
 * config) and the environments past their time limit (one GET of the live environments).
 */
export async function driftInputs(
  current: CurrentConfigSource,
  store: ObjectStore | undefined,
  now: Date,
): Promise<{ targets: readonly Target[]; expired: LiveEnvironment[] }> {
  const { targets } = await current.targets();
  if (store === undefined) return { targets, expired: [] };
  const envs = await jsonDocument(store, ENVIRONMENTS_KEY, environmentsSchema).read();
  return { targets, expired: envs.kind === "found" ? expiredEnvironments(envs.value, now) : [] };
}
