/**
 * A failure after writes began is told truthfully on the commit: a ResourceQuota lets the first
 * of two new ConfigMaps in (dry-runs do not consume quota), and the report lists what was
 * written and what was not instead of "Nothing was changed in the cluster".
 */
import { CoreV1Api } from "@kubernetes/client-node";
import { afterEach, describe, expect, it } from "vitest";
import { configMapYaml } from "../../factories/manifest-text.ts";
import { type Bridge, startBridge } from "../../support/bridge.ts";
import { kubeConfigFor } from "../../support/kube.ts";

let bridge: Bridge | undefined;
afterEach(async () => {
  await bridge?.close();
  bridge = undefined;
});

describe("partial applies on the commit", () => {
  it("lists the written and the unwritten objects when the quota stops the second create", async () => {
    // Prepare
    bridge = await startBridge();
    // The quota admission plugin is the real one; without a controller-manager its first status
    // (hard, used = 0) is written here, after which admission keeps `used` current itself.
    const core = kubeConfigFor("admin").makeApiClient(CoreV1Api);
    const hard = { configmaps: "1" };
    const quota = await core.createNamespacedResourceQuota({
      namespace: bridge.namespace,
      body: { metadata: { name: "cm" }, spec: { hard } },
    });
    await core.replaceNamespacedResourceQuotaStatus({
      name: "cm",
      namespace: bridge.namespace,
      body: { ...quota, status: { hard, used: { configmaps: "0" } } },
    });

    // Act
    const push = await bridge.push({
      "deploy/a.yaml": configMapYaml("a", { n: "1" }),
      "deploy/b.yaml": configMapYaml("b", { n: "2" }),
    });
    await bridge.drain();

    // Assess
    const final = bridge.world.fake.statuses(push.sha).at(-1);
    expect(final?.state).toBe("failure");
    const [checkRun] = bridge.world.fake.checkRuns(push.sha);
    expect(checkRun?.summary).not.toContain("Nothing was changed");
    expect(checkRun?.summary).toMatch(/^The sync failed after writes began/);
    expect(checkRun?.summary).toContain("**Applied (1)**");
    expect(checkRun?.summary).toContain("**Not applied (1)**");
    expect(bridge.world.fake.violations).toEqual([]);
  });
});
