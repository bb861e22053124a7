/**
 * The per-target policy a platform team sets: which kinds and namespaces a repository path
 * may write, and how large an object may be. Namespace defaulting and the cluster-scoped check
 * need discovery, so they belong to the sync engine; this only judges what is written.
 */
import type { Target } from "../config/targets.ts";
import type { KubeObject } from "./kube-object.ts";
import { groupKindOf, parseApiVersion } from "./kube-object.ts";
import type { ObjectIssue } from "./object-issue.ts";

/** The part of a target's policy that manifest loading enforces. */
export type ManifestPolicy = {
  /** Namespaces objects may name; `*` allows any. */
  namespaces: readonly string[];
  /** When set, only these kinds (`Kind` or `Kind.group`) are allowed. */
  kinds?: readonly string[] | undefined;
  /** Kinds (`Kind` or `Kind.group`) that are always refused. */
  deniedKinds: readonly string[];
  /** Largest single object, in UTF-8 bytes of its JSON form. */
  maxObjectBytes: number;
};

/** The manifest policy of a configured target (`policy.namespaces` defaults to the target's namespace). */
export function manifestPolicyOf(target: Pick<Target, "namespace" | "policy">): ManifestPolicy {
  return {
    namespaces: target.policy.namespaces ?? [target.namespace],
    kinds: target.policy.kinds,
    deniedKinds: target.policy.deniedKinds,
    maxObjectBytes: target.policy.maxObjectBytes,
  };
}

/**
 * `Kind` matches that kind in every group; `Kind.group` only in that group. Case-insensitive,
 * so a deny-list entry cannot be sidestepped by a spelling the API server would accept.
 */
export function kindMatches(entry: string, object: Pick<KubeObject, "apiVersion" | "kind">): boolean {
  const dot = entry.indexOf(".");
  const kind = object.kind.toLowerCase();
  if (dot === -1) return entry.toLowerCase() === kind;
  const { group } = parseApiVersion(object.apiVersion);
  return (
    entry.slice(0, dot).toLowerCase() === kind && entry.slice(dot + 1).toLowerCase() === group.toLowerCase()
  );
}

/** Every way `object` breaks `policy`; empty when it is allowed. */
export function checkPolicy(object: KubeObject, policy: ManifestPolicy): ObjectIssue[] {
  const issues: ObjectIssue[] = [];
  const groupKind = groupKindOf(object);

  const denied = policy.deniedKinds.find((entry) => kindMatches(entry, object));
  if (denied !== undefined) {
    issues.push({
      path: ["kind"],
      reason: `kind ${groupKind} is denied for this target (policy.deniedKinds: ${denied})`,
    });
  } else if (policy.kinds !== undefined && !policy.kinds.some((entry) => kindMatches(entry, object))) {
    issues.push({
      path: ["kind"],
      reason: `kind ${groupKind} is not allowed for this target (policy.kinds: ${policy.kinds.join(", ") || "none"})`,
    });
  }

  const anyNamespace = policy.namespaces.includes("*");
  const namespace = object.metadata.namespace;
  if (!anyNamespace && namespace !== undefined && !policy.namespaces.includes(namespace)) {
    issues.push({
      path: ["metadata", "namespace"],
      reason: `namespace "${namespace}" is not allowed for this target (allowed: ${policy.namespaces.join(", ")})`,
    });
  }
  // A target that may create a Namespace it may not write into could also prune one it does not own.
  if (!anyNamespace && isNamespaceObject(object) && !policy.namespaces.includes(object.metadata.name)) {
    issues.push({
      path: ["metadata", "name"],
      reason: `Namespace "${object.metadata.name}" is not one this target may use (allowed: ${policy.namespaces.join(", ")})`,
    });
  }

  const bytes = jsonByteLength(object);
  if (bytes > policy.maxObjectBytes) {
    issues.push({
      path: [],
      reason: `object is ${bytes} bytes as JSON, over this target's limit of ${policy.maxObjectBytes} (policy.maxObjectBytes)`,
    });
  }
  return issues;
}

/** UTF-8 size of the object's JSON form: what is sent to, and stored by, the API server. */
function jsonByteLength(object: unknown): number {
  return new TextEncoder().encode(JSON.stringify(object)).byteLength;
}

function isNamespaceObject(object: KubeObject): boolean {
  return object.kind === "Namespace" && parseApiVersion(object.apiVersion).group === "";
}
