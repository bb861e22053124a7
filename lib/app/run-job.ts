/**
 * The worker's use case: one queued job → the target it names → a sync (run-sync-job.ts) or a
 * preview (run-preview-job.ts) → what to report (job-outcome.ts). Retryable failures are thrown
 * (the job goes back to the queue, and to the DLQ after maxReceiveCount); permanent ones are
 * reported on the commit and returned, so the message is acknowledged.
 */
import type { Job } from "../jobs/job-codec.ts";
import { formatUnknownTarget } from "../reporting/format-job-report.ts";
import { describeConclusion, jobAgeMetric } from "./job-outcome.ts";
import { type JobReport, jobReportOf, postConclusion } from "./report-job.ts";
import { runStepJob } from "./run-lifecycle-job.ts";
import { runPreviewJob } from "./run-preview-job.ts";
import { runSyncJob } from "./run-sync-job.ts";
import type { WorkerDeps } from "./worker-deps.ts";

export type { JobReport } from "./report-job.ts";
export type { WorkerDeps } from "./worker-deps.ts";

/** Handles one job; throws only retryable errors. */
export async function runJob(deps: WorkerDeps, job: Job): Promise<JobReport> {
  const jobAge = jobAgeMetric(deps.now(), job.receivedAt);
  const jobSha = job.type === "drift" ? undefined : job.sha;
  const installationId = job.type === "drift" ? undefined : job.installationId;
  const target = deps.config.targets.find((t) => t.name === job.target);
  if (!target || target.repo.toLowerCase() !== job.repo.toLowerCase()) {
    const message = formatUnknownTarget(job, target);
    const kind = job.type === "preview" ? "preview" : "sync";
    const conclusion = {
      type: "unknown-target",
      repo: job.repo,
      target: job.target,
      sha: jobSha,
      kind,
      message,
    } as const;
    const described =
      jobSha === undefined
        ? describeConclusion(conclusion)
        : await postConclusion(await deps.github({ installationId, repo: job.repo }), conclusion);
    deps.logger.error("job for an unknown target acknowledged", {
      target: job.target,
      repo: job.repo,
      message,
    });
    return jobReportOf(described, { target: job.target, sha: jobSha }, [jobAge]);
  }

  const github = await deps.github({ installationId, repo: target.repo });
  const context = { deps, target, github, jobAge };
  if (job.type === "preview") return await runPreviewJob(context, job);
  if (job.type === "step") return await runStepJob(context, job);
  return await runSyncJob(context, job);
}
