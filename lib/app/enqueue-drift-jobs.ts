/**
 * The drift schedule's use case: one `drift` job per scheduled target. The worker resolves the
 * branch head, plans against the live cluster, and corrects (or reports) any difference — drift
 * detection and self-heal with no agent in the cluster.
 */
import type { Target } from "../config/targets.ts";
import { type DriftJob, validateJob } from "../jobs/job-codec.ts";
import type { JobQueue } from "../jobs/job-queue.ts";

export type DriftRunResult = { queued: string[]; skipped: string[] };

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
  if (jobs.length > 0) await deps.queue.enqueue(jobs);
  return {
    queued: jobs.map((j) => j.target),
    skipped: deps.targets.filter((t) => !t.scheduled).map((t) => t.name),
  };
}
