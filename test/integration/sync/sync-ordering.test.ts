import { describe, expect, it } from "vitest";
import { createClusterClient } from "../../../lib/cluster/adapters/kube-cluster-client.ts";
import { ApplySetAnnotation } from "../../../lib/sync/applyset-id.ts";
import { configMap, crd, desired, namespaceObject } from "../../factories/sync.ts";
import { kubeConfigFor, uniqueName } from "../../support/kube.ts";
import {
  ALL_VERBS,
  grantClusterWide,
  readAsAdmin,
  runSync,
  workerCluster,
  workerNamespace,
} from "./sync-fixture.ts";

describe("syncTarget ordering", () => {
  it("applies a CRD and its custom resource in one sync (Established, discovery refreshed, then the CR)", async () => {
    // Prepare
    const { namespace, target: base } = await workerNamespace("crd");
    const group = `${namespace}.pullbridge.test`;
    await grantClusterWide([
      { apiGroups: ["apiextensions.k8s.io"], resources: ["customresourcedefinitions"], verbs: ALL_VERBS },
      { apiGroups: [group], resources: ["*"], verbs: ALL_VERBS },
    ]);
    const target = { ...base, policy: { ...base.policy, clusterScoped: true } };
    const cluster = await workerCluster();
    const widget = {
      apiVersion: `${group}/v1`,
      kind: "Widget",
      metadata: { name: "blue" },
      spec: { size: 3, color: "blue" },
    };
    // The CR comes first in Git: ordering, not file order, must put the CRD first.
    const set = [
      desired(widget),
      desired(crd(group, "Widget", "widgets")),
      desired(configMap(namespace, "c")),
    ];

    // Act
    const result = await runSync(cluster, target, set);
    const again = await runSync(cluster, target, set);

    // Assess
    expect(result.counts).toEqual({ created: 3, updated: 0, unchanged: 0, pruned: 0, skipped: 0 });
    const live = await readAsAdmin({ apiVersion: `${group}/v1`, kind: "Widget", namespace, name: "blue" });
    expect(live?.spec).toEqual({ size: 3, color: "blue" });
    expect(again.changed).toBe(false);
    expect(again.requests.writes).toBe(0);
    const parent = await readAsAdmin({
      apiVersion: "v1",
      kind: "Secret",
      namespace,
      name: `pullbridge-${target.name}`,
    });
    expect(parent?.metadata.annotations?.[ApplySetAnnotation.containsGroupKinds]).toBe(
      `ConfigMap,CustomResourceDefinition.apiextensions.k8s.io,Widget.${group}`,
    );
  });

  it("plan mode reports a custom resource whose CRD is new as a create that cannot be validated yet", async () => {
    // Prepare
    const { namespace, target: base } = await workerNamespace("crdplan");
    const group = `${namespace}.pullbridge.test`;
    await grantClusterWide([
      { apiGroups: ["apiextensions.k8s.io"], resources: ["customresourcedefinitions"], verbs: ALL_VERBS },
      { apiGroups: [group], resources: ["*"], verbs: ALL_VERBS },
    ]);
    const target = { ...base, policy: { ...base.policy, clusterScoped: true } };
    const cluster = await workerCluster();
    const widget = { apiVersion: `${group}/v1`, kind: "Widget", metadata: { name: "x" }, spec: { size: 1 } };

    // Act
    const result = await runSync(
      cluster,
      target,
      [desired(crd(group, "Widget", "widgets")), desired(widget)],
      {
        mode: "plan",
      },
    );

    // Assess
    expect(result.requests.writes).toBe(0);
    expect(result.outcomes.map((o) => [o.groupKind, o.outcome, o.validated])).toEqual([
      ["CustomResourceDefinition.apiextensions.k8s.io", "created", true],
      [`Widget.${group}`, "created", false],
    ]);
  });

  it("creates a Namespace and the objects inside it in one sync, then prunes them in reverse order", async () => {
    // Prepare
    const { namespace, target: base } = await workerNamespace("nsparent");
    const fresh = uniqueName("nschild");
    // Objects in a namespace that does not exist yet need cluster-wide rights; granting those to the
    // shared worker identity would leak into other tests, so this sync impersonates its own identity.
    const user = uniqueName("pullbridge-ns-syncer");
    await grantClusterWide(
      [{ apiGroups: [""], resources: ["namespaces", "configmaps", "secrets"], verbs: ALL_VERBS }],
      user,
    );
    const target = {
      ...base,
      policy: { ...base.policy, clusterScoped: true, namespaces: [namespace, fresh] },
    };
    const cluster = await createClusterClient({ kubeConfig: kubeConfigFor("admin"), impersonate: { user } });
    const set = [desired(configMap(fresh, "inside")), desired(namespaceObject(fresh))];

    // Act
    const result = await runSync(cluster, target, set);
    const pruned = await runSync(cluster, target, [desired(configMap(namespace, "remaining"))]);

    // Assess
    expect(result.counts.created).toBe(2);
    expect(result.outcomes.every((o) => o.validated)).toBe(true);
    expect(pruned.outcomes.filter((o) => o.outcome === "pruned").map((o) => o.object)).toEqual([
      `ConfigMap ${fresh}/inside`,
      `Namespace ${fresh}`,
    ]);
    const parent = await readAsAdmin({
      apiVersion: "v1",
      kind: "Secret",
      namespace,
      name: `pullbridge-${target.name}`,
    });
    expect(parent?.metadata.annotations?.[ApplySetAnnotation.additionalNamespaces]).toBe("");
    expect(parent?.metadata.annotations?.[ApplySetAnnotation.containsGroupKinds]).toBe("ConfigMap");
  });
});
