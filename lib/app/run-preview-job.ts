/**
 * A preview job: skip it when a newer push superseded it or when the pull request touches nothing
 * under the target path, else plan the pull request head against the live cluster (read-only).
 */

import { describeError, isRetryable } from "../errors.ts";
import type { PreviewJob } from "../jobs/job-codec.ts";
import { isSingleStep, planLifecycle } from "../lifecycle/plan-lifecycle.ts";
import { formatPreviewOutOfScope, formatPreviewPending } from "../reporting/format-job-report.ts";
import { syncTarget } from "../sync/sync-target.ts";
import type { Log } from "../telemetry/log.ts";
import { loadJobObjects } from "./load-target-objects.ts";
import { unsealPreview, withEncryptedReasons } from "./preview-encrypted.ts";
import { changeTouchesTarget } from "./preview-scope.ts";
import { type JobReport, jobReportOf, postConclusion, settleFailure } from "./report-job.ts";
import type { JobContext } from "./worker-deps.ts";

/**
 * Runs a lookup that only saves work: a permanent failure (e.g. the token cannot read pull
 * requests) is logged and answered `undefined`, so the caller does the full job; a retryable one
 * is thrown, so the job is retried.
 */
async function bestEffort<T>(logger: Log, what: string, lookup: () => Promise<T>): Promise<T | undefined> {
  try {
    return await lookup();
  } catch (error) {
    if (isRetryable(error)) throw error;
    logger.warn(`${what} failed; previewing anyway`, { error: describeError(error) });
    return undefined;
  }
}

/** Why this preview need not run (superseded, out of scope), or undefined to run it. One REST call each. */
async function previewShortcut(context: JobContext, job: PreviewJob): Promise<JobReport | undefined> {
  const { deps, target, github } = context;
  const { number, headSha: sha } = job.pullRequest;
  const log = previewLog(context, job);
  // Supersede: a newer push to the pull request queued its own preview; planning this one would only
  // post a stale result (and cost a tarball and a cluster read).
  const head = await bestEffort(deps.logger, "looking up the pull request head", () =>
    github.source.pullRequestHead({ repo: target.repo, number }),
  );
  if (head !== undefined && head !== sha) {
    const described = await postConclusion(github, {
      type: "preview-superseded",
      target,
      sha,
      head,
      pullRequest: number,
    });
    log("preview superseded by a newer pull request head", { head });
    return jobReportOf(described, { target: target.name, sha }, [context.jobAge]);
  }
  // Scope: a pull request that touches nothing under the target's path cannot change its plan;
  // when GitHub cannot list every file (or the compare fails for good), preview anyway.
  const changed = await bestEffort(deps.logger, "listing the files the pull request changes", () =>
    github.source.changedPaths({ repo: target.repo, base: job.before, head: sha }),
  );
  if (changed === undefined || changeTouchesTarget(changed, target)) return undefined;
  const described = await postConclusion(github, {
    type: "preview-skipped",
    message: formatPreviewOutOfScope(number, target.path),
  });
  log("preview skipped: the pull request does not touch the target path", {
    changedFiles: changed.paths.length,
  });
  return jobReportOf(described, { target: target.name, sha }, [context.jobAge]);
}

function previewLog(context: JobContext, job: PreviewJob) {
  return (message: string, fields: Record<string, unknown> = {}) =>
    context.deps.logger.info(message, {
      target: context.target.name,
      sha: job.pullRequest.headSha,
      pullRequest: job.pullRequest.number,
      deliveryId: job.deliveryId,
      ...fields,
    });
}

/** Runs a preview job; throws only retryable errors. */
export async function runPreviewJob(context: JobContext, job: PreviewJob): Promise<JobReport> {
  const shortcut = await previewShortcut(context, job);
  if (shortcut !== undefined) return shortcut;
  const { deps, target, github } = context;
  const { number, headSha: sha } = job.pullRequest;
  await github.reporter.pending({
    repo: target.repo,
    target: target.name,
    kind: "preview",
    sha,
    description: formatPreviewPending(number, deps.attempt),
  });
  const started = deps.now().getTime();
  try {
    // The head commit is read from the base repository: a fork's commits are reachable there through
    // the pull request ref, and the installation may have no access to the fork itself.
    // A Helm chart is previewed as the sync will render it: an upgrade once the target has synced.
    const loaded = await loadJobObjects(context, "preview", sha);
    const { skipped, connect } = loaded;
    const cluster = await connect();
    // Encrypted objects are planned by ciphertext against the live ones: nothing is decrypted.
    const { desired, changed } = await unsealPreview(cluster, target, loaded.desired, deps.signal);
    const lifecycle = planLifecycle({ desired, sha, release: loaded.release, hooks: true });
    const planned = await syncTarget(
      { ...deps.engine, cluster, toolingVersion: deps.toolingVersion },
      {
        target,
        desired,
        configuredTargets: deps.config.targets,
        revision: { sha },
        now: deps.now(),
        mode: "plan",
        signal: deps.signal,
      },
    );
    const result = withEncryptedReasons(planned, changed);
    const described = await postConclusion(github, {
      type: "previewed",
      target,
      sha,
      result,
      durationMs: deps.now().getTime() - started,
      skipped,
      ...(isSingleStep(lifecycle) ? {} : { lifecycle }),
    });
    previewLog(context, job)("preview finished", { title: described.message, requests: result.requests });
    return jobReportOf(described, { target: target.name, sha }, [context.jobAge]);
  } catch (error) {
    return await settleFailure({
      logger: deps.logger,
      github,
      error,
      target,
      sha,
      kind: "preview",
      metrics: [context.jobAge],
      jobSha: sha,
      attempt: deps.attempt,
    });
  }
}
