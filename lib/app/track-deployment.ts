/**
 * A sync's GitHub Deployment, in the target's environment. Started (`in_progress`) once the whole
 * change is planned and dry-run, just before the first write, so its payload carries the plan's
 * counts; finished by the worker with the commit status's state, or — when the result waits for
 * health — by the health consumer. A commit that fails before it could be applied (broken YAML,
 * a refused dry-run) is recorded as a failed deployment; a retryable failure before that records
 * nothing (the retry will). Drift checks record a deployment only when they write: a correction
 * of hand edits, or a commit the webhook never delivered.
 *
 * Tracking is auxiliary: a failure to record a deployment is logged, never fails the sync (the
 * commit status stays the source of truth), and a credential without the permission degrades
 * with one warning.
 */
import { environmentNameOf, type Target } from "../config/targets.ts";
import { describeError } from "../errors.ts";
import type { JobGitHub } from "../github/job-github-ports.ts";
import type {
  DeploymentFinalState,
  DeploymentHandle,
  DeploymentReporter,
  DeploymentStart,
} from "../reporting/deployment-reporter.ts";
import type { PlannedWrite } from "../sync/sync-target.ts";
import type { Log } from "../telemetry/log.ts";

/** Why a deployment was made: a push, `pullbridge sync`, the drift schedule, or a config change. */
export type DeploymentTrigger = "push" | "manual" | "drift" | "config";

/** One job's deployment: what it is of, and the handle once started. */
export type DeploymentTracking = {
  github: JobGitHub;
  target: Target;
  head: string;
  trigger: DeploymentTrigger;
  logger: Log;
  handle?: DeploymentHandle | undefined;
  /** Set once the sync reached its writes (or a drift check found nothing to write). */
  planned?: PlannedWrite | undefined;
};

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** The deployment's own (immutable) description: what this deployment is. */
function deploymentDescription(trigger: DeploymentTrigger, planned: PlannedWrite | undefined): string {
  if (planned === undefined) return "sync failed before it could be applied";
  const { created, updated, pruned, unchanged } = planned.counts;
  if (planned.drift) {
    return `drift correction: reverting hand edits to ${plural(created + updated + pruned, "object")} in the cluster`;
  }
  const via =
    trigger === "manual"
      ? " (manual sync)"
      : trigger === "drift"
        ? " (drift schedule)"
        : trigger === "config"
          ? " (config change)"
          : "";
  return `applying +${created} ~${updated} -${pruned}, ${unchanged} unchanged${via}`;
}

function startOf(tracking: DeploymentTracking, planned: PlannedWrite | undefined): DeploymentStart {
  const { target } = tracking;
  return {
    repo: target.repo,
    sha: tracking.head,
    target: target.name,
    environment: environmentNameOf(target),
    description: deploymentDescription(tracking.trigger, planned),
    environmentUrl: target.environment.url,
    payload: {
      target: target.name,
      cluster: target.cluster,
      namespace: target.namespace,
      path: target.path,
      trigger: planned?.drift ? "drift-correction" : tracking.trigger,
      ...(planned === undefined
        ? {}
        : {
            plan: {
              create: planned.counts.created,
              update: planned.counts.updated,
              prune: planned.counts.pruned,
              unchanged: planned.counts.unchanged,
            },
          }),
    },
  };
}

function enabled(tracking: DeploymentTracking): boolean {
  return tracking.github.deployments !== undefined && tracking.target.environment.deployments;
}

function warnOnce(tracking: DeploymentTracking): void {
  for (const warning of tracking.github.deployments?.warnings() ?? []) {
    tracking.logger.warn(warning, { target: tracking.target.name });
  }
}

/**
 * The sync's `beforeWrite`: starts the deployment (create + `in_progress`, 2 REST calls). A drift
 * check that writes nothing starts none.
 */
export async function startDeployment(tracking: DeploymentTracking, planned: PlannedWrite): Promise<void> {
  tracking.planned = planned;
  const deployments = tracking.github.deployments;
  if (deployments === undefined || !enabled(tracking)) return;
  if (tracking.trigger === "drift" && !planned.willWrite) return;
  try {
    tracking.handle = await deployments.start(startOf(tracking, planned));
    warnOnce(tracking);
  } catch (error) {
    tracking.logger.warn("could not record a GitHub deployment; the commit status still reports the sync", {
      target: tracking.target.name,
      error: describeError(error),
    });
  }
}

/**
 * Posts the deployment's final status (1 REST call). Without a started deployment: a permanent
 * failure of a pushed or manual sync before any write is recorded as a failed deployment
 * (2 calls); anything else records nothing.
 */
export async function finishDeployment(
  tracking: DeploymentTracking,
  result: { state: DeploymentFinalState; description: string; logUrl?: string | undefined },
): Promise<void> {
  const deployments = tracking.github.deployments;
  if (deployments === undefined || !enabled(tracking)) return;
  const handle = tracking.handle;
  tracking.handle = undefined;
  if (handle !== undefined) {
    await finishDeploymentOf(
      { deployments, handle, target: tracking.target, logger: tracking.logger },
      result,
    );
    return;
  }
  if (tracking.planned !== undefined || tracking.trigger === "drift" || result.state !== "failure") return;
  try {
    await deployments.record(startOf(tracking, undefined), {
      ...result,
      environmentUrl: tracking.target.environment.url,
    });
    warnOnce(tracking);
  } catch (error) {
    tracking.logger.warn("could not record the failed GitHub deployment", {
      target: tracking.target.name,
      error: describeError(error),
    });
  }
}

/**
 * Posts the final status of a started deployment (1 REST call), with the target's environment
 * URL; the worker and the health consumer both end deployments through it. Never throws.
 */
export async function finishDeploymentOf(
  owner: { deployments: DeploymentReporter; handle: DeploymentHandle; target: Target; logger: Log },
  result: { state: DeploymentFinalState; description: string; logUrl?: string | undefined },
): Promise<void> {
  try {
    await owner.deployments.finish(owner.handle, { ...result, environmentUrl: owner.target.environment.url });
  } catch (error) {
    owner.logger.warn("could not finish the GitHub deployment", {
      target: owner.target.name,
      deployment: owner.handle.id,
      error: describeError(error),
    });
  }
}
