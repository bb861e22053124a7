/**
 * The API server goes away in the middle of a batch: the job must go back to the queue (not be
 * acknowledged as failed), and the cluster must converge once the API server is back. Uses its
 * own control plane, so stopping it does not disturb the other tests.
 */
import { join } from "node:path";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type Bridge, startBridge } from "../../support/bridge.ts";
import { type ControlPlane, startControlPlane } from "../../support/control-plane/control-plane.ts";
import { createGrantedNamespace } from "../../support/kube.ts";

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
});
