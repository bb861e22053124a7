/**
 * The drift schedule's use case: one `drift` job per scheduled target (the stack file's and the
 * config repository's), and a removal for every preview environment past its time limit. The worker resolves the
 * branch head, plans against the live cluster, and corrects (or reports) any difference — drift
 * detection and self-heal with no agent in the cluster.
 */
import type { CurrentConfigSource } from "../config/current-config.ts";
import {
  ENVIRONMENTS_KEY,
  environmentsSchema,
  expiredEnvironments,
  type LiveEnvironment,
} from "../config/environments.ts";
import type { Target } from "../config/targets.ts";
import { type DriftJob, validateJob } from "../jobs/job-codec.ts";
import type { JobQueue } from "../jobs/job-queue.ts";
import { jsonDocument } from "../state/json-document.ts";
import type { ObjectStore } from "../state/object-store.ts";

export type DriftRunResult = {
  queued: string[];
  skipped: string[];
  /** Preview environments removed for outliving their time limit (their `closed` event may have been missed). */
  expired?: string[];
};

/**
 * Queues a drift check for every target that has not opted out (`scheduled: false`). Job ids
 * come from `scheduleId`, which names one run of the schedule: a retried run reuses it, so SQS
 * deduplicates the retry; every new run (however soon after the last) gets new jobs.
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
  // Job delivery ids allow [A-Za-z0-9._:-] and 100 characters; the target is appended for dedup.
  const runId = deps.scheduleId.replace(/[^A-Za-z0-9._:-]/g, "-").slice(0, 80);
  const jobs = scheduled.map(
    (target) =>
      validateJob({
        type: "drift",
        target: target.name,
        repo: target.repo,
        deliveryId: `drift-${runId}`,
        receivedAt: deps.now.toISOString(),
      }) as DriftJob,
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
    queued: jobs.map((j) => j.target),
    skipped: deps.targets.filter((t) => !t.scheduled).map((t) => t.name),
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
