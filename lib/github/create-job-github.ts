/** Wires the GitHub adapters for a job from the per-container client cache. */
import { createGitHubCommitReporter } from "../reporting/adapters/github-commit-reporter.ts";
import { createGitHubDeploymentReporter } from "../reporting/adapters/github-deployment-reporter.ts";
import { createGitHubGitSource } from "../source/adapters/github-git-source.ts";
import type { GitHubClientProvider } from "./adapters/github-client.ts";
import type { JobGitHubFactory } from "./job-github-ports.ts";

/** Returns the factory a worker passes to its use case: one call per job, clients reused across jobs. */
export function createJobGitHubFactory(
  clients: GitHubClientProvider,
  options: { now?: () => Date; downloadTimeoutMs?: number } = {},
): JobGitHubFactory {
  return async (job) => {
    const { octokit, mode } = await clients.forInstallation(job.installationId, job.repo);
    return {
      mode,
      source: createGitHubGitSource({
        octokit,
        ...(options.downloadTimeoutMs === undefined ? {} : { downloadTimeoutMs: options.downloadTimeoutMs }),
      }),
      reporter: createGitHubCommitReporter({
        octokit,
        checkRuns: mode === "app",
        ...(options.now === undefined ? {} : { now: options.now }),
      }),
      deployments: createGitHubDeploymentReporter({ octokit }),
    };
  };
}
