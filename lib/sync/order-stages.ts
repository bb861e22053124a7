/** Apply order: CRDs, Namespaces, other cluster-scoped kinds, namespaced kinds; prune in reverse. Pure. */
import type { ApiResource } from "../cluster/cluster-port.ts";

export const Stage = {
  crds: "crds",
  namespaces: "namespaces",
  clusterScoped: "cluster-scoped",
  namespaced: "namespaced",
} as const;
export type Stage = (typeof Stage)[keyof typeof Stage];

/** Stages in apply order. */
export const APPLY_ORDER: readonly Stage[] = [
  Stage.crds,
  Stage.namespaces,
  Stage.clusterScoped,
  Stage.namespaced,
];

/** Stages in prune order (reverse of apply: members before the namespaces and CRDs that hold them). */
export const PRUNE_ORDER: readonly Stage[] = [...APPLY_ORDER].reverse();

/** The stage an object of this resource is applied in. */
export function stageOf(resource: Pick<ApiResource, "group" | "kind" | "namespaced">): Stage {
  if (resource.group === "apiextensions.k8s.io" && resource.kind === "CustomResourceDefinition")
    return Stage.crds;
  if (resource.group === "" && resource.kind === "Namespace") return Stage.namespaces;
  return resource.namespaced ? Stage.namespaced : Stage.clusterScoped;
}
