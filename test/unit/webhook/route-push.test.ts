import { describe, expect, it } from "vitest";
import { IgnoreCode } from "../../../lib/webhook/route-decision.ts";
import { PUSH_COMMIT_LIST_CAP, routePush } from "../../../lib/webhook/route-push.ts";
import {
  branchDeletionPayload,
  type PushOptions,
  pushPayload,
  sha,
  webhookFixture,
  webhookTargets,
} from "../../factories/webhook.ts";

const facts = { deliveryId: "d-1", receivedAt: "2025-11-22T10:00:00.000Z" };
const targets = webhookTargets();

function queuedTargets(payload: unknown): string[] {
  const decision = routePush(payload, targets, facts);
  return decision.kind === "queue" ? decision.jobs.map((j) => j.target) : [];
}

describe("routePush", () => {
  it("queues one sync job per target whose path changed, carrying the push facts", () => {
    // Prepare
    const payload = pushPayload({
      commits: [{ modified: ["apps/web/deployment.yaml"] }, { added: ["apps/api/service.yaml"] }],
      after: sha("head"),
      before: sha("base"),
    });

    // Act
    const decision = routePush(payload, targets, facts);

    // Assess
    expect(decision.kind).toBe("queue");
    if (decision.kind !== "queue") return;
    expect(decision.jobs).toEqual([
      {
        v: 1,
        type: "sync",
        trigger: "webhook",
        target: "web",
        repo: "Codertocat/Hello-World",
        installationId: 1,
        ref: "refs/heads/master",
        sha: sha("head"),
        before: sha("base"),
        deliveryId: "d-1",
        sender: "Codertocat",
        receivedAt: "2025-11-22T10:00:00.000Z",
      },
      expect.objectContaining({ target: "api", sha: sha("head") }),
    ]);
  });

  it("counts removed files as changes (a manifest deleted from Git must be pruned)", () => {
    // Prepare
    const payload = pushPayload({ commits: [{ removed: ["platform/old-crd.yaml"] }] });

    // Act
    const queued = queuedTargets(payload);

    // Assess
    expect(queued).toEqual(["platform"]);
  });

  it("does not match a sibling directory that shares the path prefix", () => {
    // Prepare
    const payload = pushPayload({ commits: [{ modified: ["apps/web-legacy/x.yaml", "apps/webx"] }] });

    // Act
    const decision = routePush(payload, targets, facts);

    // Assess
    expect(decision).toMatchObject({ kind: "ignore", code: IgnoreCode.NoTargetChanged });
  });

  it("ignores a push that touches no target path, with a reason", () => {
    // Prepare
    const payload = pushPayload({ commits: [{ modified: ["README.md", "docs/index.md"] }] });

    // Act
    const decision = routePush(payload, targets, facts);

    // Assess
    expect(decision).toMatchObject({ kind: "ignore", code: IgnoreCode.NoTargetChanged });
    if (decision.kind === "ignore") expect(decision.reason).toContain("no target path changed on master");
  });

  it("queues a root (`.`) target for any change", () => {
    // Prepare
    const payload = pushPayload({ repo: "acme/other", commits: [{ modified: ["anything/at/all.txt"] }] });

    // Act
    const queued = queuedTargets(payload);

    // Assess
    expect(queued).toEqual(["elsewhere"]);
  });

  it("matches the repository name case-insensitively, as GitHub does", () => {
    // Prepare
    const payload = pushPayload({
      repo: "codertocat/hello-world",
      commits: [{ modified: ["apps/web/a.yaml"] }],
    });

    // Act
    const queued = queuedTargets(payload);

    // Assess
    expect(queued).toEqual(["web"]);
  });

  it.each([
    ["a forced push", { forced: true }, "forced push"],
    ["a new branch", { created: true }, "new branch"],
    ["a missing commit list", { commits: null }, "commit list missing"],
    ["an empty commit list", { commits: [] }, "commit list empty"],
    ["a `size` larger than the list", { size: 42 }, "commit list truncated (1 of 42)"],
    [
      "a list at GitHub's cap",
      { commits: Array.from({ length: PUSH_COMMIT_LIST_CAP }, () => ({ modified: ["README.md"] })) },
      `commit list may be truncated (${PUSH_COMMIT_LIST_CAP} commits)`,
    ],
  ] satisfies [string, PushOptions, string][])(
    "queues every target on the branch for %s",
    (_name, options, reason) => {
      // Prepare
      const payload = pushPayload({ commits: [{ modified: ["README.md"] }], ...options });

      // Act
      const decision = routePush(payload, targets, facts);

      // Assess
      expect(decision.kind).toBe("queue");
      if (decision.kind !== "queue") return;
      expect(decision.jobs.map((j) => j.target)).toEqual(["web", "api", "platform"]);
      expect(decision.reason).toBe(`${reason}: every target on master`);
    },
  );

  it("treats a commit without file lists as truncated", () => {
    // Prepare
    const payload = pushPayload({ commits: [{ modified: ["README.md"] }] });
    const commit = (payload.commits as Record<string, unknown>[])[0] ?? {};
    delete commit.added;

    // Act
    const queued = queuedTargets(payload);

    // Assess
    expect(queued).toEqual(["web", "api", "platform"]);
  });

  it("ignores a tag push from the real fixture", () => {
    // Prepare
    const payload = webhookFixture("push-tag");

    // Act
    const decision = routePush(payload, targets, facts);

    // Assess
    expect(decision).toEqual({
      kind: "ignore",
      repo: "Codertocat/Hello-World",
      code: IgnoreCode.TagPush,
      reason: "tag push (refs/tags/simple-tag)",
    });
  });

  it("ignores a branch deletion, even of a tracked branch", () => {
    // Prepare
    const payload = branchDeletionPayload("master");

    // Act
    const decision = routePush(payload, targets, facts);

    // Assess
    expect(decision).toMatchObject({
      kind: "ignore",
      code: IgnoreCode.BranchDeleted,
      reason: "branch master deleted",
    });
  });

  it("ignores an untracked repository", () => {
    // Prepare
    const payload = pushPayload({ repo: "someone/unrelated", commits: [{ modified: ["apps/web/a.yaml"] }] });

    // Act
    const decision = routePush(payload, targets, facts);

    // Assess
    expect(decision).toMatchObject({
      kind: "ignore",
      code: IgnoreCode.UntrackedRepository,
      reason: "repository someone/unrelated is not tracked",
    });
  });

  it("ignores an untracked branch of a tracked repository", () => {
    // Prepare
    const payload = pushPayload({ branch: "feature/x", commits: [{ modified: ["apps/web/a.yaml"] }] });

    // Act
    const decision = routePush(payload, targets, facts);

    // Assess
    expect(decision).toMatchObject({
      kind: "ignore",
      code: IgnoreCode.UntrackedBranch,
      reason: "branch feature/x of Codertocat/Hello-World is not tracked",
    });
  });

  it("routes a push to another tracked branch to that branch's targets only", () => {
    // Prepare
    const payload = pushPayload({
      branch: "release",
      commits: [{ modified: ["deploy/staging/app.yaml", "apps/web/a.yaml"] }],
    });

    // Act
    const queued = queuedTargets(payload);

    // Assess
    expect(queued).toEqual(["staging"]);
  });

  it("ignores refs that are neither branches nor tags", () => {
    // Prepare
    const payload = pushPayload({ ref: "refs/notes/commits" });

    // Act
    const decision = routePush(payload, targets, facts);

    // Assess
    expect(decision).toMatchObject({ kind: "ignore", code: IgnoreCode.NotABranch });
  });

  it("reports a payload without the fields it needs as invalid", () => {
    // Prepare
    const payload = pushPayload();
    delete payload.after;

    // Act
    const decision = routePush(payload, targets, facts);

    // Assess
    expect(decision).toEqual({ kind: "invalid", reason: expect.stringContaining("push payload: after") });
  });

  it("leaves out the installation id when the delivery did not come from a GitHub App", () => {
    // Prepare
    const payload = pushPayload({ installationId: null, commits: [{ modified: ["apps/web/a.yaml"] }] });

    // Act
    const decision = routePush(payload, targets, facts);

    // Assess
    expect(decision.kind === "queue" && decision.jobs[0]).not.toHaveProperty("installationId");
  });
});
