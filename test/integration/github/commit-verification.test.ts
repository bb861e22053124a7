/**
 * What verified-commit policies and directory generators ask GitHub, against the OpenAPI-checked
 * fake: a commit's `verification` (`GET /repos/{o}/{r}/commits/{sha}`) — unsigned for a commit
 * pushed from a laptop, `valid` for one the GitHub App created through the Git data API (GitHub
 * signs those, which is how pullbridge's own image-update commits pass the rule) — and the
 * directories of a commit (`GET /repos/{o}/{r}/git/trees/{sha}?recursive=1`, no file contents).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type GitHubWorld,
  startGitHubWorld,
  TEST_INSTALLATION_ID,
} from "../../support/github-fake/github-world.ts";

describe("commit verification and directory listings on GitHub", () => {
  let world: GitHubWorld;
  let pushed: string;

  beforeAll(async () => {
    world = await startGitHubWorld();
    pushed = await world.repo.commitFiles(
      {
        "apps/web/overlays/prod/k.yaml": "a: 1\n",
        "apps/api/overlays/prod/k.yaml": "a: 1\n",
        "README.md": "x\n",
      },
      "from a laptop",
    );
  });
  afterAll(async () => {
    expect(world.fake.violations).toEqual([]);
    await world.close();
  });

  const source = async () => (await world.jobGitHub({ installationId: TEST_INSTALLATION_ID })).source;

  it("reads an unsigned pushed commit as unverified, and one the App created through the API as verified", async () => {
    // Prepare
    const { octokit } = await world.clients.forInstallation(TEST_INSTALLATION_ID, world.repoName);
    const [owner = "", repo = ""] = world.repoName.split("/");
    const head = await octokit.rest.git.getCommit({ owner, repo, commit_sha: pushed });
    const created = await octokit.rest.git.createCommit({
      owner,
      repo,
      message: "chore(images): update web to 1.2.4",
      tree: head.data.tree.sha,
      parents: [pushed],
    });

    // Act
    const git = await source();
    const laptop = await git.commitVerification({ repo: world.repoName, sha: pushed });
    const app = await git.commitVerification({ repo: world.repoName, sha: created.data.sha });

    // Assess
    expect(laptop).toEqual({ verified: false, reason: "unsigned" });
    expect(app).toEqual({ verified: true, reason: "valid" });
    expect(world.fake.restCallsByRoute()["GET /repos/{owner}/{repo}/commits/{ref}"]).toBe(2);
  });

  it("lists the directories under a path with one trees call", async () => {
    // Act
    const listed = await (await source()).listDirectories({
      repo: world.repoName,
      sha: pushed,
      under: "apps",
    });

    // Assess
    expect([...listed.directories].sort()).toEqual([
      "apps",
      "apps/api",
      "apps/api/overlays",
      "apps/api/overlays/prod",
      "apps/web",
      "apps/web/overlays",
      "apps/web/overlays/prod",
    ]);
    expect(world.fake.restCallsByRoute()["GET /repos/{owner}/{repo}/git/trees/{tree_sha}"]).toBe(1);
  });
});
