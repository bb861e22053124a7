/**
 * A Kustomize overlay target end to end: push → webhook → queue → worker renders the overlay
 * with its base (fetched through the watch path) → API server → commit status. A push that
 * changes only the base syncs the overlay's target; a push that changes only unrelated files
 * queues nothing and posts no status; a render failure is acknowledged (not retried) with the
 * renderer's message.
 */
import { CoreV1Api } from "@kubernetes/client-node";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Bridge, startBridge } from "../../support/bridge.ts";
import { kubeConfigFor } from "../../support/kube.ts";
import { rendererBinDir, testRenderer } from "../../support/renderer.ts";

const core = () => kubeConfigFor("admin").makeApiClient(CoreV1Api);

const BASE = {
  "deploy/base/kustomization.yaml": "resources:\n  - settings.yaml\n",
  "deploy/base/settings.yaml":
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  color: blue\n",
  "deploy/overlays/prod/kustomization.yaml":
    "resources:\n  - ../../base\nnamePrefix: prod-\nconfigMapGenerator:\n  - name: flags\n    literals:\n      - beta=false\n",
};

async function configMapNames(namespace: string): Promise<string[]> {
  const list = await core().listNamespacedConfigMap({ namespace });
  return list.items
    .map((cm) => cm.metadata?.name ?? "")
    .filter((n) => n.startsWith("prod-"))
    .sort();
}

let bridge: Bridge | undefined;
beforeAll(() => {
  rendererBinDir();
}, 1_200_000);
afterEach(async () => {
  await bridge?.close();
  bridge = undefined;
});

describe("a rendered (Kustomize) target, end to end", () => {
  it("syncs the overlay, then a change to only its base, and ignores unrelated pushes", async () => {
    // Prepare
    bridge = await startBridge({
      target: { path: "deploy/overlays/prod", watch: ["deploy/base"] },
      renderer: testRenderer(),
    });
    const { namespace } = bridge;
    const first = await bridge.push({ ...BASE, "docs/README.md": "docs\n" });
    await bridge.drain();

    // Act
    const baseChange = await bridge.push({
      "deploy/base/settings.yaml": BASE["deploy/base/settings.yaml"].replace("blue", "green"),
    });
    await bridge.drain();
    const unrelated = await bridge.push({
      "docs/README.md": "more docs\n",
      "other-app/cm.yaml": "kind: x\n",
    });
    await bridge.drain();

    // Assess
    expect(first.body).toMatchObject({ queued: ["web"] });
    expect(baseChange.body).toMatchObject({ queued: ["web"] });
    const settings = await core().readNamespacedConfigMap({ namespace, name: "prod-settings" });
    expect(settings.data).toEqual({ color: "green" });
    expect(await configMapNames(namespace)).toEqual([
      expect.stringMatching(/^prod-flags-[a-z0-9]{10}$/),
      "prod-settings",
    ]);
    expect(bridge.world.fake.statuses(baseChange.sha).map((s) => s.state)).toEqual(["pending", "success"]);
    expect(unrelated.status).toBe(202);
    expect(unrelated.body).toMatchObject({ queued: [] });
    expect(bridge.world.fake.statuses(unrelated.sha)).toEqual([]);
  });

  it("a render failure fails the commit with the renderer's message, is not retried and writes nothing", async () => {
    // Prepare
    bridge = await startBridge({
      target: { path: "deploy/overlays/prod", watch: ["deploy/base"] },
      renderer: testRenderer(),
    });
    const { namespace } = bridge;

    // Act
    const push = await bridge.push({
      ...BASE,
      "deploy/overlays/prod/kustomization.yaml":
        "resources:\n  - ../../base\n  - github.com/acme/infra//base?ref=v1\n",
    });
    const polls = await bridge.drain();

    // Assess
    const statuses = bridge.world.fake.statuses(push.sha);
    expect(statuses.map((s) => s.state)).toEqual(["pending", "failure"]);
    expect(statuses[1]?.description).toContain("remote resource");
    expect(polls.reduce((n, p) => n + p.failed, 0)).toBe(0);
    expect(await configMapNames(namespace)).toEqual([]);
  });

  it("a base outside the watch paths is reported as not fetched, with what to change", async () => {
    // Prepare
    bridge = await startBridge({ target: { path: "deploy/overlays/prod" }, renderer: testRenderer() });

    // Act
    const push = await bridge.push(BASE);
    await bridge.drain();

    // Assess
    const statuses = bridge.world.fake.statuses(push.sha);
    expect(statuses.map((s) => s.state)).toEqual(["pending", "failure"]);
    const runs = bridge.world.fake.checkRuns(push.sha);
    const text = JSON.stringify(runs) + JSON.stringify(statuses);
    expect(text).toContain("deploy/base");
  });
});
