/**
 * Verified commits: a project (or the config repository) may require that what is synced (or
 * installed) is a commit GitHub marks verified. An unverified head is refused before any cluster
 * work, with GitHub's reason, on the commit; a verified one goes through.
 */
import { afterEach, describe, expect, it } from "vitest";
import { STORED_CONFIG_KEY } from "../../../lib/config/stored-config.ts";
import { configMapYaml } from "../../factories/manifest-text.ts";
import { type Bridge, startBridge } from "../../support/bridge.ts";
import { createTestNamespace, grantWorker } from "../../support/kube.ts";

let bridge: Bridge | undefined;
afterEach(async () => {
  await bridge?.close();
  bridge = undefined;
});

async function verifiedBridge(options: { project: boolean; config: boolean }): Promise<Bridge> {
  const namespace = await createTestNamespace("vc");
  await grantWorker(namespace);
  return await startBridge({
    namespace,
    configRepository: {
      projects: {
        apps: {
          repositories: ["acme/deploy"],
          clusters: ["test"],
          namespaces: [namespace],
          requireVerifiedCommits: options.project,
        },
      },
      requireVerifiedCommits: options.config,
    },
  });
}

const webTarget = (namespace: string) =>
  [
    "version: 1",
    "targets:",
    "  - name: web",
    "    project: apps",
    "    repo: acme/deploy",
    "    path: deploy",
    "    cluster: test",
    `    namespace: ${namespace}`,
    "",
  ].join("\n");

describe("verified commits", () => {
  it("refuses an unverified head before any cluster work, and syncs a verified one", async () => {
    // Prepare
    bridge = await verifiedBridge({ project: true, config: false });
    await bridge.platform?.push({ "pullbridge/web.yaml": webTarget(bridge.namespace) });
    await bridge.drain();

    // Act
    const unsigned = await bridge.push({ "deploy/app.yaml": configMapYaml("app", { color: "blue" }) });
    await bridge.drain();
    const requestsAfterRefusal = bridge.clusterRequests();
    const signed = await bridge.push({ "deploy/app.yaml": configMapYaml("app", { color: "green" }) });
    bridge.world.fake.setCommitVerification("acme/deploy", signed.sha, { verified: true, reason: "valid" });
    await bridge.drain();

    // Assess
    expect(
      bridge.world.fake
        .statuses(unsigned.sha)
        .filter((s) => s.context === "pullbridge/web")
        .map((s) => [s.state, s.description])
        .at(-1),
    ).toEqual([
      "failure",
      `commit ${unsigned.sha.slice(0, 7)} is not verified by GitHub (unsigned): project apps requires verified commits, so nothing was synced`,
    ]);
    expect(requestsAfterRefusal).toEqual({ reads: 0, writes: 0, dryRuns: 0, listPages: 0 });
    expect(
      bridge.world.fake
        .statuses(signed.sha)
        .filter((s) => s.context === "pullbridge/web")
        .at(-1)?.state,
    ).toBe("success");
    expect(bridge.world.fake.violations).toEqual([]);
  });

  it("installs only verified config commits when the config repository requires them", async () => {
    // Prepare
    bridge = await verifiedBridge({ project: false, config: true });
    const platform = bridge.platform;
    if (platform === undefined) throw new Error("no config repository");

    // Act
    const unsigned = await platform.push({ "pullbridge/web.yaml": webTarget(bridge.namespace) });
    await bridge.drain();
    const afterUnsigned = await bridge.stateStore?.get(STORED_CONFIG_KEY);
    const signed = await platform.push({ "pullbridge/web.yaml": `${webTarget(bridge.namespace)}# signed\n` });
    bridge.world.fake.setCommitVerification("acme/platform", signed.sha, { verified: true, reason: "valid" });
    await bridge.drain();

    // Assess
    expect(
      bridge.world.fake
        .statuses(unsigned.sha)
        .filter((s) => s.context === "pullbridge/config")
        .at(-1)?.description,
    ).toBe("config commit not verified by GitHub (unsigned): nothing installed");
    expect(afterUnsigned?.kind).toBe("missing");
    expect(
      bridge.world.fake
        .statuses(signed.sha)
        .filter((s) => s.context === "pullbridge/config")
        .at(-1)?.description,
    ).toBe("1 target: 1 added");
  });
});
