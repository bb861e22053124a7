/**
 * A sync's GitHub Deployment: started (with `in_progress`) once the worker is about to apply the
 * branch head, finished with the state the commit status got. Tracking is auxiliary: a failure
 * to record a deployment is logged, never fails the sync (the commit status stays the source of
 * truth), and a credential without the permission degrades with one warning.
 */
import type { Target } from "../config/targets.ts";
import { describeError } from "../errors.ts";
import type { JobGitHub } from "../github/job-github-ports.ts";
import type { FinalState } from "../reporting/commit-reporter.ts";
import type { DeploymentHandle } from "../reporting/deployment-reporter.ts";
import type { Log } from "../telemetry/log.ts";

/** Where a running sync keeps its deployment, so success and failure paths can finish it. */
export type DeploymentTracking = { handle?: DeploymentHandle | undefined };

/** Starts the deployment of `head` in the target's environment (named after the target). */
export async function startDeployment(options: {
  github: JobGitHub;
  target: Target;
  head: string;
  description: string;
  logger: Log;
  tracking: DeploymentTracking;
}): Promise<void> {
  const { github, target, logger } = options;
  if (github.deployments === undefined) return;
  try {
    options.tracking.handle = await github.deployments.start({
      repo: target.repo,
      sha: options.head,
      target: target.name,
      environment: target.name,
      description: options.description,
      payload: {
        target: target.name,
        cluster: target.cluster,
        namespace: target.namespace,
        path: target.path,
      },
    });
    for (const warning of github.deployments.warnings()) logger.warn(warning, { target: target.name });
  } catch (error) {
    logger.warn("could not record a GitHub deployment; the commit status still reports the sync", {
      target: target.name,
      error: describeError(error),
    });
  }
}

/** Posts the deployment's final status (the commit status's state and description). */
export async function finishDeployment(options: {
  github: JobGitHub;
  tracking: DeploymentTracking;
  state: FinalState;
  description: string;
  logUrl?: string | undefined;
  logger: Log;
}): Promise<void> {
  const { github, tracking } = options;
  const handle = tracking.handle;
  if (github.deployments === undefined || handle === undefined) return;
  tracking.handle = undefined;
  try {
    await github.deployments.finish(handle, {
      state: options.state,
      description: options.description,
      logUrl: options.logUrl,
    });
  } catch (error) {
    options.logger.warn("could not finish the GitHub deployment", {
      deployment: handle.id,
      error: describeError(error),
    });
  }
}
