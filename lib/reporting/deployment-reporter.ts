/**
 * The deployment-tracking port: one GitHub Deployment per target and synced commit, in the
 * target's environment, whose statuses follow the sync (`in_progress` while applying, then
 * `success` / `failure` / `error`). GitHub marks the environment's previous successful
 * deployment `inactive` when the next one succeeds, so the Environments panel shows what runs
 * where now, with the history below it.
 */

/** Final deployment states, as GitHub names them. */
export type DeploymentFinalState = "success" | "failure" | "error";

export type DeploymentStart = {
  /** `owner/name`. */
  repo: string;
  /** The commit being deployed (40 hex). */
  sha: string;
  target: string;
  /** GitHub environment name (default: the target's name). */
  environment: string;
  /** One line shown on the deployment. */
  description: string;
  /** Kept on the deployment for tools that read it (target, cluster, …). */
  payload: Readonly<Record<string, unknown>>;
};

/** A started deployment; `undefined` from `start` means deployments are unavailable (degraded to statuses). */
export type DeploymentHandle = { repo: string; id: number };

export type DeploymentFinish = {
  state: DeploymentFinalState;
  /** One line (≤ 140 characters, truncated). */
  description: string;
  /** Where the details are (the check run). */
  logUrl?: string | undefined;
  /** Where the deployed thing is reachable (per target, optional). */
  environmentUrl?: string | undefined;
};

/** Records deployments; errors are `GitHubError` (retryable or not), except a missing permission, which degrades. */
export interface DeploymentReporter {
  /** Creates the deployment and its `in_progress` status (2 REST calls), or answers undefined when the token may not. */
  start(deployment: DeploymentStart): Promise<DeploymentHandle | undefined>;
  /** Posts the final status (1 REST call). */
  finish(handle: DeploymentHandle, result: DeploymentFinish): Promise<void>;
  /** Degradations worth one log line each (e.g. no `deployments: write` permission). */
  warnings(): readonly string[];
}
