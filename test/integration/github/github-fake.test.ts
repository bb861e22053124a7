/**
 * The GitHub fake itself: it must refuse what GitHub would refuse, or the zero-violation
 * assertions elsewhere prove nothing.
 */
import { generateKeyPairSync } from "node:crypto";
import { Octokit } from "@octokit/rest";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createGitHubClientProvider } from "../../../lib/github/adapters/github-client.ts";
import { APP_KEY_REF, fakeSecrets, TEST_APP_ID, TEST_TOKEN, testAppKeyPair } from "../../factories/github.ts";
import { createGitRepo, type GitRepo } from "../../support/git-repo.ts";
import { type GitHubFake, startGitHubFake } from "../../support/github-fake/github-fake.ts";

/** The rejection reason of a promise that must fail (or "resolved"), observed at once. */
const settle = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => "resolved",
    (error: unknown) => error,
  );

describe("GitHub fake", () => {
  let fake: GitHubFake;
  let repo: GitRepo;
  let sha: string;
  let octokit: Octokit;

  beforeAll(async () => {
    fake = await startGitHubFake({
      tokens: [TEST_TOKEN],
      app: { appId: TEST_APP_ID, publicKey: testAppKeyPair().publicKey },
    });
    repo = await createGitRepo();
    sha = await repo.commitFiles({ "a.yaml": "kind: ConfigMap\n" });
    fake.addRepo("acme/deploy", repo.dir);
    octokit = new Octokit({
      baseUrl: fake.url,
      auth: TEST_TOKEN,
      log: { debug() {}, info() {}, warn() {}, error() {} },
    });
  });
  afterAll(async () => {
    await fake.close();
    await repo.remove();
  });
  afterEach(() => {
    fake.reset();
  });

  /** Untyped on purpose: these tests send what the types (and GitHub) would refuse. */
  const raw = (route: string, params: Record<string, unknown>) => octokit.request(route, params);
  const status = (body: Record<string, unknown>) =>
    raw("POST /repos/{owner}/{repo}/statuses/{sha}", {
      owner: "acme",
      repo: "deploy",
      sha,
      ...body,
    });

  const deploy = async (environment: string, extra: Record<string, unknown> = {}) =>
    (
      await octokit.rest.repos.createDeployment({
        owner: "acme",
        repo: "deploy",
        ref: sha,
        environment,
        auto_merge: false,
        required_contexts: [],
        ...extra,
      })
    ).data as { id: number };
  const deploymentStatus = (id: number, state: "in_progress" | "success" | "failure", extra = {}) =>
    octokit.rest.repos.createDeploymentStatus({
      owner: "acme",
      repo: "deploy",
      deployment_id: id,
      state,
      ...extra,
    });

  it("keeps deployments and their statuses, and marks an environment's earlier success inactive", async () => {
    // Prepare
    const first = await deploy("web");
    await deploymentStatus(first.id, "success");
    const other = await deploy("api");
    await deploymentStatus(other.id, "success");

    // Act
    const second = await deploy("web");
    await deploymentStatus(second.id, "in_progress");
    const beforeSuccess = fake.deployments().map((d) => d.statuses.at(-1)?.state);
    await deploymentStatus(second.id, "success", { log_url: "https://example.test/run/1" });
    const listed = await octokit.rest.repos.listDeployments({
      owner: "acme",
      repo: "deploy",
      environment: "web",
    });
    const statuses = await octokit.rest.repos.listDeploymentStatuses({
      owner: "acme",
      repo: "deploy",
      deployment_id: second.id,
    });

    // Assess
    expect(fake.violations).toEqual([]);
    expect(beforeSuccess).toEqual(["success", "success", "in_progress"]);
    expect(fake.deployments().map((d) => [d.environment, d.statuses.map((st) => st.state)])).toEqual([
      ["web", ["success", "inactive"]],
      ["api", ["success"]],
      ["web", ["in_progress", "success"]],
    ]);
    expect(listed.data.map((d) => d.id)).toEqual([second.id, first.id]);
    expect(statuses.data.map((st) => [st.state, st.log_url])).toEqual([
      ["success", "https://example.test/run/1"],
      ["in_progress", ""],
    ]);
  });

  it("refuses a deployment status outside the documented states and a deployment of an unknown ref", async () => {
    // Prepare
    const { id } = await deploy("web");

    // Act
    const badState = await settle(
      raw("POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses", {
        owner: "acme",
        repo: "deploy",
        deployment_id: id,
        state: "done",
      }),
    );
    const badRef = await settle(
      raw("POST /repos/{owner}/{repo}/deployments", { owner: "acme", repo: "deploy", ref: "f".repeat(40) }),
    );

    // Assess
    expect(badState).toMatchObject({ status: 422 });
    expect(badRef).toMatchObject({ status: 422 });
    expect(fake.violations.map((v) => v.kind)).toEqual(["openapi", "github-rule"]);
    expect(fake.deployments()[0]?.statuses).toEqual([]);
  });

  it("accepts a valid commit status and records it", async () => {
    // Act
    await status({ state: "success", context: "pullbridge/prod", description: "ok" });

    // Assess
    expect(fake.violations).toEqual([]);
    expect(fake.statuses(sha)).toHaveLength(1);
  });

  it("refuses a state outside the documented enum with 422 and records the violation", async () => {
    // Act
    const result = status({ state: "succeeded", context: "pullbridge/prod" });

    // Assess
    await expect(result).rejects.toMatchObject({ status: 422 });
    expect(fake.violations).toEqual([
      expect.objectContaining({
        kind: "openapi",
        route: "POST /repos/{owner}/{repo}/statuses/{sha}",
        problems: [expect.stringContaining("allowed values")],
      }),
    ]);
  });

  it("refuses a misspelt field that GitHub would silently ignore", async () => {
    // Act
    const result = status({ state: "success", targetUrl: "https://example.com" });

    // Assess
    await expect(result).rejects.toMatchObject({ status: 422 });
    expect(fake.violations[0]?.problems).toEqual(["body must NOT have additional properties (targetUrl)"]);
  });

  it("refuses a description over 140 characters, as GitHub does", async () => {
    // Act
    const result = status({ state: "success", description: "x".repeat(141) });

    // Assess
    await expect(result).rejects.toMatchObject({ status: 422 });
    expect(fake.violations[0]).toMatchObject({ kind: "github-rule" });
  });

  it("refuses a check run without its required fields and one over 50 annotations", async () => {
    // Prepare
    const annotation = {
      path: "a.yaml",
      start_line: 1,
      end_line: 1,
      annotation_level: "failure",
      message: "m",
    };

    // Act: one request at a time, each settled before the next (no unobserved rejection, fixed order).
    const missing = await settle(
      raw("POST /repos/{owner}/{repo}/check-runs", {
        owner: "acme",
        repo: "deploy",
        name: "x",
      }),
    );
    const tooMany = await settle(
      raw("POST /repos/{owner}/{repo}/check-runs", {
        owner: "acme",
        repo: "deploy",
        name: "x",
        head_sha: sha,
        output: { title: "t", summary: "s", annotations: Array.from({ length: 51 }, () => annotation) },
      }),
    );

    // Assess
    expect(missing).toMatchObject({ status: 422 });
    expect(tooMany).toMatchObject({ status: 422 });
    expect(fake.violations.map((v) => v.problems)).toEqual([
      ["body must have required property 'head_sha'"],
      ["body/output/annotations must NOT have more than 50 items"],
    ]);
  });

  it("refuses an undocumented route and a malformed path parameter", async () => {
    // Act
    const undocumented = await settle(
      raw("GET /repos/{owner}/{repo}/tarballs/{ref}", { owner: "acme", repo: "deploy", ref: sha }),
    );
    const badId = await settle(
      raw("PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}", {
        owner: "acme",
        repo: "deploy",
        check_run_id: "abc",
        name: "x",
      }),
    );

    // Assess
    expect(undocumented).toMatchObject({ status: 404 });
    expect(badId).toMatchObject({ status: 422 });
    expect(fake.violations.map((v) => v.kind)).toEqual(["openapi", "openapi"]);
    expect(fake.violations[1]?.problems).toEqual(["path parameter check_run_id must be integer"]);
  });

  it("only lets GitHub Apps write check runs", async () => {
    // Act
    const result = octokit.rest.checks.create({ owner: "acme", repo: "deploy", name: "x", head_sha: sha });

    // Assess
    await expect(result).rejects.toMatchObject({ status: 403 });
  });

  it("refuses a JWT signed with another key", async () => {
    // Prepare
    const otherKey = generateKeyPairSync("rsa", {
      modulusLength: 2048,
      privateKeyEncoding: { type: "pkcs8", format: "pem" },
      publicKeyEncoding: { type: "spki", format: "pem" },
    }).privateKey;
    const clients = createGitHubClientProvider({
      config: { baseUrl: fake.url, app: { appId: TEST_APP_ID, privateKeyRef: APP_KEY_REF } },
      secrets: fakeSecrets({ [APP_KEY_REF]: otherKey }),
    });
    const { octokit: app } = await clients.forInstallation(5);

    // Act
    const result = app.rest.git.getRef({ owner: "acme", repo: "deploy", ref: "heads/main" });

    // Assess
    await expect(result).rejects.toMatchObject({ status: 401 });
    expect(fake.violations.map((v) => v.problems)).toEqual([
      ["JWT signature does not verify with the app's public key"],
    ]);
  });
});
