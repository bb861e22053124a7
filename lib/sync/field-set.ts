/**
 * Server-side apply's field sets (managedFields `fieldsV1`) and the JSON helpers that walk them,
 * shared by the managed-fields comparison and live-object compaction. Pure.
 */

/** A decoded `fieldsV1`: `f:<name>`, `k:<json>`, `v:<json>`, `i:<n>` children; `.` the node itself. */
export type FieldSet = { [key: string]: FieldSet };

/** One `metadata.managedFields` entry, as the API server writes it. */
export type ManagedFieldsEntry = {
  manager?: string;
  operation?: string;
  apiVersion?: string;
  fieldsType?: string;
  fieldsV1?: FieldSet;
  subresource?: string;
  time?: string;
};

/** A JSON object (not an array, not null). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The child paths of a field-set node (without `.`, the node itself). */
export function childKeys(fields: FieldSet): string[] {
  return Object.keys(fields).filter((k) => k !== ".");
}

/** Structural equality of JSON values (key order does not matter, list order does). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => jsonEqual(item, b[i]));
  }
  if (isPlainObject(a)) {
    if (!isPlainObject(b)) return false;
    const ak = Object.keys(a);
    if (ak.length !== Object.keys(b).length) return false;
    return ak.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}
