/**
 * GitHub Deployments end to end (webhook → fauxqs → worker → real kube-apiserver → GitHub fake):
 * one deployment per synced commit in the target's environment, the previous one retired when
 * the next succeeds, a failed sync's deployment failed, no deployment for a superseded commit,
 * and a missing permission that costs one warning, not the sync.
 */
import { afterEach, describe, expect, it } from "vitest";
import { configMapYaml } from "../../factories/manifest-text.ts";
import { type Bridge, startBridge } from "../../support/bridge.ts";

let bridge: Bridge | undefined;
afterEach(async () => {
  await bridge?.close();
  bridge = undefined;
});

const states = (b: Bridge) =>
  b.world.fake.deployments().map((d) => [d.environment, d.statuses.map((s) => s.state)]);

describe("GitHub deployments", () => {
  it("records each synced commit, retires the previous one, and fails the deployment of a broken commit", async () => {
    // Prepare
    bridge = await startBridge();
    const first = await bridge.push({ "deploy/app.yaml": configMapYaml("app", { color: "blue" }) });
    await bridge.drain();

    // Act
    const second = await bridge.push({ "deploy/app.yaml": configMapYaml("app", { color: "green" }) });
    await bridge.drain();
    const broken = await bridge.push({ "deploy/app.yaml": "kind: ConfigMap\nmetadata: [unclosed\n" });
    await bridge.drain();

    // Assess
    expect(bridge.world.fake.deployments().map((d) => d.sha)).toEqual([first.sha, second.sha, broken.sha]);
    expect(states(bridge)).toEqual([
      ["web", ["in_progress", "success", "inactive"]],
      ["web", ["in_progress", "success"]],
      ["web", ["in_progress", "failure"]],
    ]);
    const [deployment] = bridge.world.fake.deployments(second.sha);
    expect(deployment?.payload).toEqual({
      target: "web",
      cluster: "test",
      namespace: bridge.namespace,
      path: "deploy",
    });
    expect(deployment?.statuses[1]).toMatchObject({
      description: expect.stringMatching(/^1 updated in /),
      log_url: bridge.world.fake.checkRuns(second.sha)[0]?.html_url,
    });
    expect(bridge.world.fake.violations).toEqual([]);
  });

  it("gives a superseded commit no deployment, and syncs without deployments when the permission is missing", async () => {
    // Prepare
    bridge = await startBridge();
    bridge.world.fake.failNext("POST /repos/{owner}/{repo}/deployments", {
      kind: "status",
      status: 403,
      message: "Resource not accessible by integration",
    });
    const older = await bridge.push({ "deploy/app.yaml": configMapYaml("app", { color: "blue" }) });
    const newer = await bridge.push({ "deploy/app.yaml": configMapYaml("app", { color: "green" }) });

    // Act
    await bridge.drain();

    // Assess
    expect(bridge.world.fake.deployments(older.sha)).toEqual([]);
    expect(bridge.world.fake.deployments(newer.sha)).toEqual([]);
    expect(bridge.world.fake.statuses(newer.sha).at(-1)?.state).toBe("success");
    expect(bridge.world.fake.restCallsByRoute()["POST /repos/{owner}/{repo}/deployments"]).toBe(1);
  });
});
