import { describe, expect, it } from "vitest";
import { APPLY_ORDER, PRUNE_ORDER, Stage, stageOf } from "../../../lib/sync/order-stages.ts";
import { CLUSTER_ROLES, CONFIGMAPS, CRDS, DEPLOYMENTS, NAMESPACES } from "../../factories/sync.ts";

describe("apply ordering", () => {
  it("puts CRDs, then Namespaces, then other cluster-scoped kinds, then namespaced kinds", () => {
    // Prepare
    const resources = [DEPLOYMENTS, CONFIGMAPS, CLUSTER_ROLES, NAMESPACES, CRDS];

    // Act
    const stages = resources.map((r) => [r.kind, stageOf(r)]);

    // Assess
    expect(stages).toEqual([
      ["Deployment", Stage.namespaced],
      ["ConfigMap", Stage.namespaced],
      ["ClusterRole", Stage.clusterScoped],
      ["Namespace", Stage.namespaces],
      ["CustomResourceDefinition", Stage.crds],
    ]);
    expect(APPLY_ORDER).toEqual([Stage.crds, Stage.namespaces, Stage.clusterScoped, Stage.namespaced]);
  });

  it("prunes in the reverse order", () => {
    // Assess
    expect(PRUNE_ORDER).toEqual([Stage.namespaced, Stage.clusterScoped, Stage.namespaces, Stage.crds]);
  });
});
