/**
 * GitHub Deployments end to end (webhook → fauxqs → worker → real kube-apiserver → GitHub fake):
 * one deployment per synced commit in the target's environment, with the plan's counts; the
 * previous one retired when the next succeeds; a broken commit recorded as a failed deployment;
 * a hand edit taken back by the drift schedule recorded as a drift correction; a `git revert` as
 * a new deployment of the older tree; no deployment for a superseded commit; and a missing
 * permission that costs one warning, not the sync.
 */
import { CoreV1Api } from "@kubernetes/client-node";
import { afterEach, describe, expect, it } from "vitest";
import { configMapYaml } from "../../factories/manifest-text.ts";
import { type Bridge, startBridge } from "../../support/bridge.ts";
import { kubeConfigFor } from "../../support/kube.ts";

let bridge: Bridge | undefined;
afterEach(async () => {
  // Assess (every test): nothing pullbridge sent broke GitHub's API description or rules.
  expect(bridge?.world.fake.violations ?? []).toEqual([]);
  await bridge?.close();
  bridge = undefined;
});

const core = () => kubeConfigFor("admin").makeApiClient(CoreV1Api);
const states = (b: Bridge) =>
  b.world.fake.deployments().map((d) => [d.environment, d.statuses.map((s) => s.state)]);
const deploymentCalls = (b: Bridge) =>
  b.world.fake.restCalls().filter((r) => r.route?.includes("/deployments")).length;

