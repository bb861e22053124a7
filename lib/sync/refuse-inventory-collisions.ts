/**
 * No manifest may write an ApplySet parent: this target's own (`pullbridge-<target>` in its
 * namespace), another configured target's, or any live object that is the parent of some
 * ApplySet (kubectl's, another tool's — a Secret, a ConfigMap or a custom resource). Overwriting
 * one strips its identity: that set's objects are orphaned and its target is locked out
 * ("exists but is not an ApplySet parent"). Refused in the plan, before any write, naming the
 * file — even with `adopt: true`. Pure.
 */
import { applySetParentName, type Target } from "../config/targets.ts";
import { type SyncRefusal, SyncRefusedError } from "../errors.ts";
import { describeObject, type KubeObject, objectKey } from "../manifests/kube-object.ts";
import { applySetParentMarks } from "./applyset-parent.ts";
import type { PlannedObject } from "./compute-desired-set.ts";
import { sourceOf } from "./refusal-text.ts";

/** A target as far as its ApplySet parent goes: the Secret `pullbridge-<name>` (or its `inventoryName`) in its namespace. */
export type TargetRef = Pick<Target, "name" | "namespace" | "inventoryName">;

/** `/Secret/<namespace>/pullbridge-<name>` → the target it holds the inventory of. */
function parentKeys(targets: readonly TargetRef[]): Map<string, string> {
  const keys = new Map<string, string>();
  for (const t of targets) {
    const key = objectKey({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: applySetParentName(t), namespace: t.namespace },
    });
    if (!keys.has(key)) keys.set(key, t.name);
  }
  return keys;
}

/** Why writing `p` would overwrite an ApplySet parent, or undefined when it would not. */
function collision(options: {
  p: PlannedObject;
  live: KubeObject | undefined;
  target: TargetRef;
  reserved: ReadonlyMap<string, string>;
}): string | undefined {
  const { p, live, target, reserved } = options;
  const owner = reserved.get(p.key);
  if (owner !== undefined) {
    return owner === target.name
      ? `this is target ${target.name}'s own ApplySet parent, where pullbridge keeps the target's inventory; ` +
          "a manifest must not define it (rename the object)"
      : `this is the ApplySet parent of target ${owner}, where pullbridge keeps that target's inventory; ` +
          "a manifest must not define it (rename the object)";
  }
  const marks = live === undefined ? undefined : applySetParentMarks(live);
  if (marks === undefined) return undefined;
  return (
    `the live object is an ApplySet parent (${marks}); writing it would break that ApplySet's inventory, ` +
    "so pullbridge never writes or adopts it (rename the object)"
  );
}

/**
 * Throws SyncRefusedError naming every desired object that would overwrite an ApplySet parent.
 * `live` holds what the read phase found for each desired key (members and adoption candidates),
 * so the check costs no request; `targets` are every target the targets file configures.
 */
export function refuseInventoryCollisions(options: {
  planned: readonly PlannedObject[];
  live: ReadonlyMap<string, KubeObject | undefined>;
  target: TargetRef;
  targets: readonly TargetRef[];
}): void {
  const { planned, live, target } = options;
  // The target's own parent is reserved even when the caller passes no targets file.
  const reserved = parentKeys([target, ...options.targets]);
  const refusals: Array<SyncRefusal & { where: string }> = [];
  for (const p of planned) {
    const reason = collision({ p, live: live.get(p.key), target, reserved });
    if (reason === undefined) continue;
    const object = describeObject(p.object);
    refusals.push({ object, source: p.source, reason, by: "inventory", where: `${object} (${sourceOf(p)})` });
  }
  const first = refusals[0];
  if (first === undefined) return;
  const more = refusals.length > 1 ? ` (and ${refusals.length - 1} more)` : "";
  throw new SyncRefusedError(`${first.where}: ${first.reason}${more}`, {
    object: first.object,
    source: first.source,
    refusals: refusals.map(({ where: _where, ...refusal }) => refusal),
  });
}
