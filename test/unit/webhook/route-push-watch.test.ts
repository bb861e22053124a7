import { describe, expect, it } from "vitest";
import { IgnoreCode } from "../../../lib/webhook/route-decision.ts";
import { routePush } from "../../../lib/webhook/route-push.ts";
import { pushPayload, webhookTargets } from "../../factories/webhook.ts";

const facts = { deliveryId: "d-1", receivedAt: "2025-11-22T10:00:00.000Z" };
// An overlay target that renders `../../base` and a shared component: both declared as watch paths.
const targets = webhookTargets([
  {
    name: "web-prod",
    repo: "Codertocat/Hello-World",
    branch: "master",
    cluster: "prod",
    namespace: "web-prod",
    path: "kustomize/web/overlays/prod",
    watch: ["kustomize/web/base", "kustomize/components/tracing"],
  },
]);

function route(files: string[]) {
  return routePush(pushPayload({ commits: [{ modified: files }] }), targets, facts);
}

describe("routePush with watch paths (rendered targets)", () => {
  it("a change to the base an overlay reads syncs the overlay's target", () => {
    // Act
    const decision = route(["kustomize/web/base/deployment.yaml"]);

    // Assess
    expect(decision.kind === "queue" ? decision.jobs.map((j) => j.target) : decision).toEqual(["web-prod"]);
  });

  it("a change to a watched component syncs it too", () => {
    // Act
    const decision = route(["kustomize/components/tracing/kustomization.yaml"]);

    // Assess
    expect(decision.kind === "queue" ? decision.jobs.map((j) => j.target) : decision).toEqual(["web-prod"]);
  });

  it("an unrelated change (a README, another overlay) starts nothing", () => {
    // Act
    const decision = route(["kustomize/README.md", "kustomize/web/overlays/staging/kustomization.yaml"]);

    // Assess
    expect(decision.kind).toBe("ignore");
    if (decision.kind === "ignore") expect(decision.code).toBe(IgnoreCode.NoTargetChanged);
  });
});
