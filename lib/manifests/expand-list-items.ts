/**
 * `kind: List` (what `kubectl get -o yaml` writes) and typed lists such as `ConfigMapList`
 * hold objects in `items`; each item is synced as an object of its own.
 */
import type { ValuePath } from "./locate-yaml-node.ts";
import type { ObjectIssue } from "./object-issue.ts";
import { describeType, isRecord } from "./validate-object.ts";

/** A value that should be a Kubernetes object, and where in its document it sits. */
export type ObjectCandidate = { value: unknown; path: ValuePath };

/** Flattens lists (nested ones too) into their items; anything else is a candidate as is. */
export function expandListItems(
  value: unknown,
  path: ValuePath = [],
): { candidates: ObjectCandidate[]; issues: ObjectIssue[] } {
  const candidates: ObjectCandidate[] = [];
  const issues: ObjectIssue[] = [];
  const visit = (current: unknown, at: ValuePath): void => {
    if (!isListObject(current)) {
      candidates.push({ value: current, path: at });
      return;
    }
    const { items } = current;
    if (items === undefined || items === null) return;
    if (!Array.isArray(items)) {
      issues.push({
        path: [...at, "items"],
        reason: `items of a ${String(current.kind)} must be a sequence, found ${describeType(items)}`,
      });
      return;
    }
    items.forEach((item, i) => {
      if (isRecord(item)) visit(item, [...at, "items", i]);
      else
        issues.push({
          path: [...at, "items", i],
          reason: `items[${i}] must be a Kubernetes object (a mapping), found ${describeType(item)}`,
        });
    });
  };
  visit(value, path);
  return { candidates, issues };
}

/**
 * `List` always; `<Kind>List` only when `items` is a sequence of mappings, so a custom
 * resource whose kind merely ends in "List" (say `AllowList`) stays an object.
 */
function isListObject(value: unknown): value is Record<string, unknown> & { kind: string } {
  if (!isRecord(value) || typeof value.kind !== "string" || !value.kind.endsWith("List")) return false;
  if (value.kind === "List") return true;
  return Array.isArray(value.items) && value.items.every(isRecord) && !isRecord(value.spec);
}
