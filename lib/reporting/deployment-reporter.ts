/**
 * The deployment-tracking port: one GitHub Deployment per target and synced commit, in the
 * target's environment, whose statuses follow the sync (`in_progress` while applying and while
 * waiting for health, then `success` / `failure` / `error`, or `inactive` when replaced first). GitHub marks the environment's previous successful
 * deployment `inactive` when the next one succeeds, so the Environments panel shows what runs
 * where now, with the history below it.
 */

/**
 * Final deployment states, as GitHub names them. `inactive` ends a deployment that a newer one
 * replaced before it became healthy (GitHub's `auto_inactive` only retires successful ones).
 */
export type DeploymentFinalState = "success" | "failure" | "error" | "inactive";

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
  /** Kept on the deployment for tools that read it (target, cluster, plan counts, …). */
  payload: Readonly<Record<string, unknown>>;
  /** Where the deployed thing is reachable (per target, optional); on every status. */
  environmentUrl?: string | undefined;
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

/** The newest deployment of an environment and its latest status, for `pullbridge status`. */
export type LatestDeployment = {
  id: number;
  sha: string;
  environment: string;
  createdAt: string;
  /** The latest status's state (`in_progress`, `success`, `inactive`, …), undefined if it has none. */
  state?: string | undefined;
  description?: string | undefined;
  /** When the latest status was posted. */
  updatedAt?: string | undefined;
  logUrl?: string | undefined;
  environmentUrl?: string | undefined;
};

/** Records deployments; errors are `GitHubError` (retryable or not), except a missing permission, which degrades. */
export interface DeploymentReporter {
  /** Creates the deployment and its `in_progress` status (2 REST calls), or answers undefined when the token may not. */
  start(deployment: DeploymentStart): Promise<DeploymentHandle | undefined>;
  /** Records a deployment that ended before it started applying, e.g. a broken commit (2 REST calls). */
  record(deployment: DeploymentStart, result: DeploymentFinish): Promise<DeploymentHandle | undefined>;
  /** Posts the final status (1 REST call). */
  finish(handle: DeploymentHandle, result: DeploymentFinish): Promise<void>;
  /** The environment's newest deployment and its latest status (2 REST calls), undefined if none. */
  latest(repo: string, environment: string): Promise<LatestDeployment | undefined>;
  /** Degradations worth one log line each (e.g. no `deployments: write` permission). */
  warnings(): readonly string[];
}
