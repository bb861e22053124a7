/**
 * The GitHub GitSource against the GitHub fake serving a real git repository: real tarballs
 * from `git archive`, real Octokit, every request validated against GitHub's OpenAPI.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { SourceError } from "../../../lib/errors.ts";
import { DEFAULT_SOURCE_LIMITS } from "../../../lib/source/git-source.ts";
import {
  type GitHubWorld,
  startGitHubWorld,
  TEST_INSTALLATION_ID,
} from "../../support/github-fake/github-world.ts";

const text = (bytes: Uint8Array | undefined) => new TextDecoder().decode(bytes);

describe("GitHub git source", () => {
  let world: GitHubWorld;
  let first: string;
  let second: string;

  beforeAll(async () => {
    world = await startGitHubWorld();
    first = await world.repo.commitFiles(
      {
        "apps/web/deploy.yaml": "kind: Deployment\n",
        "apps/web/config/cm.yaml": "kind: ConfigMap\n",
        "apps/web2/other.yaml": "kind: ConfigMap\n",
        "apps/web/logo.bin": new Uint8Array([0, 255, 1, 254]),
        "README.md": "# deploy\n",
      },
      "first",
    );
    await world.repo.symlink("apps/web/escape.yaml", "../../README.md");
    second = await world.repo.commitFiles(
      { "apps/web/deploy.yaml": "kind: Deployment # v2\n", "apps/web/config/cm.yaml": null },
      "second",
    );
  });
  afterAll(async () => {
    await world.close();
  });
  afterEach(() => {
    // Assess (every test): nothing we sent broke GitHub's API description.
    expect(world.fake.violations).toEqual([]);
    world.fake.reset();
    world.waits.length = 0;
  });

  const source = async () => (await world.jobGitHub({ installationId: TEST_INSTALLATION_ID })).source;

  it("returns exactly the files under the target path at the given sha", async () => {
    // Prepare
    const git = await source();

    // Act
    const tree = await git.fetchTree({
      repo: world.repoName,
      sha: first,
      paths: ["apps/web"],
      limits: DEFAULT_SOURCE_LIMITS,
    });

    // Assess
    expect([...tree.keys()].sort()).toEqual([
      "apps/web/config/cm.yaml",
      "apps/web/deploy.yaml",
      "apps/web/logo.bin",
    ]);
    expect(text(tree.get("apps/web/deploy.yaml"))).toBe("kind: Deployment\n");
    expect([...(tree.get("apps/web/logo.bin") ?? [])]).toEqual([0, 255, 1, 254]);
  });

  it("reads an older commit as it was, and skips symlinks", async () => {
    // Prepare
    const git = await source();

    // Act
    const tree = await git.fetchTree({
      repo: world.repoName,
      sha: second,
      paths: ["apps/web"],
      limits: DEFAULT_SOURCE_LIMITS,
    });

    // Assess
    expect([...tree.keys()].sort()).toEqual(["apps/web/deploy.yaml", "apps/web/logo.bin"]);
    expect(text(tree.get("apps/web/deploy.yaml"))).toBe("kind: Deployment # v2\n");
  });

  it("downloads the tarball of the exact sha: one API call and one codeload redirect", async () => {
    // Prepare
    const git = await source();

    // Act
    await git.fetchTree({ repo: world.repoName, sha: first, paths: ["."], limits: DEFAULT_SOURCE_LIMITS });

    // Assess
    const [api, codeload] = world.fake.requests.filter(
      (r) => r.route !== "POST /app/installations/{installation_id}/access_tokens",
    );
    expect(api).toMatchObject({
      route: "GET /repos/{owner}/{repo}/tarball/{ref}",
      params: { ref: first },
      status: 302,
    });
    expect(codeload).toMatchObject({ route: "codeload", status: 200 });
  });

  it("refuses a tree over the file limit with a permanent error naming the limit", async () => {
    // Prepare
    const git = await source();

    // Act
    const result = git.fetchTree({
      repo: world.repoName,
      sha: first,
      paths: ["."],
      limits: { maxFiles: 2, maxBytes: 1_000_000 },
    });

    // Assess
    await expect(result).rejects.toBeInstanceOf(SourceError);
    await expect(result).rejects.toMatchObject({
      retryable: false,
      message: expect.stringMatching(/maxFiles=2/),
    });
  });

  it("refuses a tree over the byte limit with a permanent error naming the limit", async () => {
    // Prepare
    const git = await source();

    // Act
    const result = git.fetchTree({
      repo: world.repoName,
      sha: first,
      paths: ["apps"],
      limits: { maxFiles: 100, maxBytes: 20 },
    });

    // Assess
    await expect(result).rejects.toMatchObject({
      name: "SourceError",
      retryable: false,
      message: expect.stringMatching(/maxBytes=20/),
    });
  });

  it("looks up a branch head, including branch names with a slash", async () => {
    // Prepare
    const git = await source();
    await world.repo.checkout("release/v1");
    const release = await world.repo.commitFiles(
      { "apps/web/deploy.yaml": "kind: Deployment # release\n" },
      "release",
    );
    await world.repo.checkout("main");

    // Act
    const [main, branch] = [
      await git.headSha({ repo: world.repoName, branch: "main" }),
      await git.headSha({ repo: world.repoName, branch: "release/v1" }),
    ];

    // Assess
    expect(main).toBe(second);
    expect(branch).toBe(release);
    expect(world.fake.restCallsByRoute()).toEqual({ "GET /repos/{owner}/{repo}/git/ref/{ref}": 2 });
  });

  it("reports an unknown sha as permanent (not found or no access)", async () => {
    // Prepare
    const git = await source();

    // Act
    const result = git.fetchTree({
      repo: world.repoName,
      sha: "f".repeat(40),
      paths: ["."],
      limits: DEFAULT_SOURCE_LIMITS,
    });

    // Assess
    await expect(result).rejects.toMatchObject({
      name: "SourceError",
      retryable: false,
      message: expect.stringContaining("commit not found, or the GitHub App/token has no access to it"),
    });
  });

  it("reports an unknown branch as permanent", async () => {
    // Prepare
    const git = await source();

    // Act
    const result = git.headSha({ repo: world.repoName, branch: "gone" });

    // Assess
    await expect(result).rejects.toMatchObject({ name: "SourceError", retryable: false });
  });

  it("retries a 500 and then succeeds", async () => {
    // Prepare
    const git = await source();
    world.fake.failNext("GET /repos/{owner}/{repo}/tarball/{ref}", { kind: "server-error" });

    // Act
    const tree = await git.fetchTree({
      repo: world.repoName,
      sha: first,
      paths: ["apps/web"],
      limits: DEFAULT_SOURCE_LIMITS,
    });

    // Assess
    expect(tree.size).toBe(3);
    expect(world.fake.restCalls().map((r) => r.status)).toEqual([500, 302]);
    expect(world.waits).toEqual([500]);
  });

  it("retries a failed codeload download after the redirect", async () => {
    // Prepare
    const git = await source();
    world.fake.failNext("codeload", { kind: "server-error", status: 502 });

    // Act
    const tree = await git.fetchTree({
      repo: world.repoName,
      sha: first,
      paths: ["apps/web"],
      limits: DEFAULT_SOURCE_LIMITS,
    });

    // Assess
    expect(tree.size).toBe(3);
    expect(world.fake.requests.filter((r) => r.route === "codeload").map((r) => r.status)).toEqual([
      502, 200,
    ]);
  });

  it("waits out a 403 secondary rate limit with retry-after: 1, then retries", async () => {
    // Prepare
    const git = await source();
    world.fake.failNext("GET /repos/{owner}/{repo}/git/ref/{ref}", {
      kind: "secondary-rate-limit",
      retryAfter: 1,
    });

    // Act
    const head = await git.headSha({ repo: world.repoName, branch: "main" });

    // Assess
    expect(head).toBe(second);
    expect(world.waits).toEqual([1000]);
    expect(world.fake.restCalls().map((r) => r.status)).toEqual([403, 200]);
  });

  it("waits out a 429 with retry-after, then retries", async () => {
    // Prepare
    const git = await source();
    world.fake.failNext("GET /repos/{owner}/{repo}/git/ref/{ref}", {
      kind: "too-many-requests",
      retryAfter: 2,
    });

    // Act
    const head = await git.headSha({ repo: world.repoName, branch: "main" });

    // Assess
    expect(head).toBe(second);
    expect(world.waits).toEqual([2000]);
  });

  it("hands an exhausted quota resetting in an hour back to the queue as retryable", async () => {
    // Prepare
    const git = await source();
    world.fake.failNext("GET /repos/{owner}/{repo}/git/ref/{ref}", {
      kind: "primary-rate-limit",
      resetInSeconds: 3600,
    });

    // Act
    const result = git.headSha({ repo: world.repoName, branch: "main" });

    // Assess
    await expect(result).rejects.toMatchObject({
      name: "SourceError",
      retryable: true,
      message: expect.stringContaining("HTTP 403"),
    });
    expect(world.waits).toEqual([]);
  });

  it("retries a dropped connection", async () => {
    // Prepare
    const git = await source();
    world.fake.failNext("GET /repos/{owner}/{repo}/git/ref/{ref}", { kind: "network" });

    // Act
    const head = await git.headSha({ repo: world.repoName, branch: "main" });

    // Assess
    expect(head).toBe(second);
    expect(world.waits).toEqual([500]);
  });

  it("gives up after the bounded retries with a retryable error", async () => {
    // Prepare
    const git = await source();
    world.fake.failNext("GET /repos/{owner}/{repo}/git/ref/{ref}", { kind: "server-error", status: 503 }, 10);

    // Act
    const result = git.headSha({ repo: world.repoName, branch: "main" });

    // Assess
    await expect(result).rejects.toMatchObject({
      name: "SourceError",
      retryable: true,
      message: expect.stringContaining("HTTP 503"),
    });
    expect(world.fake.restCalls()).toHaveLength(4);
    expect(world.waits).toEqual([500, 1000, 2000]);
  });
});
