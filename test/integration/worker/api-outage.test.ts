/**
 * The API server goes away in the middle of a batch: the job must go back to the queue (not be
 * acknowledged as failed), and the cluster must converge once the API server is back. When it
 * goes away after the GitHub deployment started (between the whole-set dry-run and the first
 * write), that deployment ends `error` and the retry records its own. Uses its own control plane,
 * so stopping it does not disturb the other tests.
 */
import { join } from "node:path";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { configMapYaml } from "../../factories/manifest-text.ts";
import { type Bridge, startBridge } from "../../support/bridge.ts";
import { type ControlPlane, startControlPlane } from "../../support/control-plane/control-plane.ts";
import { createGrantedNamespace } from "../../support/kube.ts";

const DEPLOYMENT_STATUS_ROUTE = "POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses";

let cp: ControlPlane;
let bridge: Bridge;

function adminOf(plane: ControlPlane): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(join(plane.dir, "admin.kubeconfig"));
  return kc;
}

beforeAll(async () => {
  cp = await startControlPlane({ binDir: inject("controlPlane").binDir });
  const namespace = "outage";
  await createGrantedNamespace(adminOf(cp), namespace);
  bridge = await startBridge({ workerKubeconfig: join(cp.dir, "worker.kubeconfig"), namespace });
}, 120_000);

afterAll(async () => {
  await bridge?.close();
  await cp?.stop();
});

describe("API server outage", () => {
  it("returns the job to the queue while the API server is down and converges when it is back", async () => {
    // Prepare
    const manifest = (color: string) =>
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  color: ${color}\n`;
    await bridge.push({ "deploy/app.yaml": manifest("blue") });
    await bridge.drain();
    await cp.stopApiServer();

    // Act
    const push = await bridge.push({ "deploy/app.yaml": manifest("green") });
    const duringOutage = await bridge.pollOnce();
    await cp.startApiServer();
    await bridge.drain();

    // Assess
    expect(duringOutage).toMatchObject({ received: 1, succeeded: 0, failed: 1 });
    const core = adminOf(cp).makeApiClient(CoreV1Api);
    expect((await core.readNamespacedConfigMap({ namespace: "outage", name: "app" })).data).toEqual({
      color: "green",
    });
    const statuses = bridge.world.fake.statuses(push.sha).map((s) => s.state);
    expect(statuses.at(-1)).toBe("success");
    expect(statuses).not.toContain("failure");
  });

  it("ends the started deployment as error and records the retry's own deployment", async () => {
    // Prepare: once the deployment says `in_progress` (after the dry-run), the API server stops.
    let stopped = false;
    bridge.world.fake.beforeAnswer(DEPLOYMENT_STATUS_ROUTE, async (body) => {
      if (body.state !== "in_progress" || stopped) return;
      stopped = true;
      await cp.stopApiServer();
    });
    const push = await bridge.push({ "deploy/app.yaml": configMapYaml("app", { color: "red" }) });

    // Act
    const attempt = await bridge.pollOnce();
    await cp.startApiServer();
    await bridge.drain();

    // Assess
    expect(stopped).toBe(true);
    expect(attempt).toMatchObject({ received: 1, succeeded: 0, failed: 1 });
    const deployments = bridge.world.fake.deployments(push.sha);
    // `error`, not `failure`: the commit is fine; GitHub retires only successful deployments.
    expect(deployments.map((d) => d.statuses.map((s) => s.state))).toEqual([
      ["in_progress", "error"],
      ["in_progress", "success"],
    ]);
    expect(deployments[0]?.statuses[1]?.description).not.toMatch(/deploy\/app\.yaml/);
    const core = adminOf(cp).makeApiClient(CoreV1Api);
    const live = await core.readNamespacedConfigMap({ namespace: "outage", name: "app" });
    expect(live.data).toEqual({ color: "red" });
    expect(bridge.world.fake.statuses(push.sha).at(-1)?.state).toBe("success");
    expect(bridge.world.fake.violations).toEqual([]);
  });
});
