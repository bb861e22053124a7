/**
 * Recovering a damaged inventory (docs/concepts/sync-and-prune.md): a parent overwritten (labels stripped, data written,
 * labelled part-of its own set — what a manifest named `pullbridge-<target>` used to do) or
 * deleted while members remain. Syncs refuse the damaged parent; `repairInventory` (`pullbridge
 * inventory repair`) rebuilds it from the members' part-of labels, and the next sync converges:
 * it adopts what is still in Git and prunes what left it. Against the real API server.
 */
import { describe, expect, it } from "vitest";
import { repairInventory } from "../../../lib/app/repair-inventory-command.ts";
import { SyncRefusedError } from "../../../lib/errors.ts";
import type { KubeObject } from "../../../lib/manifests/kube-object.ts";
import { ApplySetAnnotation, ApplySetLabel, computeApplySetId } from "../../../lib/sync/applyset-id.ts";
import { PULLBRIDGE_VERSION } from "../../../lib/sync/tooling-version.ts";
import { configMap, desired, SECRETS, secret, service } from "../../factories/sync.ts";
import { createTestNamespace, grantWorker } from "../../support/kube.ts";
import {
  adminCluster,
  readAsAdmin,
  runSync,
  untilWorkerCanList,
  workerCluster,
  workerNamespace,
} from "./sync-fixture.ts";

async function failure(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(outcome instanceof Error)) throw new Error("expected a failure");
  return outcome;
}

/** Reads a target's parent Secret as admin. */
async function parentOf(namespace: string, targetName: string): Promise<KubeObject | undefined> {
  return await readAsAdmin({ apiVersion: "v1", kind: "Secret", namespace, name: `pullbridge-${targetName}` });
}

/** Runs the repair as an operator does: with the admin kubeconfig. */
async function repair(target: Parameters<typeof repairInventory>[1]["target"], dryRun = false) {
  return await repairInventory(
    { cluster: await adminCluster(), toolingVersion: PULLBRIDGE_VERSION },
    { target, dryRun },
  );
}

