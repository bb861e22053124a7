/**
 * Shrinks a live object, as soon as it is read, to what a sync reads from it — so memory follows
 * the fields pullbridge manages, not the weight of what the cluster adds (status, defaulted
 * fields, other managers' field sets, `last-applied-configuration` copies, huge CRD schemas
 * owned by someone else). Pure.
 *
 * Kept, because the sync reads it:
 * - identity (`apiVersion`, `kind`, name, namespace, uid, resourceVersion, generation), labels,
 *   annotations (except a `kubectl.kubernetes.io/last-applied-configuration` we neither manage
 *   nor apply), ownerReferences, finalizers, deletionTimestamp — plan, prune guards, prune preconditions;
 * - every managedFields entry's manager, operation, subresource and apiVersion (conflict
 *   triage tells an imperative writer from an applier by them), and our manager's `Apply` entries
 *   whole (the managed-fields comparison decodes their fieldsV1);
 * - the live value at every path our entries manage — keyed list items by their merge keys,
 *   other lists and atomic fields whole — which is what the comparison and the diff's "before" read;
 * - the live value at every path the desired object sets that our entry does not (yet) manage,
 *   so an adoption's or a new field's diff shows what the cluster has there;
 * - a Secret's `data` and `type` (the comparison decodes `data` for `stringData`).
 *
 * Compacting two objects with the same manager and desired object keeps equal objects equal, so
 * a dry-run answer compacted the same way compares with the compacted live object as before.
 */
import type { KubeObject } from "../manifests/kube-object.ts";
import { childKeys, type FieldSet, isPlainObject, jsonEqual, type ManagedFieldsEntry } from "./field-set.ts";

const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

/** Metadata fields the sync reads besides labels, annotations and managedFields. */
const KEPT_METADATA = [
  "name",
  "namespace",
  "uid",
  "resourceVersion",
  "generation",
  "deletionTimestamp",
  "ownerReferences",
  "finalizers",
] as const;

/** Merges two field sets (the union of the paths they manage). */
function unionFields(a: FieldSet | undefined, b: FieldSet | undefined): FieldSet | undefined {
  if (!a) return b;
  if (!b) return a;
  const out: FieldSet = { ...a };
  for (const [key, child] of Object.entries(b)) out[key] = unionFields(out[key], child) ?? {};
  return out;
}

function parseMergeKey(raw: string): Record<string, unknown> | undefined {
  try {
    const key = JSON.parse(raw.slice(2)) as unknown;
    return isPlainObject(key) ? key : undefined;
  } catch {
    return undefined;
  }
}

function matchesKey(key: Record<string, unknown>, item: unknown): boolean {
  return isPlainObject(item) && Object.entries(key).every(([f, v]) => jsonEqual(item[f], v));
}

/**
 * The part of `live` selected by `fields` (a fieldsV1 tree, or undefined) and `desired` (the
 * value the manifest sets there, or undefined). Values are shared with `live`, never copied
 * deeper than the selection needs.
 */
function project(live: unknown, fields: FieldSet | undefined, desired: unknown): unknown {
  if (Array.isArray(live)) return projectList(live, fields, desired);
  if (!isPlainObject(live)) return live;
  // Only the manifest says something here, and not as a map: the live value is what it replaces.
  if (!fields && !isPlainObject(desired)) return live;
  const keys = fields ? childKeys(fields) : [];
  // A leaf in the field set is an atomic map (e.g. a selector): the whole value is managed.
  if (fields && keys.length === 0) return live;
  if (keys.some((k) => !k.startsWith("f:"))) return live;
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const name = key.slice(2);
    if (!Object.hasOwn(live, name)) continue;
    out[name] = project(live[name], fields?.[key], isPlainObject(desired) ? desired[name] : undefined);
  }
  if (isPlainObject(desired)) {
    for (const name of Object.keys(desired)) {
      if (Object.hasOwn(out, name) || !Object.hasOwn(live, name)) continue;
      out[name] = project(live[name], undefined, desired[name]);
    }
  }
  return out;
}

