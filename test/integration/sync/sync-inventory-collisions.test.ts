/**
 * No manifest may write an ApplySet parent: the target's own, another target's, or another tool's.
 * Each is refused in the plan, before any write, naming the file — against the real API server,
 * with resourceVersions proving nothing changed.
 */
import { describe, expect, it } from "vitest";
import { SyncRefusedError } from "../../../lib/errors.ts";
import type { KubeObject } from "../../../lib/manifests/kube-object.ts";
import { renderDesired } from "../../../lib/render/render-desired.ts";
import { ApplySetAnnotation, ApplySetLabel, computeApplySetId } from "../../../lib/sync/applyset-id.ts";
import { configMap, desired, secret } from "../../factories/sync.ts";
import { rendererBinDir, testRenderer } from "../../support/renderer.ts";
import {
  adminCluster,
  readAsAdmin,
  resourceVersions,
  runSync,
  workerCluster,
  workerNamespace,
} from "./sync-fixture.ts";

async function failure(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(outcome instanceof Error)) throw new Error("expected the sync to fail");
  return outcome;
}

const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

describe("a manifest that would overwrite an ApplySet parent is refused before any write", () => {
  it("the target's own parent, on its first sync: zero writes, the message names the file and line", async () => {
    // Prepare
    const { namespace, target } = await workerNamespace("ownfirst");
    const cluster = await workerCluster();
    const own = desired(
      secret(namespace, `pullbridge-${target.name}`, { token: "x" }),
      "apps/inventory.yaml",
    );
    const set = [desired(configMap(namespace, "a"), "apps/a.yaml"), own];

    // Act
    const error = await failure(runSync(cluster, target, set));

    // Assess
    expect(error).toBeInstanceOf(SyncRefusedError);
    expect(error.message).toBe(
      `Secret ${namespace}/pullbridge-${target.name} (apps/inventory.yaml:${own.source.line}:1): ` +
        `this is target ${target.name}'s own ApplySet parent, where pullbridge keeps the target's inventory; ` +
        "a manifest must not define it (rename the object)",
    );
    expect((error as SyncRefusedError).source?.file).toBe("apps/inventory.yaml");
    expect(cluster.requestCounts().writes).toBe(0);
    expect(await resourceVersions(namespace)).toEqual(new Map()); // not even the parent
  });

  it("the target's own parent, added later: refused with zero writes, and the target keeps syncing", async () => {
    // Prepare
    const { namespace, target } = await workerNamespace("ownlater");
    const cluster = await workerCluster();
    const base = [desired(configMap(namespace, "a"), "apps/a.yaml")];
    await runSync(cluster, target, base);
    const before = await resourceVersions(namespace);
    const writes = cluster.requestCounts().writes;
    const own = desired(
      secret(namespace, `pullbridge-${target.name}`, { token: "x" }),
      "apps/inventory.yaml",
    );

    // Act
    const error = await failure(runSync(cluster, target, [...base, own]));
    const after = await runSync(cluster, target, base);

    // Assess
    expect(error).toBeInstanceOf(SyncRefusedError);
    expect(error.message).toMatch(
      new RegExp(
        `^Secret ${escaped(namespace)}/pullbridge-${escaped(target.name)} \\(apps/inventory\\.yaml:${own.source.line}:1\\): this is target .*'s own ApplySet parent`,
      ),
    );
    expect(cluster.requestCounts().writes).toBe(writes);
    expect(await resourceVersions(namespace)).toEqual(before);
    expect(after.changed).toBe(false);
  });

  it("another target's parent in that target's namespace: refused before it exists, and when it does even with adopt", async () => {
    // Prepare: target b syncs namespace b; target a may also write to namespace b.
    const { namespace: nsB, target: b } = await workerNamespace("crossb");
    const { namespace: nsA, target: base } = await workerNamespace("crossa");
    const a = { ...base, adopt: true, policy: { ...base.policy, namespaces: [nsA, nsB] } };
    const cluster = await workerCluster();
    const takeover = desired(secret(nsB, `pullbridge-${b.name}`, { token: "x" }), "apps/takeover.yaml");
    const set = [desired(configMap(nsA, "a"), "apps/a.yaml"), takeover];

    // Act: b has never synced (nothing live), then b syncs and a tries again (a's targets file lists only a).
    const beforeB = await failure(runSync(cluster, a, set, { configuredTargets: [a, b] }));
    const untouched = await resourceVersions(nsB);
    await runSync(cluster, b, [desired(configMap(nsB, "b"), "b/b.yaml")]);
    const parentB = await readAsAdmin({
      apiVersion: "v1",
      kind: "Secret",
      namespace: nsB,
      name: `pullbridge-${b.name}`,
    });
    const writes = cluster.requestCounts().writes;
    const afterB = await failure(runSync(cluster, a, set, { configuredTargets: [a] }));
    const parentAfter = await readAsAdmin({
      apiVersion: "v1",
      kind: "Secret",
      namespace: nsB,
      name: `pullbridge-${b.name}`,
    });
    const bAgain = await runSync(cluster, b, [desired(configMap(nsB, "b"), "b/b.yaml")]);

    // Assess
    expect(beforeB).toBeInstanceOf(SyncRefusedError);
    expect(beforeB.message).toContain(
      `Secret ${nsB}/pullbridge-${b.name} (apps/takeover.yaml:${takeover.source.line}:1): this is the ApplySet parent of target ${b.name}`,
    );
    expect(untouched).toEqual(new Map());
    expect(await resourceVersions(nsA)).toEqual(new Map());
    expect(afterB).toBeInstanceOf(SyncRefusedError);
    expect(afterB.message).toContain(
      `Secret ${nsB}/pullbridge-${b.name} (apps/takeover.yaml:${takeover.source.line}:1): the live object is an ApplySet parent (${ApplySetLabel.id}=`,
    );
    expect(afterB.message).toContain("pullbridge never writes or adopts it");
    expect(cluster.requestCounts().writes).toBe(writes);
    expect(parentAfter?.metadata.resourceVersion).toBe(parentB?.metadata.resourceVersion);
    expect(bAgain.changed).toBe(false);
  });

  it("a Kustomize namePrefix that turns a Secret into the target's parent is refused, naming the base file", async () => {
    // Prepare: `secret.yaml` names no parent; the overlay's namePrefix makes it `pullbridge-<target>`.
    rendererBinDir();
    const { namespace, target: base } = await workerNamespace("kustprefix");
    const target = { ...base, path: "deploy", render: "kustomize" as const };
    const encode = (text: string) => new TextEncoder().encode(text);
    const files = new Map([
      ["deploy/kustomization.yaml", encode("namePrefix: pullbridge-\nresources:\n  - secret.yaml\n")],
      [
        "deploy/secret.yaml",
        encode(`apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${target.name}\nstringData:\n  token: x\n`),
      ],
    ]);
    const rendered = await renderDesired({ renderer: testRenderer() }, { files, target });
    const cluster = await workerCluster();

    // Act
    const error = await failure(runSync(cluster, target, rendered.desired));

    // Assess
    expect(error).toBeInstanceOf(SyncRefusedError);
    expect(error.message).toMatch(
      new RegExp(
        `^Secret ${escaped(namespace)}/pullbridge-${escaped(target.name)} \\(deploy/secret\\.yaml:\\d+:\\d+\\): this is target .*'s own ApplySet parent`,
      ),
    );
    expect(cluster.requestCounts().writes).toBe(0);
    expect(await resourceVersions(namespace)).toEqual(new Map());
  });

  it("another tool's ApplySet parent (a kubectl ConfigMap parent) is refused even with adopt: true", async () => {
    // Prepare
    const { namespace, target: base } = await workerNamespace("kubectlset");
    const target = { ...base, adopt: true };
    const admin = await adminCluster();
    const discovery = await admin.discover();
    const configMaps = discovery.resolve({ apiVersion: "v1", kind: "ConfigMap" });
    if (!configMaps) throw new Error("ConfigMaps not served");
    const parent: KubeObject = {
      ...configMap(namespace, "tools"),
      metadata: {
        name: "tools",
        namespace,
        labels: {
          [ApplySetLabel.id]: computeApplySetId({ name: "tools", namespace, kind: "ConfigMap", group: "" }),
        },
        annotations: {
          [ApplySetAnnotation.tooling]: "kubectl/v1.36.3",
          [ApplySetAnnotation.containsGroupKinds]: "Deployment.apps",
        },
      },
    };
    await admin.apply({ resource: configMaps, object: parent, force: false, dryRun: false });
    const before = await resourceVersions(namespace);
    const cluster = await workerCluster();
    const clash = desired(configMap(namespace, "tools", { settings: "mine" }), "apps/tools.yaml");

    // Act
    const error = await failure(runSync(cluster, target, [desired(configMap(namespace, "a")), clash]));

    // Assess
    expect(error).toBeInstanceOf(SyncRefusedError);
    expect(error.message).toContain(
      `ConfigMap ${namespace}/tools (apps/tools.yaml:${clash.source.line}:1): the live object is an ApplySet parent`,
    );
    expect(error.message).toContain(`${ApplySetAnnotation.tooling}: kubectl/v1.36.3`);
    expect(cluster.requestCounts().writes).toBe(0);
    expect(await resourceVersions(namespace)).toEqual(before);
  });
});
