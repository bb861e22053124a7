/** Before/after objects for the diff renderer: server bookkeeping stripped. Pure. */
import type { KubeObject } from "../manifests/kube-object.ts";

const BOOKKEEPING = [
  "managedFields",
  "resourceVersion",
  "uid",
  "creationTimestamp",
  "generation",
  "selfLink",
] as const;

/** Drops fields that change on every write and say nothing about intent; `status` is the cluster's, not Git's. */
export function normaliseForDiff(object: KubeObject): KubeObject {
  const { status: _status, metadata, ...rest } = object;
  const cleaned = { ...metadata };
  for (const field of BOOKKEEPING) delete cleaned[field];
  return { ...rest, metadata: cleaned } as KubeObject;
}
