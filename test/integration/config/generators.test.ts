/**
 * A `directories` generator, end to end: one target per matching directory of the app
 * repository; a push that adds a directory adds its target (the webhook routes it to a config
 * job), one that removes it removes the target — its objects left in place unless the template
 * says `pruneOnRemove: true` — and renaming the template keeps every target's inventory.
 */
import { CoreV1Api } from "@kubernetes/client-node";
import { afterEach, describe, expect, it } from "vitest";
import { readStoredConfig, STORED_CONFIG_KEY } from "../../../lib/config/stored-config.ts";
import { configMapYaml } from "../../factories/manifest-text.ts";
import { type Bridge, startBridge } from "../../support/bridge.ts";
import { createTestNamespace, grantWorker, kubeConfigFor } from "../../support/kube.ts";

const core = () => kubeConfigFor("admin").makeApiClient(CoreV1Api);

/** The ConfigMaps of the namespace: name → [resourceVersion, ApplySet part-of label]. */
async function configMaps(namespace: string): Promise<Record<string, [string, string]>> {
  const list = await core().listNamespacedConfigMap({ namespace });
  return Object.fromEntries(
    list.items
      .filter((cm) => cm.metadata?.name !== "kube-root-ca.crt")
      .map((cm) => [
        cm.metadata?.name ?? "",
        [cm.metadata?.resourceVersion ?? "", cm.metadata?.labels?.["applyset.kubernetes.io/part-of"] ?? ""],
      ]),
  );
}

function generator(namespace: string, options: { name?: string; pruneOnRemove?: boolean } = {}): string {
  return [
    "version: 1",
    "generators:",
    "  - name: apps",
    "    directories:",
    "      repo: acme/deploy",
    "      glob: apps/*",
    "    template:",
    `      name: "${options.name ?? "{{path.basename}}"}"`,
    "      project: apps",
    "      repo: acme/deploy",
    '      path: "{{path}}"',
    "      cluster: test",
    `      namespace: ${namespace}`,
    ...(options.pruneOnRemove ? ["      pruneOnRemove: true"] : []),
    "",
  ].join("\n");
}

let bridge: Bridge | undefined;
afterEach(async () => {
  await bridge?.close();
  bridge = undefined;
});

describe("a directories generator", () => {
  it("adds and removes targets with their directories, and keeps inventories through a rename", async () => {
    // Prepare
    const namespace = await createTestNamespace("gen");
    await grantWorker(namespace);
    bridge = await startBridge({
      namespace,
      configRepository: {
        projects: { apps: { repositories: ["acme/deploy"], clusters: ["test"], namespaces: [namespace] } },
      },
    });
    const platform = bridge.platform;
    if (platform === undefined) throw new Error("no config repository");
    const stored = async () => {
      const answer = await bridge?.stateStore?.get(STORED_CONFIG_KEY);
      return answer?.kind === "found" ? readStoredConfig(answer.body, STORED_CONFIG_KEY) : undefined;
    };
    const configLine = (sha: string) =>
      bridge?.world.fake
        .statuses(sha)
        .filter((s) => s.context === "pullbridge/config")
        .at(-1)?.description;
    await bridge.push({
      "apps/a/config.yaml": configMapYaml("a", { app: "a" }),
      "apps/b/config.yaml": configMapYaml("b", { app: "b" }),
    });

    // Act 1: the generator is installed; then a push adds a directory.
    const installed = await platform.push({ "pullbridge/apps.yaml": generator(namespace) });
    await bridge.drain();
    const installLine = configLine(installed.sha);
    const afterInstall = await configMaps(namespace);
    const added = await bridge.push({ "apps/c/config.yaml": configMapYaml("c", { app: "c" }) });
    await bridge.drain();

    // Assess 1
    expect(installLine).toBe("2 targets: 2 added");
    expect(configLine(installed.sha)).toBe("3 targets: 1 added");
    expect(Object.keys(afterInstall).sort()).toEqual(["a", "b"]);
    expect(added.body).toMatchObject({ queued: ["pullbridge:config"] });
    expect((await stored())?.targets.map((t) => t.name)).toEqual(["a", "b", "c"]);
    expect((await stored())?.targets[0]?.inventoryName).toMatch(/^pullbridge-apps-[0-9a-f]{10}$/);
    expect(Object.keys(await configMaps(namespace)).sort()).toEqual(["a", "b", "c"]);

    // Act 2: a push removes a directory (its target goes; its objects stay).
    const removed = await bridge.push({ "apps/b/config.yaml": null });
    await bridge.drain();

    // Assess 2
    expect(removed.body).toMatchObject({ queued: ["b", "pullbridge:config"] });
    expect((await stored())?.targets.map((t) => t.name)).toEqual(["a", "c"]);
    expect(Object.keys(await configMaps(namespace)).sort()).toEqual(["a", "b", "c"]);
    const checkRun = bridge.world.fake
      .checkRuns((await stored())?.sha)
      .filter((r) => r.name === "pullbridge / config")
      .at(-1);
    expect(checkRun?.summary).toContain("- b (test/");
    expect(checkRun?.summary).toContain("its objects are **left in place**");

    // Act 3: the name template changes: same generator and directories, so the same inventories.
    const before = await configMaps(namespace);
    const renamed = await platform.push({
      "pullbridge/apps.yaml": generator(namespace, { name: "app-{{path.basename}}", pruneOnRemove: true }),
    });
    await bridge.drain();

    // Assess 3
    expect(configLine(renamed.sha)).toBe("2 targets: 2 changed");
    expect((await stored())?.targets.map((t) => t.name)).toEqual(["app-a", "app-c"]);
    const [renameRun] = bridge.world.fake
      .checkRuns(renamed.sha)
      .filter((r) => r.name === "pullbridge / config");
    expect(renameRun?.summary).toContain("| renamed from a |");
    const after = await configMaps(namespace);
    expect(after.a).toEqual(before.a);
    expect(after.c).toEqual(before.c);

    // Act 4: with pruneOnRemove, removing a directory deletes what its target synced.
    await bridge.push({ "apps/c/config.yaml": null });
    await bridge.drain();

    // Assess 4
    expect(Object.keys(await configMaps(namespace)).sort()).toEqual(["a", "b"]);
    const removal = bridge.world.fake
      .statuses((await stored())?.sha)
      .filter((s) => s.context === "pullbridge/app-c")
      .map((s) => [s.state, s.description]);
    expect(removal).toEqual([["success", "removed: 1 object deleted"]]);
    expect(bridge.world.fake.violations).toEqual([]);
  });
});
