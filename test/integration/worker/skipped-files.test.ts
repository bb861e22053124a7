/**
 * Files under the target path that are not read are listed, never dropped silently: a file with
 * an unsupported extension appears in the status description's count and the check run summary.
 * (Symbolic links are followed or refused, never skipped: symlinked-sources.test.ts.)
 */
import { afterEach, describe, expect, it } from "vitest";
import { configMapYaml } from "../../factories/manifest-text.ts";
import { type Bridge, startBridge } from "../../support/bridge.ts";

let bridge: Bridge | undefined;
afterEach(async () => {
  await bridge?.close();
  bridge = undefined;
});

describe("skipped files", () => {
  it("counts them in the status and lists each with its reason in the check run", async () => {
    // Prepare
    bridge = await startBridge();

    // Act
    const push = await bridge.push({
      "deploy/app.yaml": configMapYaml("app", { color: "blue" }),
      "deploy/values.YAML": "replicas: 2\n",
      "deploy/notes.txt": "not a manifest\n",
    });
    await bridge.drain();

    // Assess
    const final = bridge.world.fake.statuses(push.sha).at(-1);
    expect(final).toMatchObject({
      state: "success",
      description: expect.stringMatching(/^1 created in .*; 2 files skipped$/),
    });
    const [checkRun] = bridge.world.fake.checkRuns(push.sha);
    expect(checkRun?.summary).toContain("### Skipped files (2)");
    expect(checkRun?.summary).toContain(
      "- `deploy/notes.txt`: not a manifest (only .yaml, .yml and .json files are read)",
    );
    expect(checkRun?.summary).toContain(
      "- `deploy/values.YAML`: not a manifest (only .yaml, .yml and .json files are read)",
    );
    expect(bridge.world.fake.violations).toEqual([]);
  });

  it("fails a target whose path holds no manifest, listing what it skipped, and writes nothing", async () => {
    // Prepare
    bridge = await startBridge();
    const writes = bridge.clusterRequests().writes;

    // Act
    const push = await bridge.push({
      "deploy/main.jsonnet": "{ apiVersion: 'v1', kind: 'ConfigMap' }\n",
      "deploy/app.libsonnet": "{}\n",
    });
    await bridge.drain();

    // Assess
    const statuses = bridge.world.fake.statuses(push.sha);
    expect(statuses.map((s) => s.state)).toEqual(["pending", "failure"]);
    const [checkRun] = bridge.world.fake.checkRuns(push.sha);
    expect(JSON.stringify(checkRun)).toContain(
      "no manifests in deploy; 2 files skipped: deploy/app.libsonnet (not a manifest (only .yaml, .yml and .json files are read)), deploy/main.jsonnet",
    );
    expect(bridge.clusterRequests().writes - writes).toBe(0);
    expect(bridge.world.fake.violations).toEqual([]);
  });
});
