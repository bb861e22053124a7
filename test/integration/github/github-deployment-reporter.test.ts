/**
 * The GitHub DeploymentReporter against the GitHub fake (OpenAPI-validated, stateful): one
 * deployment per synced commit with statuses that follow the sync, the environment's previous
 * deployment retired when the next succeeds, three REST calls per sync, and a missing
 * permission degrading to one warning instead of a failed sync.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { GitHubError } from "../../../lib/errors.ts";
import { createGitHubDeploymentReporter } from "../../../lib/reporting/adapters/github-deployment-reporter.ts";
import type { DeploymentReporter, DeploymentStart } from "../../../lib/reporting/deployment-reporter.ts";
import {
  type GitHubWorld,
  startGitHubWorld,
  TEST_INSTALLATION_ID,
} from "../../support/github-fake/github-world.ts";

const DEPLOYMENTS = "POST /repos/{owner}/{repo}/deployments";

describe("GitHub deployment reporter", () => {
  let world: GitHubWorld;
  let first: string;
  let second: string;

  beforeAll(async () => {
    world = await startGitHubWorld();
    first = await world.repo.commitFiles({ "deploy/cm.yaml": "kind: ConfigMap\n" }, "first");
    second = await world.repo.commitFiles({ "deploy/cm.yaml": "kind: ConfigMap # v2\n" }, "second");
  });
  afterAll(async () => {
    await world.close();
  });
  afterEach(() => {
    // Assess (every test): nothing we sent broke GitHub's API description or rules.
    expect(world.fake.violations).toEqual([]);
    world.fake.reset();
  });

  const reporter = async (mode: "app" | "token"): Promise<DeploymentReporter> => {
    const { octokit } = await world.clients.forInstallation(
      mode === "app" ? TEST_INSTALLATION_ID : undefined,
      world.repoName,
    );
    return createGitHubDeploymentReporter({ octokit });
  };
  /** REST calls the reporter made (the client provider's own installation lookup is not its budget). */
  const deploymentCalls = () =>
    world.fake.restCalls().filter((r) => r.route?.includes("/deployments")).length;
  const start = (sha: string): DeploymentStart => ({
    repo: world.repoName,
    sha,
    target: "web",
    environment: "web",
    description: "syncing deploy to apps",
    payload: { target: "web", cluster: "prod" },
  });

  it.each(["app", "token"] as const)(
    "as %s: one deployment per commit, in_progress then success, the previous one retired — 3 calls each",
    async (mode) => {
      // Prepare
      const deployments = await reporter(mode);

      // Act
      const one = await deployments.start(start(first));
      if (one)
        await deployments.finish(one, {
          state: "success",
          description: "1 created in 0.4s",
          logUrl: "https://example.test/check/1",
        });
      const callsForOne = deploymentCalls();
      const two = await deployments.start(start(second));
      if (two) await deployments.finish(two, { state: "success", description: "1 updated in 0.3s" });

      // Assess
      expect(callsForOne).toBe(3);
      expect(deploymentCalls()).toBe(6);
      expect(
        world.fake
          .deployments()
          .map((d) => [d.sha, d.environment, d.payload, d.statuses.map((s) => s.state)]),
      ).toEqual([
        [first, "web", { target: "web", cluster: "prod" }, ["in_progress", "success", "inactive"]],
        [second, "web", { target: "web", cluster: "prod" }, ["in_progress", "success"]],
      ]);
      expect(world.fake.deployments(first)[0]?.statuses[1]).toMatchObject({
        description: "1 created in 0.4s",
        log_url: "https://example.test/check/1",
      });
      expect(deployments.warnings()).toEqual([]);
    },
  );

  it("keeps a failed deployment failed: the environment's last success stays active", async () => {
    // Prepare
    const deployments = await reporter("app");
    const good = await deployments.start(start(first));
    if (good) await deployments.finish(good, { state: "success", description: "ok" });

    // Act
    const bad = await deployments.start(start(second));
    if (bad) await deployments.finish(bad, { state: "failure", description: "deploy/cm.yaml:1:1: bad" });

    // Assess
    expect(world.fake.deployments().map((d) => d.statuses.map((s) => s.state))).toEqual([
      ["in_progress", "success"],
      ["in_progress", "failure"],
    ]);
  });

  it("records a deployment that never applied as failed (2 calls), ends a replaced one inactive, and reads the latest back", async () => {
    // Prepare
    const deployments = await reporter("token");
    const replaced = await deployments.start(start(first));

    // Act
    if (replaced)
      await deployments.finish(replaced, { state: "inactive", description: "superseded by 0123abc" });
    const before = deploymentCalls();
    const broken = await deployments.record(
      { ...start(second), environmentUrl: "https://web.example.test/" },
      {
        state: "failure",
        description: "deploy/cm.yaml:1:1: invalid YAML",
        environmentUrl: "https://web.example.test/",
      },
    );
    const recordCalls = deploymentCalls() - before;
    const latest = await deployments.latest(world.repoName, "web");
    const none = await deployments.latest(world.repoName, "staging");

    // Assess
    expect(recordCalls).toBe(2);
    expect(world.fake.deployments().map((d) => d.statuses.map((s) => s.state))).toEqual([
      ["in_progress", "inactive"],
      ["failure"],
    ]);
    expect(latest).toMatchObject({
      id: broken?.id,
      sha: second,
      environment: "web",
      state: "failure",
      description: "deploy/cm.yaml:1:1: invalid YAML",
      environmentUrl: "https://web.example.test/",
    });
    expect(none).toBeUndefined();
  });

  it("degrades to no deployments with one warning when the credential lacks the permission", async () => {
    // Prepare
    const deployments = await reporter("app");
    world.fake.failNext(DEPLOYMENTS, {
      kind: "status",
      status: 403,
      message: "Resource not accessible by integration",
    });

    // Act
    const denied = await deployments.start(start(first));
    const again = await deployments.start(start(second));

    // Assess
    expect([denied, again]).toEqual([undefined, undefined]);
    expect(world.fake.restCallsByRoute()[DEPLOYMENTS]).toBe(1);
    expect(deployments.warnings()).toEqual([
      expect.stringContaining("Deployments (read & write) permission"),
    ]);
    expect(world.fake.deployments()).toEqual([]);
  });

  it("waits out a 403 secondary rate limit and records the deployment: a rate limit is not a missing permission", async () => {
    // Prepare
    const deployments = await reporter("app");
    world.fake.failNext(DEPLOYMENTS, { kind: "secondary-rate-limit", retryAfter: 1, status: 403 });

    // Act
    const handle = await deployments.start(start(first));

    // Assess
    expect(handle).toBeDefined();
    expect(world.fake.restCallsByRoute()[DEPLOYMENTS]).toBe(2);
    expect(deployments.warnings()).toEqual([]);
    expect(world.fake.deployments().map((d) => d.statuses.map((s) => s.state))).toEqual([["in_progress"]]);
  });

  it("throws a retryable error, and keeps deployments on, when a 403 rate limit outlasts the client's retries", async () => {
    // Prepare
    const deployments = await reporter("app");
    world.fake.failNext(DEPLOYMENTS, { kind: "secondary-rate-limit", retryAfter: 0, status: 403 }, 10);

    // Act
    const error = await deployments.start(start(first)).then(
      () => undefined,
      (e: unknown) => e,
    );
    world.fake.reset();
    const later = await deployments.start(start(second));

    // Assess
    expect(error).toMatchObject({ retryable: true, status: 403 });
    expect(deployments.warnings()).toEqual([]);
    expect(later).toBeDefined();
  });

  it("throws a retryable GitHubError when GitHub fails transiently", async () => {
    // Prepare
    const deployments = await reporter("app");
    world.fake.failNext(DEPLOYMENTS, { kind: "server-error", status: 502 }, 10);

    // Act
    const attempt = deployments.start(start(first)).then(
      () => undefined,
      (error: unknown) => error,
    );

    // Assess
    const error = await attempt;
    expect(error).toBeInstanceOf(GitHubError);
    expect(error).toMatchObject({ retryable: true, status: 502 });
  });
});
