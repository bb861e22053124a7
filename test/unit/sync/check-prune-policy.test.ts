import { describe, expect, it } from "vitest";
import { SyncRefusedError } from "../../../lib/errors.ts";
import { readApplySetParent } from "../../../lib/sync/applyset-parent.ts";
import {
  inventoryBeyondPolicy,
  refuseNamespacePrunes,
  refusePrunesBeyondPolicy,
} from "../../../lib/sync/check-prune-policy.ts";
import { computeDesiredSet } from "../../../lib/sync/compute-desired-set.ts";
import { Stage } from "../../../lib/sync/order-stages.ts";
import type { PruneEntry } from "../../../lib/sync/sync-state.ts";
import {
  aTarget,
  CLUSTER_ROLES,
  CONFIGMAPS,
  configMap,
  DEPLOYMENTS,
  desired,
  discoveryOf,
  NAMESPACES,
  namespaceObject,
} from "../../factories/sync.ts";

const NS = "team-a";
const discovery = discoveryOf([CONFIGMAPS, DEPLOYMENTS, NAMESPACES, CLUSTER_ROLES]);
const base = readApplySetParent({ parent: undefined, name: `pullbridge-${NS}`, namespace: NS });

function inventory(groupKinds: string[], additionalNamespaces: string[] = []) {
  return { ...base, groupKinds, additionalNamespaces, exists: true };
}

function prune(object: ReturnType<typeof configMap>, resource = CONFIGMAPS): PruneEntry {
  return {
    action: "prune",
    resource,
    live: object,
    stage: resource.namespaced ? Stage.namespaced : Stage.namespaces,
  };
}

describe("inventoryBeyondPolicy", () => {
  it("accepts a parent within the policy", () => {
    // Act
    const problems = inventoryBeyondPolicy({
      inventory: inventory(["ConfigMap", "Deployment.apps"]),
      target: aTarget(NS),
      discovery,
    });

    // Assess
    expect(problems).toEqual([]);
  });

  it("names every group-kind and namespace the policy does not allow", () => {
    // Prepare
    const target = aTarget(NS, {
      policy: { kinds: ["ConfigMap", "ClusterRole"], deniedKinds: ["configmap"] },
    });

    // Act
    const problems = inventoryBeyondPolicy({
      inventory: inventory(
        ["ClusterRole.rbac.authorization.k8s.io", "ConfigMap", "Deployment.apps"],
        ["other"],
      ),
      target,
      discovery,
    });

    // Assess
    expect(problems).toEqual([
      "cluster-scoped ClusterRole.rbac.authorization.k8s.io (policy.clusterScoped is false)",
      "ConfigMap (policy.deniedKinds)",
      "Deployment.apps (not in policy.kinds)",
      "namespace other (not in policy.namespaces)",
    ]);
  });

  it("allows any namespace with `*`, and cluster-scoped kinds when the policy does", () => {
    // Act
    const problems = inventoryBeyondPolicy({
      inventory: inventory(["ClusterRole.rbac.authorization.k8s.io"], ["anywhere"]),
      target: aTarget(NS, { policy: { namespaces: ["*"], clusterScoped: true } }),
      discovery,
    });

    // Assess
    expect(problems).toEqual([]);
  });
});

describe("refusePrunesBeyondPolicy", () => {
  it("refuses to prune a member outside the target's namespaces or scope", () => {
    // Prepare
    const target = aTarget(NS);

    // Act
    const outside = () => refusePrunesBeyondPolicy({ prunes: [prune(configMap("other", "x"))], target });
    const clusterScoped = () =>
      refusePrunesBeyondPolicy({
        prunes: [
          prune(
            { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name: "r" } },
            CLUSTER_ROLES,
          ),
        ],
        target,
      });
    const inside = () => refusePrunesBeyondPolicy({ prunes: [prune(configMap(NS, "x"))], target });

    // Assess
    expect(outside).toThrow(SyncRefusedError);
    expect(outside).toThrow(/^refusing to prune ConfigMap other\/x: namespace "other" is not allowed/);
    expect(clusterScoped).toThrow(/cluster-scoped objects are not allowed for this target/);
    expect(inside).not.toThrow();
  });
});

describe("refuseNamespacePrunes", () => {
  const target = aTarget(NS, { policy: { clusterScoped: true, namespaces: [NS, "side"] } });
  const planned = computeDesiredSet({
    desired: [desired(configMap("side", "kept"), "apps/side.yaml")],
    discovery,
    target,
    applySetId: base.id,
  });

  it("refuses a Namespace that holds desired objects, naming one and its file", () => {
    // Act
    const attempt = () =>
      refuseNamespacePrunes({
        prunes: [prune(namespaceObject("side"), NAMESPACES)],
        planned,
        target,
        targets: [target],
      });

    // Assess
    expect(attempt).toThrow(
      /^Namespace side left Git and would be pruned, but it still holds 1 desired object\(s\) \(e\.g\. ConfigMap side\/kept, apps\/side\.yaml:\d+\); deleting it would delete them too/,
    );
  });

  it("refuses the Namespace that holds the target's inventory, even when empty of desired objects", () => {
    // Act
    const attempt = () =>
      refuseNamespacePrunes({
        prunes: [prune(namespaceObject(NS), NAMESPACES)],
        planned: [],
        target,
        targets: [target],
      });

    // Assess
    expect(attempt).toThrow(/still holds the target's inventory \(its ApplySet parent Secret\)/);
  });

  it("lets an empty Namespace go, and any Namespace when the target allows it", () => {
    // Act
    const empty = () =>
      refuseNamespacePrunes({
        prunes: [prune(namespaceObject("gone"), NAMESPACES)],
        planned,
        target,
        targets: [target],
      });
    const allowed = () =>
      refuseNamespacePrunes({
        prunes: [prune(namespaceObject("side"), NAMESPACES)],
        planned,
        target: { ...target, allowNamespacePrune: true },
        targets: [target],
      });

    // Assess
    expect(empty).not.toThrow();
    expect(allowed).not.toThrow();
  });

  it("never prunes a Namespace that holds another configured target's inventory, even with allowNamespacePrune", () => {
    // Prepare
    const other = aTarget("gone", { name: "other" });

    // Act
    const attempt = () =>
      refuseNamespacePrunes({
        prunes: [prune(namespaceObject("gone"), NAMESPACES)],
        planned: [],
        target: { ...target, allowNamespacePrune: true },
        targets: [target, other],
      });

    // Assess
    expect(attempt).toThrow(
      /^Namespace gone left Git and would be pruned, but it holds the inventory of target\(s\) other \(their ApplySet parent Secrets\); pullbridge never deletes another target's inventory/,
    );
  });
});