function projectList(live: unknown[], fields: FieldSet | undefined, desired: unknown): unknown[] {
  const keys = fields ? childKeys(fields) : [];
  // Atomic lists, sets and lists managed by index (or only desired here): kept whole.
  if (!fields || keys.length === 0 || !keys.every((k) => k.startsWith("k:"))) return live;
  const entries: Array<{ key: Record<string, unknown>; fields: FieldSet }> = [];
  for (const raw of keys) {
    const key = parseMergeKey(raw);
    if (!key) return live;
    entries.push({ key, fields: fields[raw] ?? {} });
  }
  // A desired item that no managed key covers (a new item): keep the list whole for its diff.
  if (Array.isArray(desired)) {
    const covered = (item: unknown) =>
      isPlainObject(item) &&
      entries.some((e) =>
        Object.entries(e.key).every(([f, v]) => item[f] === undefined || jsonEqual(item[f], v)),
      );
    if (!desired.every(covered)) return live;
  }
  const out: unknown[] = [];
  for (const item of live) {
    const entry = entries.find((e) => matchesKey(e.key, item));
    if (!entry || !isPlainObject(item)) continue;
    const desiredItem = Array.isArray(desired) ? desired.find((d) => matchesKey(entry.key, d)) : undefined;
    const projected = project(item, entry.fields, desiredItem) as Record<string, unknown>;
    // The merge key identifies the item even where the field set does not list its fields.
    out.push(projected === item ? item : { ...pickKeys(item, Object.keys(entry.key)), ...projected });
  }
  return out;
}

function pickKeys(source: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (Object.hasOwn(source, k)) out[k] = source[k];
  return out;
}

/** Every entry reduced to who wrote it and how; `manager`'s own Apply entries whole. */
function compactManagedFields(entries: readonly ManagedFieldsEntry[], manager: string): ManagedFieldsEntry[] {
  return entries.map((e) => {
    if (e.manager === manager && e.operation === "Apply") return e;
    const { fieldsV1: _f, time: _t, ...who } = e;
    return who;
  });
}

/** The compacted object. See the module comment for what is kept and why. */
export function compactLiveObject(options: {
  live: KubeObject;
  /** Our field manager (`pullbridge`). */
  manager: string;
  /** The desired object for the same identity, when there is one. */
  desired?: KubeObject | undefined;
}): KubeObject {
  const { live, manager, desired } = options;
  const managedFields = (live.metadata.managedFields ?? []) as ManagedFieldsEntry[];
  let ours: FieldSet | undefined;
  let otherVersion = false;
  for (const e of managedFields) {
    if (e.manager === manager && e.operation === "Apply" && !e.subresource && isPlainObject(e.fieldsV1)) {
      ours = unionFields(ours, e.fieldsV1);
      if (e.apiVersion !== live.apiVersion) otherVersion = true;
    }
  }

  const metadata: Record<string, unknown> = {};
  for (const field of KEPT_METADATA) {
    if (live.metadata[field] !== undefined) metadata[field] = live.metadata[field];
  }
  if (live.metadata.labels) metadata.labels = live.metadata.labels;
  const annotations = live.metadata.annotations;
  if (annotations) {
    const keepLastApplied =
      ours?.["f:metadata"]?.["f:annotations"]?.[`f:${LAST_APPLIED}`] !== undefined ||
      desired?.metadata.annotations?.[LAST_APPLIED] !== undefined;
    if (Object.hasOwn(annotations, LAST_APPLIED) && !keepLastApplied) {
      const { [LAST_APPLIED]: _dropped, ...rest } = annotations;
      metadata.annotations = rest;
    } else {
      metadata.annotations = annotations;
    }
  }
  if (live.metadata.managedFields !== undefined)
    metadata.managedFields = compactManagedFields(managedFields, manager);

  const { apiVersion, kind, metadata: _m, ...body } = live;
  const { apiVersion: _dv, kind: _dk, metadata: _dm, ...desiredBody } = desired ?? { metadata: {} };
  // Paths recorded for another version may not be this version's paths: keep the body whole.
  const projected = otherVersion
    ? { ...body }
    : (project(body, ours, desiredBody) as Record<string, unknown>);
  if (apiVersion === "v1" && kind === "Secret") {
    if (body.data !== undefined) projected.data = body.data;
    if (body.type !== undefined) projected.type = body.type;
  }
  return { apiVersion, kind, metadata: metadata as KubeObject["metadata"], ...projected };
}