describe("GitHub deployments", () => {
  it("records each synced commit with its plan, retires the previous one, and records a broken commit as failed", async () => {
    // Prepare
    bridge = await startBridge();
    const first = await bridge.push({ "deploy/app.yaml": configMapYaml("app", { color: "blue" }) });
    await bridge.drain();
    const callsForFirst = deploymentCalls(bridge);

    // Act
    const second = await bridge.push({ "deploy/app.yaml": configMapYaml("app", { color: "green" }) });
    await bridge.drain();
    const callsForSecond = deploymentCalls(bridge) - callsForFirst;
    const broken = await bridge.push({ "deploy/app.yaml": "kind: ConfigMap\nmetadata: [unclosed\n" });
    await bridge.drain();
    const callsForBroken = deploymentCalls(bridge) - callsForFirst - callsForSecond;

    // Assess
    expect(bridge.world.fake.deployments().map((d) => d.sha)).toEqual([first.sha, second.sha, broken.sha]);
    expect(states(bridge)).toEqual([
      ["web", ["in_progress", "success", "inactive"]],
      ["web", ["in_progress", "success"]],
      // Never applied: recorded as failed at once, without `in_progress`.
      ["web", ["failure"]],
    ]);
    const [deployment] = bridge.world.fake.deployments(second.sha);
    expect(deployment?.payload).toEqual({
      target: "web",
      cluster: "test",
      namespace: bridge.namespace,
      path: "deploy",
      trigger: "push",
      plan: { create: 0, update: 1, prune: 0, unchanged: 0 },
    });
    expect(deployment?.description).toBe("applying +0 ~1 -0, 0 unchanged");
    expect(deployment?.statuses[1]).toMatchObject({
      description: expect.stringMatching(/^1 updated in /),
      log_url: bridge.world.fake.checkRuns(second.sha)[0]?.html_url,
    });
    const [failed] = bridge.world.fake.deployments(broken.sha);
    expect(failed?.payload).toMatchObject({ trigger: "push" });
    expect(failed?.payload).not.toHaveProperty("plan");
    expect(failed?.statuses[0]?.description).toMatch(/^deploy\/app\.yaml:\d+:\d+ .*invalid YAML/);
    // The budget: 3 calls per applied commit, 2 for one that never got that far.
    expect([callsForFirst, callsForSecond, callsForBroken]).toEqual([3, 3, 2]);
  });

  it("uses the target's environment name and URL on every status", async () => {
    // Prepare
    bridge = await startBridge({
      target: { environment: { name: "production (eu-west-1)", url: "https://shop.example.test/" } },
    });

    // Act
    const push = await bridge.push({ "deploy/app.yaml": configMapYaml("app", { color: "blue" }) });
    await bridge.drain();

    // Assess
    const [deployment] = bridge.world.fake.deployments(push.sha);
    expect(deployment?.environment).toBe("production (eu-west-1)");
    expect(deployment?.statuses.map((s) => [s.state, s.environment_url])).toEqual([
      ["in_progress", "https://shop.example.test/"],
      ["success", "https://shop.example.test/"],
    ]);
  });

  it("records nothing when the target turns deployments off", async () => {
    // Prepare
    bridge = await startBridge({ target: { environment: { deployments: false } } });

    // Act
    const push = await bridge.push({ "deploy/app.yaml": configMapYaml("app", { color: "blue" }) });
    await bridge.drain();

    // Assess
    expect(bridge.world.fake.statuses(push.sha).at(-1)?.state).toBe("success");
    expect(deploymentCalls(bridge)).toBe(0);
  });

  it("records a drift correction as a deployment of the same commit that says it reverted a hand edit; a clean drift check records none", async () => {
    // Prepare
    bridge = await startBridge();
    const push = await bridge.push({ "deploy/app.yaml": configMapYaml("app", { color: "blue" }) });
    await bridge.drain();
    await bridge.scheduleDrift();
    await bridge.drain();
    const afterCleanCheck = bridge.world.fake.deployments().length;
    await core().patchNamespacedConfigMap({
      namespace: bridge.namespace,
      name: "app",
      body: [{ op: "replace", path: "/data/color", value: "hacked" }],
    });

    // Act
    await bridge.scheduleDrift();
    await bridge.drain();

    // Assess
    expect(afterCleanCheck).toBe(1);
    const [pushed, correction] = bridge.world.fake.deployments(push.sha);
    expect(pushed?.statuses.map((s) => s.state)).toEqual(["in_progress", "success", "inactive"]);
    expect(correction).toMatchObject({
      environment: "web",
      description: "drift correction: reverting hand edits to 1 object in the cluster",
      payload: expect.objectContaining({ trigger: "drift-correction" }),
    });
    expect(correction?.statuses.map((s) => [s.state, s.description])).toEqual([
      ["in_progress", "drift correction: reverting hand edits to 1 object in the cluster"],
      ["success", expect.stringMatching(/^drift corrected: 1 updated/)],
    ]);
    expect((await core().readNamespacedConfigMap({ namespace: bridge.namespace, name: "app" })).data).toEqual(
      {
        color: "blue",
      },
    );
  });

  it("shows a git revert as a new deployment of the older tree, the reverted one retired", async () => {
    // Prepare
    bridge = await startBridge();
    await bridge.push({ "deploy/app.yaml": configMapYaml("app", { color: "blue" }) });
    await bridge.drain();
    const bad = await bridge.push({ "deploy/app.yaml": configMapYaml("app", { color: "red" }) });
    await bridge.drain();

    // Act
    const revert = await bridge.pushRevert();
    await bridge.drain();

    // Assess
    expect(states(bridge)).toEqual([
      ["web", ["in_progress", "success", "inactive"]],
      ["web", ["in_progress", "success", "inactive"]],
      ["web", ["in_progress", "success"]],
    ]);
    expect(bridge.world.fake.deployments().map((d) => d.sha)).toEqual([
      expect.any(String),
      bad.sha,
      revert.sha,
    ]);
    expect(bridge.world.fake.deployments(revert.sha)[0]?.payload).toMatchObject({
      plan: { create: 0, update: 1, prune: 0, unchanged: 0 },
    });
    expect((await core().readNamespacedConfigMap({ namespace: bridge.namespace, name: "app" })).data).toEqual(
      {
        color: "blue",
      },
    );
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
