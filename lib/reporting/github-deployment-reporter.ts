/**
 * DeploymentReporter over the GitHub REST API: `POST /deployments` (auto_merge off, no required
 * contexts: pullbridge reports what it applied, it does not gate on other checks), then
 * deployment statuses with `auto_inactive`, so GitHub retires the environment's previous
 * deployment when this one succeeds. Three calls per sync. A token or App without the
 * Deployments permission (403/404) degrades to commit statuses with one warning.
 */
import type { Octokit } from "@octokit/rest";
import { toGitHubError } from "../github/github-failure.ts";
import { splitRepo } from "../github/split-repo.ts";
import type { DeploymentHandle, DeploymentReporter } from "./deployment-reporter.ts";
import { truncateLine } from "./format-text.ts";

/** Answers that mean "this credential may not write deployments here", not "try again". */
const NO_PERMISSION: ReadonlySet<number> = new Set([403, 404]);

/** Creates the reporter for one authenticated client. */
export function createGitHubDeploymentReporter(options: { octokit: Octokit }): DeploymentReporter {
  const { octokit } = options;
  const warnings: string[] = [];
  let unavailable = false;

  return {
    async start(deployment): Promise<DeploymentHandle | undefined> {
      if (unavailable) return undefined;
      const { owner, repo } = splitRepo(deployment.repo);
      let id: number;
      try {
        const { data } = await octokit.rest.repos.createDeployment({
          owner,
          repo,
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
        id = data.id;
      } catch (error) {
        const failure = toGitHubError(
          error,
          `creating deployment ${deployment.environment} of ${deployment.repo}@${deployment.sha.slice(0, 7)}`,
        );
        if (failure.status !== undefined && NO_PERMISSION.has(failure.status)) {
          unavailable = true;
          warnings.push(
            `${failure.message} — deployments are not recorded; grant the Deployments (read & write) permission`,
          );
          return undefined;
        }
        throw failure;
      }
      const handle = { repo: deployment.repo, id };
      await postStatus(handle, "in_progress", deployment.description, undefined, undefined);
      return handle;
    },
    async finish(handle, result) {
      await postStatus(handle, result.state, result.description, result.logUrl, result.environmentUrl);
    },
    warnings: () => [...warnings],
  };

  async function postStatus(
    handle: DeploymentHandle,
    state: "in_progress" | "success" | "failure" | "error",
    description: string,
    logUrl: string | undefined,
    environmentUrl: string | undefined,
  ): Promise<void> {
    try {
      await octokit.rest.repos.createDeploymentStatus({
        ...splitRepo(handle.repo),
        deployment_id: handle.id,
        state,
        description: truncateLine(description),
        auto_inactive: true,
        ...(logUrl === undefined ? {} : { log_url: logUrl }),
        ...(environmentUrl === undefined ? {} : { environment_url: environmentUrl }),
      });
    } catch (error) {
      throw toGitHubError(
        error,
        `posting deployment status ${state} on deployment ${handle.id} of ${handle.repo}`,
      );
    }
  }
}
