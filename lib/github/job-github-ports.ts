/**
 * What a job gets to talk to GitHub: a GitSource and a CommitReporter authenticated for the
 * job's installation. Types only, so use cases in `lib/app` can depend on them without an SDK.
 */
import type { CommitReporter } from "../reporting/commit-reporter.ts";
import type { DeploymentReporter } from "../reporting/deployment-reporter.ts";
import type { GitSource } from "../source/git-source.ts";

export type JobGitHub = {
  source: GitSource;
  reporter: CommitReporter;
  /** GitHub Deployments per target and synced commit; absent where a source has none (local mode, tests). */
  deployments?: DeploymentReporter;
  /** `app` (check runs available) or `token` (statuses only). */
  mode: "app" | "token";
};

/** Resolves the GitHub ports for one job (`installationId` from the webhook delivery; else looked up for `repo`). */
export type JobGitHubFactory = (job: {
  installationId?: number | undefined;
  repo?: string;
}) => Promise<JobGitHub>;
