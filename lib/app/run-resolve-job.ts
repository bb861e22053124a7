/**
 * One drift tick of one repository branch: the head is looked up once — conditionally, so an
 * unchanged branch costs GitHub nothing — and a drift check carrying it is queued for every
 * scheduled target of the branch. When the head moved, its tree is put in the artifact cache
 * first, so the checks that follow find it instead of each downloading it.
 */

import { ConfigError } from "../errors.ts";
import { type DriftJob, type ResolveJob, validateJob } from "../jobs/job-codec.ts";
import { sameRepo } from "../webhook/route-decision.ts";
import type { JobReport } from "./report-job.ts";
import type { WorkerDeps } from "./worker-deps.ts";

/** Resolves the branch head and queues its drift checks; throws only retryable errors. */
export async function runResolveJob(deps: WorkerDeps, job: ResolveJob): Promise<JobReport> {
  const subject = `${job.repo}@${job.branch}`;
  const targets = deps.config.targets.filter(
    (t) => t.scheduled && sameRepo(t.repo, job.repo) && t.branch === job.branch,
  );
  const report = (message: string): JobReport => ({
    outcome: "resolved",
    target: subject,
    message,
    metrics: [],
  });
  if (targets.length === 0) return report(`no scheduled target on ${subject} any more`);
  const queue = deps.jobQueue;
  if (queue === undefined) {
    throw new ConfigError(
      "PULLBRIDGE_QUEUE_URL",
      "the worker needs the job queue to queue a drift tick's checks",
    );
  }
  const fleet = deps.fleet;
  const github = await deps.github({ repo: job.repo });
  const branch = { repo: job.repo, branch: job.branch };
  const head =
    fleet === undefined
      ? { sha: await github.source.headSha(branch), changed: false }
      : await fleet.heads.resolve(github.source, branch, deps.signal);
  if (fleet !== undefined && head.changed) {
    await fleet.trees.index(
      github.source,
      { repo: job.repo, sha: head.sha, maxArchiveBytes: deps.sourceLimits.maxArchiveBytes },
      deps.signal,
    );
  }
  const jobs = targets.map(
    (target) =>
      validateJob({
        type: "drift",
        target: target.name,
        repo: target.repo,
        sha: head.sha,
        // The tick's id and time: a retried resolve job queues the same (deduplicated) checks.
        deliveryId: job.deliveryId,
        receivedAt: job.receivedAt,
      }) as DriftJob,
  );
  await queue.enqueue(jobs);
  deps.logger.info("drift checks queued", {
    branch: subject,
    head: head.sha,
    headChanged: head.changed,
    targets: jobs.length,
  });
  return report(
    `head ${head.sha.slice(0, 7)}${head.changed ? " (moved)" : ""}: ${jobs.length} drift check(s) queued`,
  );
}
