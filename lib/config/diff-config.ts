/**
 * What a new config changes against the one in force, target by target. Targets are matched by
 * identity — cluster, namespace and ApplySet parent (`inventoryName`, derived from generator and
 * source for generated targets) — not by name, so a renamed generated target is "changed" (its
 * inventory moves with it), never "removed" and "added" (which would orphan or prune its objects).
 * Pure.
 */
import { applySetParentName, type Target } from "./targets.ts";

export type ConfigChange = {
  added: Target[];
  /** Same identity, different definition (a rename included). */
  changed: { before: Target; after: Target }[];
  removed: Target[];
  unchanged: Target[];
};

/** A target's identity: what its inventory is. */
export function targetIdentity(t: Pick<Target, "cluster" | "namespace" | "name" | "inventoryName">): string {
  return `${t.cluster}/${t.namespace}/${applySetParentName(t)}`;
}

/** Stable JSON (sorted keys) for comparing definitions. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === "object" && v !== null && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

/** Compares the targets in force with the new ones. */
export function diffConfigs(before: readonly Target[], after: readonly Target[]): ConfigChange {
  const old = new Map(before.map((t) => [targetIdentity(t), t]));
  const change: ConfigChange = { added: [], changed: [], removed: [], unchanged: [] };
  for (const target of after) {
    const id = targetIdentity(target);
    const previous = old.get(id);
    old.delete(id);
    if (previous === undefined) change.added.push(target);
    else if (canonical(previous) === canonical(target)) change.unchanged.push(target);
    else change.changed.push({ before: previous, after: target });
  }
  change.removed.push(...old.values());
  return change;
}

/** "42 targets: 3 added, 1 changed, 1 removed" (the parts that are not zero). */
export function describeConfigChange(total: number, change: ConfigChange): string {
  const parts = [
    change.added.length > 0 ? `${change.added.length} added` : "",
    change.changed.length > 0 ? `${change.changed.length} changed` : "",
    change.removed.length > 0 ? `${change.removed.length} removed` : "",
  ].filter((p) => p !== "");
  const head = `${total} target${total === 1 ? "" : "s"}`;
  return parts.length === 0 ? `${head}: no changes` : `${head}: ${parts.join(", ")}`;
}
