/**
 * One-stop GitHub side for integration tests: the fake, a real git repository served as
 * `owner/name`, clients and the per-job GitHub ports pointed at the fake.
 */
import { createJobGitHubFactory } from "../../../lib/github/create-job-github.ts";
import type { JobGitHubFactory } from "../../../lib/github/job-github-ports.ts";
import {
  clientsForFake,
  type FakeClients,
  TEST_APP_ID,
  TEST_TOKEN,
  testAppKeyPair,
} from "../../factories/github.ts";
import { createGitRepo, type GitRepo } from "../git-repo.ts";
import { type GitHubFake, startGitHubFake } from "./github-fake.ts";

/** Installation id test jobs carry. */
export const TEST_INSTALLATION_ID = 77;

export type GitHubWorld = FakeClients & {
  fake: GitHubFake;
  repo: GitRepo;
  /** `owner/name` the repository is served as. */
  repoName: string;
  /** The factory a worker gets: `jobGitHub({ installationId: TEST_INSTALLATION_ID })`. */
  jobGitHub: JobGitHubFactory;
  close(): Promise<void>;
};

/** Starts the fake (App + token accepted), creates a repository and serves it as `repoName`. */
export async function startGitHubWorld(
  options: { mode?: "app" | "token"; repoName?: string; branch?: string } = {},
): Promise<GitHubWorld> {
  const repoName = options.repoName ?? "acme/deploy";
  const fake = await startGitHubFake({
    tokens: [TEST_TOKEN],
    app: { appId: TEST_APP_ID, publicKey: testAppKeyPair().publicKey },
  });
  const repo = await createGitRepo(options.branch === undefined ? {} : { branch: options.branch });
  fake.addRepo(repoName, repo.dir);
  const clients = clientsForFake(fake.url, options.mode ?? "app");
  return {
    ...clients,
    fake,
    repo,
    repoName,
    jobGitHub: createJobGitHubFactory(clients.clients),
    async close() {
      await fake.close();
      await repo.remove();
    },
  };
}
