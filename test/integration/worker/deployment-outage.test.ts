/**
 * A retryable failure after the deployment started: the API server goes away between the
 * whole-set dry-run and the first write. The started deployment ends `error` (pullbridge could not
 * finish it, the commit is not broken), the job returns to the queue, and its retry records a
 * deployment of its own that succeeds. Own control plane, so stopping it disturbs no other test.
 */
import { join } from "node:path";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { configMapYaml } from "../../factories/manifest-text.ts";
import { type Bridge, startBridge } from "../../support/bridge.ts";
import { type ControlPlane, startControlPlane } from "../../support/control-plane/control-plane.ts";
import { createGrantedNamespace } from "../../support/kube.ts";

const IN_PROGRESS_ROUTE = "POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses";

let cp: ControlPlane;
let bridge: Bridge;

function adminOf(plane: ControlPlane): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(join(plane.dir, "admin.kubeconfig"));
  return kc;
}

beforeAll(async () => {
  cp = await startControlPlane({ binDir: inject("controlPlane").binDir });
  const namespace = "deployment-outage";
  await createGrantedNamespace(adminOf(cp), namespace);
  bridge = await startBridge({ workerKubeconfig: join(cp.dir, "worker.kubeconfig"), namespace });
}, 120_000);

afterAll(async () => {
  await bridge?.close();
  await cp?.stop();
});

describe("GitHub deployments when the cluster fails mid-sync", () => {
  it("ends the started deployment as error and records the retry's own deployment", async () => {
    // Prepare: once the deployment says `in_progress` (after the dry-run), the API server stops.
    let stopped = false;
    bridge.world.fake.beforeAnswer(IN_PROGRESS_ROUTE, async (body) => {
      if (body.state !== "in_progress" || stopped) return;
      stopped = true;
      await cp.stopApiServer();
    });
    const push = await bridge.push({ "deploy/app.yaml": configMapYaml("app", { color: "blue" }) });

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
    const live = await core.readNamespacedConfigMap({ namespace: "deployment-outage", name: "app" });
    expect(live.data).toEqual({ color: "blue" });
    expect(bridge.world.fake.statuses(push.sha).at(-1)?.state).toBe("success");
    expect(bridge.world.fake.violations).toEqual([]);
  });
});
