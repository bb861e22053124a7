/**
 * Tells an imperative edit (taken back) from a real conflict when a dry-run apply reports
 * field-manager conflicts. Pure.
 *
 * When someone changes a field pullbridge applied with an imperative write (`kubectl edit`,
 * `kubectl patch`, `kubectl scale`, a client's PATCH/PUT — managedFields operation `Update`),
 * the API server moves the field to that manager, and pullbridge's next apply conflicts with it.
 * That is drift of those fields, and GitOps takes them back (server-side apply `force` on that
 * object only: `Change.reclaimFields`).
 * A conflict with another *applier* (operation `Apply`: Helm, another GitOps tool, a second
 * target) is a real ownership dispute and stays a refusal unless the target sets forceConflicts.
 */
import type { ClusterErrorCause } from "../errors.ts";
import type { KubeObject } from "../manifests/kube-object.ts";

const MANAGER_IN_MESSAGE = /conflict with "([^"]+)"/;

/** One conflicting field and the manager that owns it, from a 409's causes. */
export type FieldConflict = { manager: string; field: string | undefined };

/** The conflicts named in a server-side apply 409 (`conflict with "kubectl" using v1` on `.data.a`). */
export function conflictsFromCauses(causes: readonly ClusterErrorCause[]): FieldConflict[] {
  return causes.flatMap((cause) => {
    const manager = MANAGER_IN_MESSAGE.exec(cause.message)?.[1];
    return manager ? [{ manager, field: cause.field }] : [];
  });
}

/**
 * The conflicts, when every conflicting manager only ever wrote the live object imperatively
 * (edits pullbridge may take back); undefined when any of them is an applier, or unknown.
 */
export function imperativeConflicts(options: {
  causes: readonly ClusterErrorCause[];
  live: KubeObject;
}): FieldConflict[] | undefined {
  const conflicts = conflictsFromCauses(options.causes);
  if (conflicts.length === 0) return undefined;
  const entries = (options.live.metadata.managedFields ?? []) as Array<{
    manager?: string;
    operation?: string;
  }>;
  for (const manager of new Set(conflicts.map((c) => c.manager))) {
    const theirs = entries.filter((e) => e.manager === manager);
    if (theirs.length === 0 || theirs.some((e) => e.operation !== "Update")) return undefined;
  }
  return conflicts;
}

/** `.data.color changed by "kubectl-edit"` — for the outcome's reason. */
export function describeImperativeEdits(conflicts: readonly FieldConflict[]): string {
  const byManager = new Map<string, string[]>();
  for (const c of conflicts)
    byManager.set(c.manager, [...(byManager.get(c.manager) ?? []), c.field ?? "(a field)"]);
  return [...byManager].map(([manager, fields]) => `${fields.join(", ")} changed by "${manager}"`).join("; ");
}
