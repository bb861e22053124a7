import { describe, expect, it } from "vitest";
import { APPLY_ORDER, groupByStage, PRUNE_ORDER, Stage, stageOf } from "../../../lib/sync/order-stages.ts";
import { CLUSTER_ROLES, CONFIGMAPS, CRDS, DEPLOYMENTS, NAMESPACES } from "../../factories/sync.ts";

describe("apply ordering", () => {
  it("puts CRDs, then Namespaces, then other cluster-scoped kinds, then namespaced kinds", () => {
    // Prepare
    const resources = [DEPLOYMENTS, CONFIGMAPS, CLUSTER_ROLES, NAMESPACES, CRDS];

    // Act
    const stages = groupByStage(resources, stageOf);

    // Assess
    expect(stages.map((s) => [s.stage, s.items.map((r) => r.kind)])).toEqual([
      [Stage.crds, ["CustomResourceDefinition"]],
      [Stage.namespaces, ["Namespace"]],
      [Stage.clusterScoped, ["ClusterRole"]],
      [Stage.namespaced, ["Deployment", "ConfigMap"]],
    ]);
  });

  it("prunes in the reverse order", () => {
    // Prepare / Act
    const stages = groupByStage([NAMESPACES, CONFIGMAPS, CRDS], stageOf, PRUNE_ORDER);

    // Assess
    expect(stages.map((s) => s.stage)).toEqual([Stage.namespaced, Stage.namespaces, Stage.crds]);
    expect(PRUNE_ORDER).toEqual([...APPLY_ORDER].reverse());
  });
});