describe("recovering a damaged inventory", () => {
  it("a parent overwritten as a member of its own set locks the target out; the repair restores it and the next sync converges", async () => {
    // Prepare: a target over two namespaces, synced once.
    const { namespace, target: base } = await workerNamespace("repair");
    const other = await createTestNamespace("repair2");
    await grantWorker(other);
    await untilWorkerCanList(other);
    // Kinds bounded by the policy, so what the repair lists does not depend on other tests' CRDs.
    const target = {
      ...base,
      policy: { ...base.policy, namespaces: [namespace, other], kinds: ["ConfigMap", "Service", "Secret"] },
    };
    const cluster = await workerCluster();
    const kept = desired(configMap(namespace, "kept"), "apps/kept.yaml");
    await runSync(cluster, target, [
      kept,
      desired(configMap(namespace, "gone"), "apps/gone.yaml"),
      desired(service(namespace, "web"), "apps/web.yaml"),
      desired(configMap(other, "elsewhere"), "apps/elsewhere.yaml"),
    ]);
    const id = computeApplySetId({ name: `pullbridge-${target.name}`, namespace, kind: "Secret", group: "" });
    // The damage, as the old engine did it: the parent applied as a member, by pullbridge's own
    // field manager, which drops the parent's id label and annotations.
    await cluster.apply({
      resource: SECRETS,
      object: {
        ...secret(namespace, `pullbridge-${target.name}`, { token: "x" }),
        metadata: {
          name: `pullbridge-${target.name}`,
          namespace,
          labels: { [ApplySetLabel.partOf]: id },
        },
      },
      force: true,
      dryRun: false,
    });
    const damaged = await parentOf(namespace, target.name);

    // Act
    const lockedOut = await failure(runSync(cluster, target, [kept]));
    const preview = await repair(target, true);
    const afterPreview = await parentOf(namespace, target.name);
    const repaired = await repair(target);
    const parent = await parentOf(namespace, target.name);
    const synced = await runSync(cluster, target, [kept]);
    const again = await repair(target);

    // Assess
    expect(damaged?.metadata.labels).toEqual({ [ApplySetLabel.partOf]: id });
    expect(lockedOut).toBeInstanceOf(SyncRefusedError);
    expect(lockedOut.message).toContain("exists but is not an ApplySet parent");
    expect(lockedOut.message).toContain("pullbridge inventory repair");
    expect(preview).toMatchObject({ state: "damaged", action: "would-write" });
    expect(afterPreview?.metadata.resourceVersion).toBe(damaged?.metadata.resourceVersion);
    expect(repaired).toMatchObject({
      applySetId: id,
      state: "damaged",
      action: "written",
      members: { count: 4, groupKinds: ["ConfigMap", "Service"], namespaces: [namespace, other].sort() },
      unreadable: [],
    });
    // The data the damaging write left (from `stringData`, owned as such) is named, never silently kept.
    expect(repaired.notes).toEqual([
      `the parent still holds data (token) written before the repair; pullbridge ignores it. Remove it: ` +
        `kubectl -n ${namespace} patch secret pullbridge-${target.name} --type=json -p '[{"op":"remove","path":"/data"}]'`,
    ]);
    expect(repaired.problems).toEqual([
      `exists but is not an ApplySet parent (no ${ApplySetLabel.id} label)`,
      `is labelled ${ApplySetLabel.partOf}=${id}, as if it were a member of a set`,
    ]);
    expect(parent?.metadata.labels).toEqual({ [ApplySetLabel.id]: id });
    expect(parent?.metadata.annotations).toMatchObject({
      [ApplySetAnnotation.tooling]: `pullbridge/${PULLBRIDGE_VERSION}`,
      [ApplySetAnnotation.containsGroupKinds]: "ConfigMap,Service",
      [ApplySetAnnotation.additionalNamespaces]: other,
    });
    expect(synced.counts).toMatchObject({ created: 0, unchanged: 1, pruned: 3 });
    expect(
      await readAsAdmin({ apiVersion: "v1", kind: "ConfigMap", namespace: other, name: "elsewhere" }),
    ).toBeUndefined();
    expect(await readAsAdmin({ apiVersion: "v1", kind: "Service", namespace, name: "web" })).toBeUndefined();
    expect(again).toMatchObject({ state: "sound", action: "none", problems: [] });
  });

  it("a parent deleted while members remain: the repair lists them, so the next sync prunes what left Git", async () => {
    // Prepare
    const { namespace, target } = await workerNamespace("deleted");
    const cluster = await workerCluster();
    const kept = desired(configMap(namespace, "kept"));
    await runSync(cluster, target, [kept, desired(service(namespace, "web"))]);
    const admin = await adminCluster();
    await admin.delete({ resource: SECRETS, namespace, name: `pullbridge-${target.name}` });

    // Act
    const repaired = await repair(target);
    const synced = await runSync(cluster, target, [kept]);

    // Assess
    expect(repaired).toMatchObject({
      state: "missing",
      action: "written",
      members: { count: 2, groupKinds: ["ConfigMap", "Service"], namespaces: [namespace] },
    });
    // Without the repair the re-created parent would list only ConfigMaps: the Service would stay, orphaned.
    expect(synced.counts).toMatchObject({ unchanged: 1, pruned: 1 });
    expect(await readAsAdmin({ apiVersion: "v1", kind: "Service", namespace, name: "web" })).toBeUndefined();
  });

  it("never takes over another tool's ApplySet parent at the target's parent name", async () => {
    // Prepare
    const { namespace, target } = await workerNamespace("foreign");
    const admin = await adminCluster();
    const name = `pullbridge-${target.name}`;
    await admin.applyApplySetParent({
      parent: {
        apiVersion: "v1",
        kind: "Secret",
        metadata: {
          name,
          namespace,
          labels: { [ApplySetLabel.id]: computeApplySetId({ name, namespace, kind: "Secret", group: "" }) },
          annotations: { [ApplySetAnnotation.tooling]: "kubectl/v1.36.3" },
        },
      },
    });
    const before = await parentOf(namespace, target.name);

    // Act
    const error = await failure(repair(target));

    // Assess
    expect(error).toBeInstanceOf(SyncRefusedError);
    expect(error.message).toBe(
      `Secret ${namespace}/${name} is managed by other tooling (${ApplySetAnnotation.tooling}: kubectl/v1.36.3): ` +
        "it is another tool's ApplySet parent, which pullbridge never takes over; " +
        `remove that ApplySet first, or give target ${target.name} another name`,
    );
    expect((await parentOf(namespace, target.name))?.metadata.resourceVersion).toBe(
      before?.metadata.resourceVersion,
    );
  });
});
