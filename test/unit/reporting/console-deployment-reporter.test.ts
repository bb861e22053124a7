import { describe, expect, it } from "vitest";
import {
  createConsoleDeploymentReporter,
  printDeploymentTransitions,
} from "../../../lib/reporting/console-deployment-reporter.ts";
import type { DeploymentStart } from "../../../lib/reporting/deployment-reporter.ts";

const start = (sha: string, environment = "web"): DeploymentStart => ({
  repo: "acme/shop",
  sha,
  target: "web",
  environment,
  description: "applying +0 ~1 -0, 3 unchanged",
  payload: {},
});
const A = "a".repeat(40);
const B = "b".repeat(40);

describe("local-mode deployments", () => {
  it("print every transition and retire the environment's previous success, as GitHub's auto_inactive does", async () => {
    // Prepare
    const lines: string[] = [];
    const deployments = createConsoleDeploymentReporter({ write: (l) => lines.push(l) });

    // Act
    const one = await deployments.start(start(A));
    if (one) await deployments.finish(one, { state: "success", description: "1 updated in 0.2s" });
    const other = await deployments.start(start(A, "staging"));
    if (other) await deployments.finish(other, { state: "success", description: "ok" });
    const two = await deployments.start(start(B));
    if (two) await deployments.finish(two, { state: "success", description: "1 updated in 0.1s" });
    const latest = await deployments.latest("acme/shop", "web");

    // Assess
    expect(lines).toEqual([
      "⇢ deployment #1 web acme/shop@aaaaaaa in_progress: applying +0 ~1 -0, 3 unchanged",
      "⇢ deployment #1 web acme/shop@aaaaaaa success: 1 updated in 0.2s",
      "⇢ deployment #2 staging acme/shop@aaaaaaa in_progress: applying +0 ~1 -0, 3 unchanged",
      "⇢ deployment #2 staging acme/shop@aaaaaaa success: ok",
      "⇢ deployment #3 web acme/shop@bbbbbbb in_progress: applying +0 ~1 -0, 3 unchanged",
      "⇢ deployment #3 web acme/shop@bbbbbbb success: 1 updated in 0.1s",
      "⇢ deployment #1 web acme/shop@aaaaaaa inactive: replaced by #3",
    ]);
    expect(latest).toMatchObject({ id: 3, sha: B, state: "success", description: "1 updated in 0.1s" });
    expect(await deployments.latest("acme/shop", "prod")).toBeUndefined();
  });

  it("keep a failed deployment's predecessor active, and print around a real reporter", async () => {
    // Prepare
    const lines: string[] = [];
    const inner = createConsoleDeploymentReporter({ write: () => {} });
    const printed = printDeploymentTransitions(inner, (l) => lines.push(l));

    // Act
    const good = await printed.start(start(A));
    if (good) await printed.finish(good, { state: "success", description: "ok" });
    await printed.record(start(B), { state: "failure", description: "deploy/app.yaml:3:1: invalid YAML" });

    // Assess
    expect(lines).toEqual([
      "⇢ deployment #1 web acme/shop@aaaaaaa in_progress: applying +0 ~1 -0, 3 unchanged",
      "⇢ deployment #1 web acme/shop@aaaaaaa success: ok",
      "⇢ deployment #2 web acme/shop@bbbbbbb failure: deploy/app.yaml:3:1: invalid YAML",
    ]);
    expect((await inner.latest("acme/shop", "web"))?.state).toBe("failure");
  });
});
