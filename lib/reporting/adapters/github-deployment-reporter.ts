/**
 * DeploymentReporter over the GitHub REST API: `POST /deployments` (auto_merge off, no required
 * contexts: pullbridge reports what it applied, it does not gate on other checks), then
 * deployment statuses with `auto_inactive`, so GitHub retires the environment's previous
 * deployment when this one succeeds. Three calls per sync. A token or App without the
 * Deployments permission (403/404) degrades to commit statuses with one warning.
 */
import type { Octokit } from "@octokit/rest";
import { toGitHubError } from "../../github/github-failure.ts";
import { splitRepo } from "../../github/split-repo.ts";
import type {
  DeploymentFinalState,
  DeploymentFinish,
  DeploymentHandle,
  DeploymentReporter,
  DeploymentStart,
  LatestDeployment,
} from "../deployment-reporter.ts";
import { truncateLine } from "../format-text.ts";

/** Answers that mean "this credential may not write deployments here", not "try again". */
const NO_PERMISSION: ReadonlySet<number> = new Set([403, 404]);

type StatusFields = {
  state: "in_progress" | DeploymentFinalState;
  description: string;
  logUrl?: string | undefined;
  environmentUrl?: string | undefined;
};

/** Creates the reporter for one authenticated client. */
export function createGitHubDeploymentReporter(options: { octokit: Octokit }): DeploymentReporter {
  const { octokit } = options;
  const warnings: string[] = [];
  let unavailable = false;

  /** Creates the deployment; undefined when the credential may not (then never asks again). */
  async function create(deployment: DeploymentStart): Promise<DeploymentHandle | undefined> {
    if (unavailable) return undefined;
    try {
      const { data } = await octokit.rest.repos.createDeployment({
        ...splitRepo(deployment.repo),
        ref: deployment.sha,
        environment: deployment.environment,
        description: truncateLine(deployment.description),
        auto_merge: false,
        required_contexts: [],
        payload: { ...deployment.payload },
        production_environment: false,
      });
      // 202 (a merge message) only happens with auto_merge, which is off.
      if (!("id" in data)) throw new Error("GitHub answered without a deployment");
      return { repo: deployment.repo, id: data.id };
    } catch (error) {
      const failure = toGitHubError(
        error,
        `creating deployment ${deployment.environment} of ${deployment.repo}@${deployment.sha.slice(0, 7)}`,
      );
      // A 403 secondary rate limit is retryable, not a missing permission.
      if (!failure.retryable && failure.status !== undefined && NO_PERMISSION.has(failure.status)) {
        unavailable = true;
        warnings.push(
          `${failure.message} — deployments are not recorded; grant the Deployments (read & write) permission`,
        );
        return undefined;
      }
      throw failure;
    }
  }

  async function postStatus(handle: DeploymentHandle, status: StatusFields): Promise<void> {
    try {
      await octokit.rest.repos.createDeploymentStatus({
        ...splitRepo(handle.repo),
        deployment_id: handle.id,
        state: status.state,
        description: truncateLine(status.description),
        auto_inactive: true,
        ...(status.logUrl === undefined ? {} : { log_url: status.logUrl }),
        ...(status.environmentUrl === undefined ? {} : { environment_url: status.environmentUrl }),
      });
    } catch (error) {
      throw toGitHubError(
        error,
        `posting deployment status ${status.state} on deployment ${handle.id} of ${handle.repo}`,
      );
    }
  }

  return {
    async start(deployment) {
      const handle = await create(deployment);
      if (handle === undefined) return undefined;
      await postStatus(handle, {
        state: "in_progress",
        description: deployment.description,
        environmentUrl: deployment.environmentUrl,
      });
      return handle;
    },
    async record(deployment: DeploymentStart, result: DeploymentFinish) {
      const handle = await create(deployment);
      if (handle !== undefined) await postStatus(handle, result);
      return handle;
    },
    async finish(handle, result) {
      await postStatus(handle, result);
    },
    async latest(repo, environment): Promise<LatestDeployment | undefined> {
      const ids = splitRepo(repo);
      try {
        const { data: list } = await octokit.rest.repos.listDeployments({ ...ids, environment, per_page: 1 });
        const deployment = list[0];
        if (deployment === undefined) return undefined;
        const { data: statuses } = await octokit.rest.repos.listDeploymentStatuses({
          ...ids,
          deployment_id: deployment.id,
          per_page: 1,
        });
        const status = statuses[0];
        return {
          id: deployment.id,
          sha: deployment.sha,
          environment: deployment.environment,
          createdAt: deployment.created_at,
          ...(status === undefined
            ? {}
            : {
                state: status.state,
                description: status.description || undefined,
                updatedAt: status.created_at,
                logUrl: status.log_url || undefined,
                environmentUrl: status.environment_url || undefined,
              }),
        };
      } catch (error) {
        throw toGitHubError(error, `reading the deployments of ${environment} in ${repo}`);
      }
    },
    warnings: () => [...warnings],
  };
}
