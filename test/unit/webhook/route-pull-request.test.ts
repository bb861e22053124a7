import { describe, expect, it } from "vitest";
import { IgnoreCode } from "../../../lib/webhook/route-decision.ts";
import { routePullRequest } from "../../../lib/webhook/route-pull-request.ts";
import { pullRequestPayload, sha, webhookFixture, webhookTargets } from "../../factories/webhook.ts";

const facts = { deliveryId: "d-2", receivedAt: "2025-11-22T10:00:00.000Z" };
const targets = webhookTargets();

describe("routePullRequest", () => {
  it("queues a preview job for every preview-enabled target of the base branch (real `opened` payload)", () => {
    // Prepare
    const payload = webhookFixture("pull-request-opened");

    // Act
    const decision = routePullRequest(payload, targets, facts);

    // Assess
    expect(decision.kind).toBe("queue");
    if (decision.kind !== "queue") return;
    expect(decision.jobs.map((j) => j.target)).toEqual(["web", "platform"]);
    expect(decision.jobs[0]).toEqual({
      v: 1,
      type: "preview",
      trigger: "webhook",
      target: "web",
      repo: "Codertocat/Hello-World",
      ref: "refs/pull/2/head",
      sha: "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
      before: "f95f852bd8fca8fcc58a9a2d6c842781e32a215e",
      deliveryId: "d-2",
      sender: "Codertocat",
      receivedAt: "2025-11-22T10:00:00.000Z",
      pullRequest: {
        number: 2,
        headSha: "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
        baseRef: "master",
        headRepo: "Codertocat/Hello-World",
      },
    });
  });

  it.each(["opened", "synchronize", "reopened"])("handles `%s`", (action) => {
    // Prepare
    const payload = pullRequestPayload({ action, number: 7, headSha: sha("pr-head") });

    // Act
    const decision = routePullRequest(payload, targets, facts);

    // Assess
    expect(decision.kind === "queue" && decision.jobs.map((j) => [j.target, j.sha, j.ref])).toEqual([
      ["web", sha("pr-head"), "refs/pull/7/head"],
      ["platform", sha("pr-head"), "refs/pull/7/head"],
    ]);
  });

  it("ignores other actions (real `closed` payload)", () => {
    // Prepare
    const payload = webhookFixture("pull-request-closed");

    // Act
    const decision = routePullRequest(payload, targets, facts);

    // Assess
    expect(decision).toEqual({
      kind: "ignore",
      repo: "Codertocat/Hello-World",
      code: IgnoreCode.UnhandledAction,
      reason: "pull_request action closed is not handled",
    });
  });

  it("ignores a pull request whose base branch has no preview-enabled target", () => {
    // Prepare
    const payload = pullRequestPayload({ baseRef: "develop" });

    // Act
    const decision = routePullRequest(payload, targets, facts);

    // Assess
    expect(decision).toMatchObject({
      kind: "ignore",
      code: IgnoreCode.NoPreviewTarget,
      reason: "no preview-enabled target tracks Codertocat/Hello-World@develop",
    });
  });

  it("ignores a pull request in an untracked repository", () => {
    // Prepare
    const payload = pullRequestPayload({ repo: "someone/else" });

    // Act
    const decision = routePullRequest(payload, targets, facts);

    // Assess
    expect(decision).toMatchObject({ kind: "ignore", code: IgnoreCode.NoPreviewTarget });
  });

  it("reports a payload without a head sha as invalid", () => {
    // Prepare
    const payload = pullRequestPayload();
    delete ((payload.pull_request as Record<string, unknown>).head as Record<string, unknown>).sha;

    // Act
    const decision = routePullRequest(payload, targets, facts);

    // Assess
    expect(decision).toEqual({ kind: "invalid", reason: expect.stringContaining("pull_request.head.sha") });
  });
});
