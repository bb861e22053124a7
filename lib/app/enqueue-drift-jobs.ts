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
 * Queues a drift check for every target that has not opted out (`scheduled: false`). The job id
 * is derived from the schedule time, so a re-delivered schedule event inside SQS's 5-minute
 * deduplication window queues nothing twice.
 */
export async function enqueueDriftJobs(deps: {
  targets: readonly Target[];
  queue: JobQueue;
  now: Date;
}): Promise<DriftRunResult> {
  const scheduled = deps.targets.filter((t) => t.scheduled);
  const tick = deps.now
    .toISOString()
    .slice(0, 16)
    .replace(/[^0-9]/g, "");
  const jobs = scheduled.map(
    (target) =>
      validateJob({
        type: "drift",
        target: target.name,
        repo: target.repo,
        deliveryId: `drift-${tick}`,
        receivedAt: deps.now.toISOString(),
      }) as DriftJob,
  );
  if (jobs.length > 0) await deps.queue.enqueue(jobs);
  return {
    queued: jobs.map((j) => j.target),
    skipped: deps.targets.filter((t) => !t.scheduled).map((t) => t.name),
  };
}
