/**
 * The GitHub CommitReporter against the GitHub fake: exact statuses and check runs, zero
 * OpenAPI violations, and the REST call budget of a sync (head, tarball, pending, final; +1
 * check run as an App).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createJobGitHubFactory } from "../../../lib/github/create-job-github.ts";
import { formatDiffText } from "../../../lib/reporting/format-check-run.ts";
import { CHECK_RUN_TEXT_LIMIT, utf8Length } from "../../../lib/reporting/format-text.ts";
import { DEFAULT_SOURCE_LIMITS } from "../../../lib/source/git-source.ts";
import { aFinishReport, aPendingReport, clientsForFake } from "../../factories/github.ts";
import { SYNC_REST_CALLS } from "../../support/github-fake/github-fake.ts";
import {
  type GitHubWorld,
  startGitHubWorld,
  TEST_INSTALLATION_ID,
} from "../../support/github-fake/github-world.ts";

describe("GitHub commit reporter", () => {
  let world: GitHubWorld;
  let sha: string;
  let head: string;

  beforeAll(async () => {
    world = await startGitHubWorld();
    sha = await world.repo.commitFiles({ "apps/web/cm.yaml": "kind: ConfigMap\n" }, "first");
    head = await world.repo.commitFiles({ "apps/web/cm.yaml": "kind: ConfigMap # v2\n" }, "second");
  });
  afterAll(async () => {
    await world.close();
  });
  afterEach(() => {
    // Assess (every test): nothing we sent broke GitHub's API description or rules.
    expect(world.fake.violations).toEqual([]);
    world.fake.reset();
  });

  const asApp = () => world.jobGitHub({ installationId: TEST_INSTALLATION_ID });
  const asToken = () => world.jobGitHub({});

  it("as an App: pending status, then a completed check run and a final status linking to it", async () => {
    // Prepare
    const { reporter } = await asApp();

    // Act
    await reporter.pending(aPendingReport({ repo: world.repoName, sha, description: "syncing 4 objects" }));
    const result = await reporter.finish(
      aFinishReport({
        repo: world.repoName,
        sha,
        description: "3 created, 1 updated, 2 pruned in 1.8s",
        summary: "### Created (3)",
        text: "```diff\n+a\n```",
      }),
    );

    // Assess
    const [run] = world.fake.checkRuns(sha);
    expect(world.fake.checkRuns()).toHaveLength(1);
    expect(run).toMatchObject({
      name: "pullbridge / prod",
      head_sha: sha,
      status: "completed",
      conclusion: "success",
      title: "3 created, 1 updated, 2 pruned in 1.8s",
      summary: "### Created (3)",
      text: "```diff\n+a\n```",
      annotations: [],
    });
    expect(world.fake.statuses(sha)).toEqual([
      {
        repo: world.repoName,
        sha,
        state: "pending",
        context: "pullbridge/prod",
        description: "syncing 4 objects",
        target_url: undefined,
      },
      {
        repo: world.repoName,
        sha,
        state: "success",
        context: "pullbridge/prod",
        description: "3 created, 1 updated, 2 pruned in 1.8s",
        target_url: run?.html_url,
      },
    ]);
    expect(result).toEqual({ checkRunUrl: run?.html_url, warnings: [] });
    expect(
      world.fake.requests
        .filter((r) => r.route?.startsWith("POST /repos"))
        .every((r) => r.auth === "installation-token"),
    ).toBe(true);
  });

  it("with a token only: statuses, no check run, target_url from the report", async () => {
    // Prepare
    const { reporter, mode } = await asToken();

    // Act
    await reporter.pending(aPendingReport({ repo: world.repoName, sha }));
    const result = await reporter.finish(
      aFinishReport({
        repo: world.repoName,
        sha,
        state: "failure",
        description: "apps/web/cm.yaml:1:1: unknown kind",
        targetUrl: "https://logs.example.com/job/1",
      }),
    );

    // Assess
    expect(mode).toBe("token");
    expect(reporter.checkRuns).toBe(false);
    expect(world.fake.checkRuns()).toEqual([]);
    expect(world.fake.statuses(sha).map((s) => [s.state, s.description, s.target_url])).toEqual([
      ["pending", "syncing", undefined],
      ["failure", "apps/web/cm.yaml:1:1: unknown kind", "https://logs.example.com/job/1"],
    ]);
    expect(result).toEqual({ warnings: [] });
  });

  it("truncates a long description to 140 characters and a huge text below GitHub's limit", async () => {
    // Prepare
    const { reporter } = await asApp();
    const huge = "😀".repeat(40_000);

    // Act
    await reporter.finish(
      aFinishReport({
        repo: world.repoName,
        sha,
        state: "error",
        description: `E${"x".repeat(400)}`,
        text: huge,
      }),
    );

    // Assess
    const [status] = world.fake.statuses(sha);
    const [run] = world.fake.checkRuns(sha);
    expect(status?.description).toHaveLength(140);
    expect(status?.state).toBe("error");
    expect(run?.conclusion).toBe("failure");
    expect(utf8Length(run?.text ?? "")).toBeLessThanOrEqual(CHECK_RUN_TEXT_LIMIT);
  });

  it("sends 120 annotations as one create and two updates of 50 + 20", async () => {
    // Prepare
    const { reporter } = await asApp();
    const annotations = Array.from({ length: 120 }, (_, i) => ({
      path: `apps/web/cm-${i}.yaml`,
      line: i + 1,
      message: `line ${i + 1}: mapping values are not allowed here`,
    }));

    // Act
    await reporter.finish(
      aFinishReport({
        repo: world.repoName,
        sha,
        state: "failure",
        description: "120 invalid manifests",
        annotations,
      }),
    );

    // Assess
    const [run] = world.fake.checkRuns(sha);
    expect(run?.annotations).toHaveLength(120);
    expect(run?.annotations[119]).toEqual({
      path: "apps/web/cm-119.yaml",
      start_line: 120,
      end_line: 120,
      annotation_level: "failure",
      message: "line 120: mapping values are not allowed here",
    });
    const batches = world.fake
      .restCalls()
      .filter((r) => r.route?.includes("check-runs"))
      .map((r) => [
        r.method,
        ((r.body as { output: { annotations: unknown[] } }).output.annotations ?? []).length,
      ]);
    expect(batches).toEqual([
      ["POST", 50],
      ["PATCH", 50],
      ["PATCH", 20],
    ]);
  });

  it("previews as an App: an in-progress check run completed on finish, and no status", async () => {
    // Prepare
    const { reporter } = await asApp();
    const text = formatDiffText([{ object: "ConfigMap team-a/cm", diff: "-a: 1\n+a: 2" }]);

    // Act
    await reporter.pending(
      aPendingReport({ repo: world.repoName, sha: head, kind: "preview", description: "planning" }),
    );
    const inProgress = world.fake.checkRuns(head).map((r) => ({ ...r, annotations: [...r.annotations] }));
    await reporter.finish(
      aFinishReport({
        repo: world.repoName,
        sha: head,
        kind: "preview",
        description: "+0 ~1 -0, 3 unchanged",
        summary: "### To change (1)",
        text,
        annotations: [{ path: "apps/web/cm.yaml", line: 1, column: 7, message: "admission webhook denied" }],
      }),
    );

    // Assess
    expect(inProgress).toMatchObject([
      { name: "pullbridge preview / prod", status: "in_progress", conclusion: null },
    ]);
    expect(world.fake.checkRuns(head)).toMatchObject([
      {
        id: inProgress[0]?.id,
        name: "pullbridge preview / prod",
        status: "completed",
        conclusion: "success",
        title: "+0 ~1 -0, 3 unchanged",
        text,
        annotations: [
          {
            path: "apps/web/cm.yaml",
            start_line: 1,
            end_line: 1,
            start_column: 7,
            end_column: 7,
            annotation_level: "failure",
            message: "admission webhook denied",
          },
        ],
      },
    ]);
    expect(world.fake.statuses()).toEqual([]);
    expect(world.fake.restCallsByRoute()).toEqual({
      "POST /repos/{owner}/{repo}/check-runs": 1,
      "PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}": 1,
    });
  });

  it("previews with a token only: a status under the preview context", async () => {
    // Prepare
    const { reporter } = await asToken();

    // Act
    await reporter.finish(
      aFinishReport({
        repo: world.repoName,
        sha: head,
        kind: "preview",
        description: "+1 ~0 -0, 0 unchanged",
      }),
    );

    // Assess
    expect(world.fake.statuses(head)).toMatchObject([
      { state: "success", context: "pullbridge preview/prod", description: "+1 ~0 -0, 0 unchanged" },
    ]);
  });

  it("falls back to the status alone when the App may not write check runs", async () => {
    // Prepare
    const { reporter } = await asApp();
    world.fake.failNext("POST /repos/{owner}/{repo}/check-runs", {
      kind: "status",
      status: 403,
      message: "Resource not accessible by integration",
    });

    // Act
    const result = await reporter.finish(
      aFinishReport({ repo: world.repoName, sha, targetUrl: "https://logs.example.com/1" }),
    );

    // Assess
    expect(result.warnings).toEqual([expect.stringContaining("Resource not accessible by integration")]);
    expect(world.fake.statuses(sha)).toMatchObject([
      { state: "success", target_url: "https://logs.example.com/1" },
    ]);
  });

  it("reports a status for an unknown commit as a permanent GitHubError", async () => {
    // Prepare
    const { reporter } = await asToken();

    // Act
    const result = reporter.pending(aPendingReport({ repo: "acme/missing", sha }));

    // Assess
    await expect(result).rejects.toMatchObject({ name: "GitHubError", retryable: false, status: 404 });
  });

  it(`a sync flow costs ${SYNC_REST_CALLS.withCheckRun} REST calls as an App and ${SYNC_REST_CALLS.withoutCheckRun} with a token`, async () => {
    // Prepare
    const flow = async (ports: Awaited<ReturnType<typeof asApp>>) => {
      const sha = await ports.source.headSha({ repo: world.repoName, branch: "main" });
      await ports.reporter.pending(aPendingReport({ repo: world.repoName, sha }));
      await ports.source.fetchTree({
        repo: world.repoName,
        sha,
        paths: ["apps/web"],
        limits: DEFAULT_SOURCE_LIMITS,
      });
      await ports.reporter.finish(aFinishReport({ repo: world.repoName, sha }));
    };
    const fresh = createJobGitHubFactory(clientsForFake(world.fake.url, "app").clients);

    // Act
    await flow(await fresh({ installationId: TEST_INSTALLATION_ID }));
    const asAppCalls = world.fake.restCallsByRoute();
    const tokensIssued = world.fake.issuedTokens.length;
    world.fake.reset();
    await flow(await asToken());
    const asTokenCalls = world.fake.restCallsByRoute();

    // Assess
    expect(asAppCalls).toEqual({
      "GET /repos/{owner}/{repo}/git/ref/{ref}": 1,
      "GET /repos/{owner}/{repo}/tarball/{ref}": 1,
      "POST /repos/{owner}/{repo}/statuses/{sha}": 2,
      "POST /repos/{owner}/{repo}/check-runs": 1,
    });
    expect(Object.values(asAppCalls).reduce((a, b) => a + b, 0)).toBe(SYNC_REST_CALLS.withCheckRun);
    expect(Object.values(asTokenCalls).reduce((a, b) => a + b, 0)).toBe(SYNC_REST_CALLS.withoutCheckRun);
    expect(tokensIssued).toBeGreaterThanOrEqual(1);
  });
});
