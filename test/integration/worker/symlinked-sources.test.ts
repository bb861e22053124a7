/**
 * A symbolic link in a target never makes an object vanish: end to end (push → webhook → queue →
 * worker → real API server), a Helm template replaced by a link to a file inside the target is
 * rendered through the link (as `helm template` renders it) and its object stays; a link that
 * points out of the target's path and watch paths fails the commit naming the link, and nothing
 * is pruned. Plain targets follow the same rule.
 */
import { CoreV1Api } from "@kubernetes/client-node";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { configMapYaml } from "../../factories/manifest-text.ts";
import { type Bridge, startBridge } from "../../support/bridge.ts";
import { kubeConfigFor } from "../../support/kube.ts";
import { rendererBinDir, testRenderer } from "../../support/renderer.ts";

const core = () => kubeConfigFor("admin").makeApiClient(CoreV1Api);

const CHART = {
  "deploy/Chart.yaml": "apiVersion: v2\nname: app\nversion: 1.0.0\n",
  "deploy/templates/settings.yaml": configMapYaml("settings", { color: "blue" }),
  "deploy/templates/flags.yaml": configMapYaml("flags", { beta: "false" }),
};

async function configMaps(namespace: string): Promise<Map<string, { data: unknown; version: string }>> {
  const list = await core().listNamespacedConfigMap({ namespace });
  return new Map(
    list.items
      .filter((cm) => cm.metadata?.name !== "kube-root-ca.crt")
      .map((cm) => [cm.metadata?.name ?? "", { data: cm.data, version: cm.metadata?.resourceVersion ?? "" }]),
  );
}

let bridge: Bridge | undefined;
beforeAll(() => {
  rendererBinDir();
}, 1_200_000);
afterEach(async () => {
  await bridge?.close();
  bridge = undefined;
});

describe("symbolic links in a target", () => {
  it("a Helm template that becomes a link inside the chart is rendered through it, and its object is not pruned", async () => {
    // Prepare
    bridge = await startBridge({ target: { path: "deploy" }, renderer: testRenderer() });
    const { namespace } = bridge;
    await bridge.push(CHART);
    await bridge.drain();
    const before = await configMaps(namespace);

    // Act: the template moves to shared/ (with a change) and a link takes its place.
    await bridge.world.repo.write({ "deploy/templates/settings.yaml": null });
    await bridge.world.repo.symlink("deploy/templates/settings.yaml", "../shared/settings.yaml");
    const push = await bridge.push({
      "deploy/shared/settings.yaml": configMapYaml("settings", { color: "green" }),
    });
    await bridge.drain();

    // Assess
    expect([...before.keys()].sort()).toEqual(["flags", "settings"]);
    expect(bridge.world.fake.statuses(push.sha).map((s) => s.state)).toEqual(["pending", "success"]);
    const after = await configMaps(namespace);
    expect(after.get("settings")?.data).toEqual({ color: "green" });
    expect(after.get("flags")?.version).toBe(before.get("flags")?.version);
    expect(bridge.world.fake.violations).toEqual([]);
  });

  it("a link out of the target's path and watch paths fails the commit naming the link, and prunes nothing", async () => {
    // Prepare
    bridge = await startBridge({ target: { path: "deploy" }, renderer: testRenderer() });
    const { namespace } = bridge;
    await bridge.push(CHART);
    await bridge.drain();
    const before = await configMaps(namespace);

    // Act: the template is replaced by a link to a file elsewhere in the repository (not fetched).
    await bridge.world.repo.write({ "deploy/templates/settings.yaml": null });
    await bridge.world.repo.symlink("deploy/templates/settings.yaml", "../../shared/settings.yaml");
    const push = await bridge.push({
      "shared/settings.yaml": configMapYaml("settings", { color: "green" }),
      "deploy/templates/flags.yaml": configMapYaml("flags", { beta: "true" }),
    });
    const polls = await bridge.drain();

    // Assess
    const statuses = bridge.world.fake.statuses(push.sha);
    expect(statuses.map((s) => s.state)).toEqual(["pending", "failure"]);
    const reported = JSON.stringify(statuses) + JSON.stringify(bridge.world.fake.checkRuns(push.sha));
    expect(reported).toContain(
      "deploy/templates/settings.yaml: symbolic link to ../../shared/settings.yaml points to shared/settings.yaml, outside the target's path and watch paths (deploy)",
    );
    expect(polls.reduce((n, p) => n + p.failed, 0)).toBe(0);
    expect(await configMaps(namespace)).toEqual(before);
  });

  it("a plain target follows a link into its watch paths and refuses one to an absolute path", async () => {
    // Prepare
    bridge = await startBridge({ target: { path: "deploy", watch: ["shared"] } });
    const { namespace } = bridge;
    await bridge.world.repo.symlink("deploy/db.yaml", "../shared/db.yaml");

    // Act
    const followed = await bridge.push({ "shared/db.yaml": configMapYaml("db", { size: "1" }) });
    await bridge.drain();
    await bridge.world.repo.symlink("deploy/escape.yaml", "/etc/hostname");
    const refused = await bridge.push({ "deploy/app.yaml": configMapYaml("app", { color: "blue" }) });
    await bridge.drain();

    // Assess
    expect(bridge.world.fake.statuses(followed.sha).at(-1)?.state).toBe("success");
    expect((await configMaps(namespace)).get("db")?.data).toEqual({ size: "1" });
    expect(bridge.world.fake.statuses(refused.sha).at(-1)).toMatchObject({
      state: "failure",
      description: expect.stringContaining("deploy/escape.yaml: symbolic link to /etc/hostname"),
    });
    expect([...(await configMaps(namespace)).keys()]).toEqual(["db"]);
  });
});
