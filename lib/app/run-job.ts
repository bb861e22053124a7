/**
 * The worker's use case: one queued job → the target it names → a sync (run-sync-job.ts) or a
 * preview (run-preview-job.ts) → what to report (job-outcome.ts). Retryable failures are thrown
 * (the job goes back to the queue, and to the DLQ after maxReceiveCount); permanent ones are
 * reported on the commit and returned, so the message is acknowledged.
 */
import type { QueueJob } from "../jobs/job-codec.ts";
import { formatUnknownTarget } from "../reporting/format-job-report.ts";
import { createSecretValues } from "../secrets/secret-values.ts";
import { describeConclusion, jobAgeMetric } from "./job-outcome.ts";
import { redactingGitHub, redactingLog } from "./redact-job-output.ts";
import { type JobReport, jobReportOf, postConclusion } from "./report-job.ts";
import { runConfigJob } from "./run-config-job.ts";
import { runEnvironmentJob } from "./run-environment-job.ts";
import { runStepJob } from "./run-lifecycle-job.ts";
import { runPreviewJob } from "./run-preview-job.ts";
import { runRemoveJob } from "./run-remove-job.ts";
import { runResolveJob } from "./run-resolve-job.ts";
import { runSyncJob } from "./run-sync-job.ts";
import type { WorkerDeps } from "./worker-deps.ts";

export type { JobReport } from "./report-job.ts";
export type { WorkerDeps } from "./worker-deps.ts";

/** Handles one job; throws only retryable errors. */
export async function runJob(unscoped: WorkerDeps, job: QueueJob): Promise<JobReport> {
  // A config job validates against the stack file alone; every other job sees the targets in force.
  if (job.type === "config") return await runConfigJob(unscoped, job);
  const current = unscoped.configRepository?.current;
  const deps =
    current === undefined
      ? unscoped
      : { ...unscoped, config: await current.targets({ signal: unscoped.signal }) };
  if (job.type === "resolve") return await runResolveJob(deps, job);
  if (job.type === "environment") return await runEnvironmentJob(deps, job);
  if (job.type === "remove") return await runRemoveJob(deps, job);
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

  // Values this job decrypts never leave it: every report, log line and error passes through them.
  const secretValues = createSecretValues();
  const github = redactingGitHub(await deps.github({ installationId, repo: target.repo }), secretValues);
  const context = {
    deps: { ...deps, logger: redactingLog(deps.logger, secretValues) },
    target,
    github,
    jobAge,
    secretValues,
  };
  try {
    const report =
      job.type === "preview"
        ? await runPreviewJob(context, job)
        : job.type === "step"
          ? await runStepJob(context, job)
          : await runSyncJob(context, job);
    return secretValues.redactDeep(report);
  } catch (error) {
    throw secretValues.redactDeep(error);
  }
}
