/** ApplySet identity and label/annotation names (KEP-3659, as kubectl implements it). */
import { createHash } from "node:crypto";

/** Labels pullbridge sets: `id` on the parent, `part-of` on every member. */
export const ApplySetLabel = {
  id: "applyset.kubernetes.io/id",
  partOf: "applyset.kubernetes.io/part-of",
} as const;

/** Standard ApplySet annotations on the parent. */
export const ApplySetAnnotation = {
  tooling: "applyset.kubernetes.io/tooling",
  containsGroupKinds: "applyset.kubernetes.io/contains-group-kinds",
  additionalNamespaces: "applyset.kubernetes.io/additional-namespaces",
} as const;

/**
 * pullbridge's own annotations. On the parent: the last sync that *wrote* (a no-op sync writes
 * nothing, not even these): its commit sha, time, counts, and a digest of the desired set it
 * applied — a later sync with the same digest that still finds changes has found drift.
 * On any member: `pullbridge.dev/prune: disabled` keeps the object when it leaves Git.
 */
export const PullbridgeAnnotation = {
  target: "pullbridge.dev/target",
  lastSyncSha: "pullbridge.dev/last-sync-sha",
  lastSyncTime: "pullbridge.dev/last-sync-time",
  lastSyncSummary: "pullbridge.dev/last-sync-summary",
  lastSyncDigest: "pullbridge.dev/last-sync-digest",
  prune: "pullbridge.dev/prune",
} as const;

/** The value of `pullbridge.dev/prune` that keeps an object when it leaves Git. */
export const PRUNE_DISABLED = "disabled";

/** The tooling name in `applyset.kubernetes.io/tooling: pullbridge/<version>`. */
export const TOOLING_NAME = "pullbridge";

/**
 * `applyset-` + base64url-no-pad(sha256(`<name>.<namespace>.<Kind>.<group>`)) + `-v1`.
 * The parent is a core Secret, so `group` is empty.
 */
export function computeApplySetId(parent: {
  name: string;
  namespace: string;
  kind: string;
  group: string;
}): string {
  const digest = createHash("sha256")
    .update(`${parent.name}.${parent.namespace}.${parent.kind}.${parent.group}`)
    .digest("base64url");
  return `applyset-${digest}-v1`;
}
