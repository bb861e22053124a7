import { describe, expect, it } from "vitest";
import { IgnoreCode } from "../../../lib/webhook/route-decision.ts";
import { routeDelivery } from "../../../lib/webhook/route-delivery.ts";
import { pushPayload, webhookFixture, webhookTargets } from "../../factories/webhook.ts";

const receivedAt = "2025-11-22T10:00:00.000Z";
const targets = webhookTargets();

describe("routeDelivery", () => {
  it("answers a ping (real payload)", () => {
    // Prepare
    const delivery = { event: "ping", deliveryId: "d", payload: webhookFixture("ping") };

    // Act
    const decision = routeDelivery(delivery, targets, receivedAt);

    // Assess
    expect(decision).toEqual({ kind: "ping", repo: "Octocoders/Hello-World" });
  });

  it("routes push and pull_request to their routers", () => {
    // Prepare
    const push = {
      event: "push",
      deliveryId: "d",
      payload: pushPayload({ commits: [{ added: ["apps/api/x.yaml"] }] }),
    };
    const pr = { event: "pull_request", deliveryId: "d", payload: webhookFixture("pull-request-opened") };

    // Act
    const pushDecision = routeDelivery(push, targets, receivedAt);
    const prDecision = routeDelivery(pr, targets, receivedAt);

    // Assess
    expect(pushDecision.kind === "queue" && pushDecision.jobs.map((j) => `${j.type}:${j.target}`)).toEqual([
      "sync:api",
    ]);
    expect(prDecision.kind === "queue" && prDecision.jobs.map((j) => `${j.type}:${j.target}`)).toEqual([
      "preview:web",
      "preview:platform",
    ]);
  });

  it.each(["issues", "release", "workflow_run", "check_suite"])("ignores `%s` with a reason", (event) => {
    // Prepare
    const delivery = {
      event,
      deliveryId: "d",
      payload: { repository: { full_name: "Codertocat/Hello-World" } },
    };

    // Act
    const decision = routeDelivery(delivery, targets, receivedAt);

    // Assess
    expect(decision).toEqual({
      kind: "ignore",
      repo: "Codertocat/Hello-World",
      code: IgnoreCode.UnhandledEvent,
      reason: `event ${event} is not handled`,
    });
  });
});
