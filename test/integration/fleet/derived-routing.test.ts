/**
 * Derived routing end to end (issue 26): an overlay whose base lives outside its path, with no
 * `watch`, is synced when only the base changes — the webhook routes by what the target's last
 * render read (the state bucket's routing/, written by the worker) — and a push elsewhere reaches
 * no target. Real renderer helper, webhook, worker, fauxqs, moto, kube-apiserver, GitHub fake.
 */
import { CoreV1Api } from "@kubernetes/client-node";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { routingKey } from "../../../lib/routing/routing-store.ts";
import { configMapYaml } from "../../factories/manifest-text.ts";
import { type Bridge, startBridge } from "../../support/bridge.ts";
import { kubeConfigFor } from "../../support/kube.ts";
import { rendererBinDir, testRenderer } from "../../support/renderer.ts";

const FILES = {
  "apps/web/kustomization.yaml": "resources:\n  - ../../bases/web\nnamePrefix: prod-\n",
  "bases/web/kustomization.yaml": "resources:\n  - cm.yaml\n",
  "bases/web/cm.yaml": configMapYaml("settings", { color: "blue" }),
};

let bridge: Bridge | undefined;
beforeAll(() => {
  rendererBinDir();
}, 1_200_000);
afterEach(async () => {
  await bridge?.close();
  bridge = undefined;
});

describe("derived routing", () => {
  it("routes a change to an overlay's base elsewhere (no watch) and nothing for an unrelated path", async () => {
    // Prepare
    bridge = await startBridge({ fleet: true, renderer: testRenderer(), target: { path: "apps/web" } });
    await bridge.push(FILES);
    await bridge.drain();
    const store = bridge.fleet?.store;
    const routing = await store?.get(routingKey(bridge.config.targets[0]?.repo ?? "", "main"));
    const record =
      routing?.kind === "found"
        ? (JSON.parse(new TextDecoder().decode(routing.body)) as {
            targets: Record<string, { inputs: string[]; probed: Record<string, string> }>;
          })
        : undefined;

    // Act
    const baseChange = await bridge.push({
      "bases/web/cm.yaml": configMapYaml("settings", { color: "green" }),
    });
    await bridge.drain();
    const unrelated = await bridge.push({ "bases/api/cm.yaml": configMapYaml("api", { color: "red" }) });
    await bridge.drain();

    // Assess
    expect(record?.targets.web?.inputs).toEqual(expect.arrayContaining(["bases/web/cm.yaml"]));
    // The helper reports its existence checks too: a `Kustomization` added there would route.
    expect(record?.targets.web?.probed).toMatchObject({
      "apps/web/kustomization.yaml": "file",
      "apps/web/Kustomization": "absent",
    });
    expect(baseChange.body).toMatchObject({ queued: ["web"] });
    expect(unrelated.body).toMatchObject({ queued: [] });
    const cm = await kubeConfigFor("admin")
      .makeApiClient(CoreV1Api)
      .readNamespacedConfigMap({ namespace: bridge.namespace, name: "prod-settings" });
    expect(cm.data?.color).toBe("green");
  });
});
