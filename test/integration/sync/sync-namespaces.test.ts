import { CoreV1Api } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { SyncRefusedError } from "../../../lib/errors.ts";
import { ApplySetAnnotation } from "../../../lib/sync/applyset-id.ts";
import {
  aTarget,
  configMap,
  desired,
  interruptedAfterWrites,
  namespaceObject,
} from "../../factories/sync.ts";
import { kubeConfigFor, uniqueName } from "../../support/kube.ts";
import {
  ALL_VERBS,
  clusterWideIdentity,
  readAsAdmin,
  runSync,
  workerCluster,
  workerNamespace,
} from "./sync-fixture.ts";

/** A target whose namespace (home of its ApplySet parent) does not exist yet, and a second new namespace. */
async function emptyClusterTarget(options: { homeExists?: boolean } = {}) {
  const home = uniqueName("nshome");
  const other = uniqueName("nsother");
  // Only to check the prune guard on its own: the Namespace already exists and the target adopts it.
  if (options.homeExists)
    await kubeConfigFor("admin")
      .makeApiClient(CoreV1Api)
      .createNamespace({ body: { metadata: { name: home } } });
  // A namespace that does not exist cannot hold a RoleBinding: creating one needs cluster-wide rights.
  const cluster = await clusterWideIdentity("pullbridge-ns-owner", [
    { apiGroups: [""], resources: ["namespaces", "configmaps", "secrets"], verbs: ALL_VERBS },
  ]);
  const target = aTarget(home, {
    adopt: options.homeExists === true,
    policy: { clusterScoped: true, namespaces: [home, other] },
  });
  const set = [
    desired(namespaceObject(home), "manifests/namespace.yaml"),
    desired(configMap(home, "app"), "manifests/app.yaml"),
    desired(namespaceObject(other), "manifests/other.yaml"),
    desired(configMap(other, "side"), "manifests/other.yaml"),
  ];
  return { home, other, cluster, target, set };
}

describe("targets that contain their own Namespace", () => {
  it("syncs on an empty cluster: the parent's Namespace first, then the parent, then the rest", async () => {
    // Prepare
    const { home, cluster, target, set } = await emptyClusterTarget();

    // Act
    const planned = await runSync(cluster, target, set, { mode: "plan" });
    const applied = await runSync(cluster, target, set);
    const again = await runSync(cluster, target, set);

    // Assess
    expect(planned.counts.created).toBe(4);
    expect(applied.counts.created).toBe(4);
    expect(again.changed).toBe(false);
    const parent = await readAsAdmin({
      apiVersion: "v1",
      kind: "Secret",
      namespace: home,
      name: `pullbridge-${target.name}`,
    });
    expect(parent?.metadata.annotations?.[ApplySetAnnotation.containsGroupKinds]).toBe("ConfigMap,Namespace");
  });

  it("interrupted right after the parent's Namespace, the re-run finds it as a member and converges", async () => {
    // Prepare
    const { home, cluster, target, set } = await emptyClusterTarget();

    // Act
    const interrupted = await runSync(interruptedAfterWrites(cluster, 1), target, set).catch(
      (e: unknown) => e,
    );
    const namespaceMidway = await readAsAdmin({ apiVersion: "v1", kind: "Namespace", name: home });
    const rerun = await runSync(cluster, target, set);

    // Assess
    expect(interrupted).toBeInstanceOf(Error);
    expect(namespaceMidway?.metadata.name).toBe(home);
    expect(rerun.outcomes.find((o) => o.object === `Namespace ${home}`)?.outcome).toBe("unchanged");
    expect(rerun.counts).toMatchObject({ created: 3, unchanged: 1 });
  });

  it("refuses to prune a Namespace that holds desired objects or the inventory, in plan and apply, unless allowed", async () => {
    // Prepare
    const { home, other, cluster, target, set } = await emptyClusterTarget({ homeExists: true });
    await runSync(cluster, target, set);
    const withoutHome = set.filter((d) => d.object.metadata.name !== home || d.object.kind !== "Namespace");
    const withoutOther = set.filter((d) => d.object.metadata.name !== other || d.object.kind !== "Namespace");

    // Act
    const planHome = await runSync(cluster, target, withoutHome, { mode: "plan" }).catch((e: unknown) => e);
    const applyHome = await runSync(cluster, target, withoutHome).catch((e: unknown) => e);
    const applyOther = await runSync(cluster, target, withoutOther).catch((e: unknown) => e);
    const homeAfter = await readAsAdmin({ apiVersion: "v1", kind: "Namespace", name: home });
    const otherAfter = await readAsAdmin({ apiVersion: "v1", kind: "Namespace", name: other });
    const allowed = await runSync(cluster, { ...target, allowNamespacePrune: true }, withoutOther);

    // Assess
    for (const refused of [planHome, applyHome]) {
      expect(refused).toBeInstanceOf(SyncRefusedError);
      expect((refused as Error).message).toMatch(
        new RegExp(
          `^Namespace ${home} left Git and would be pruned, but it still holds 1 desired object\\(s\\) \\(e\\.g\\. ConfigMap ${home}/app, manifests/app\\.yaml:\\d+\\) and the target's inventory`,
        ),
      );
      expect((refused as Error).message).toContain("allowNamespacePrune: true");
    }
    expect(applyOther).toBeInstanceOf(SyncRefusedError);
    expect((applyOther as Error).message).toContain(
      `Namespace ${other} left Git and would be pruned, but it still holds 1 desired object(s)`,
    );
    expect((applyOther as Error).message).not.toContain("inventory");
    expect(homeAfter?.metadata.deletionTimestamp).toBeUndefined();
    expect(otherAfter?.metadata.deletionTimestamp).toBeUndefined();
    expect(allowed.outcomes.filter((o) => o.outcome === "pruned").map((o) => o.object)).toEqual([
      `Namespace ${other}`,
    ]);
  });
});

describe("objects being deleted", () => {
  it("an object with a deletionTimestamp (held by a finalizer) is never reported unchanged", async () => {
    // Prepare
    const { namespace, target } = await workerNamespace("terminating");
    const cluster = await workerCluster();
    const held = configMap(namespace, "held");
    held.metadata.finalizers = ["pullbridge.test/hold"];
    const set = [desired(held)];
    await runSync(cluster, target, set);
    const resource = (await cluster.discover()).resolve(held);
    if (!resource) throw new Error("ConfigMaps are not served");
    await cluster.delete({ resource, namespace, name: "held" });

    // Act
    const planned = await runSync(cluster, target, set, { mode: "plan" });

    // Assess
    const outcome = planned.outcomes.find((o) => o.object === `ConfigMap ${namespace}/held`);
    expect(outcome?.outcome).toBe("updated");
    expect(outcome?.reason).toMatch(
      /^\.metadata\.deletionTimestamp: being deleted \(since .+\); a later sync re-creates it once it is gone$/,
    );
    expect(planned.changed).toBe(true);
  });
});
