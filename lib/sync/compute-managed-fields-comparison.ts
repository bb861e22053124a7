/**
 * Decides, without writing, whether server-side applying `desired` would change `live`.
 *
 * Server-side apply makes pullbridge's managed field set equal to the fields in the applied
 * object and sets their values. So an apply is a no-op exactly when (1) the fields pullbridge
 * owns (its `Apply` entry in managedFields, decoded from fieldsV1) are the fields of the
 * desired object, and (2) every desired value equals the live value. Ownership also moves away
 * from pullbridge when anyone else changes one of its fields, so drift shows up as (1) failing.
 *
 * fieldsV1 encoding: `f:<name>` a map field, `k:<json>` an associative-list item by its merge
 * keys, `v:<json>` a set item, `i:<n>` a list item by index, `.` the node itself. A field
 * with no children is a leaf (scalar, atomic map or atomic list).
 *
 * Where values differ only in a way the server may normalise (quantities `0.5` ↔ `500m`,
 * `"80"` ↔ `80`, timestamps, `null`, defaulted merge keys) the verdict is `ambiguous` and the
 * caller falls back to a server-side dry-run. Pure.
 */
import type { KubeObject } from "../manifests/kube-object.ts";
import { childKeys, type FieldSet, isPlainObject, jsonEqual, type ManagedFieldsEntry } from "./field-set.ts";
import { type IgnoredPath, ignoreFields } from "./ignore-fields.ts";

export type ManagedFieldsVerdict =
  | { verdict: "unchanged" }
  | { verdict: "changed"; path: string; reason: string }
  | { verdict: "ambiguous"; path: string; reason: string };

const UNCHANGED: ManagedFieldsVerdict = { verdict: "unchanged" };

/** Merge-key fields the API server defaults before recording the key (so a manifest may omit them). */
const DEFAULTED_MERGE_KEYS: Readonly<Record<string, unknown>> = { protocol: "TCP" };

const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)|[eE]([+-]?\d+))?$/;
const SUFFIX: Record<string, number> = {
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** Numeric value of a Kubernetes quantity string, or undefined when it is not one. */
export function quantityValue(text: string): number | undefined {
  const m = QUANTITY.exec(text);
  if (!m) return undefined;
  const base = Number(m[1]);
  if (m[2]) return base * (SUFFIX[m[2]] ?? 1);
  if (m[3]) return base * 10 ** Number(m[3]);
  return base;
}

/** Could the server have turned `desired` into `live`? (Equal as quantities, numbers-as-strings, timestamps.) */
function maybeNormalised(desired: unknown, live: unknown): boolean {
  if (desired === null || live === undefined) return desired === null;
  if (Array.isArray(desired)) {
    return (
      Array.isArray(live) &&
      desired.length === live.length &&
      desired.every((d, i) => maybeNormalised(d, live[i]))
    );
  }
  if (isPlainObject(desired)) {
    return isPlainObject(live) && Object.keys(desired).every((k) => maybeNormalised(desired[k], live[k]));
  }
  if (typeof desired !== typeof live) return String(desired) === String(live) || typeof live === "string";
  if (typeof desired === "string" && typeof live === "string") {
    const dq = quantityValue(desired);
    const lq = quantityValue(live);
    if (dq !== undefined && lq !== undefined) return Math.abs(dq - lq) <= Math.abs(lq) * 1e-12;
    const dt = Date.parse(desired);
    const lt = Date.parse(live);
    return !Number.isNaN(dt) && dt === lt && /\d{4}-\d{2}-\d{2}/.test(desired);
  }
  return false;
}

function differs(path: string, desired: unknown, live: unknown): ManagedFieldsVerdict {
  if (live === undefined) return { verdict: "changed", path, reason: "missing in the cluster" };
  if (maybeNormalised(desired, live)) {
    return { verdict: "ambiguous", path, reason: "differs only in a form the server may normalise" };
  }
  return { verdict: "changed", path, reason: "value differs" };
}

/** Accumulates the first `changed` (decisive) or else the first `ambiguous` verdict. */
type Outcome = { ambiguous?: ManagedFieldsVerdict };

function compareNode(
  desired: unknown,
  fields: FieldSet,
  live: unknown,
  path: string,
  outcome: Outcome,
): ManagedFieldsVerdict | undefined {
  const keys = childKeys(fields);
  if (isPlainObject(desired)) {
    if (keys.length === 0) {
      // Atomic map (e.g. a label selector) or an empty map the server may drop.
      if (Object.keys(desired).length === 0 && (live === undefined || jsonEqual(live, {}))) return undefined;
      return jsonEqual(desired, live) ? undefined : note(differs(path, desired, live), outcome);
    }
    if (!isPlainObject(live)) return { verdict: "changed", path, reason: "missing in the cluster" };
    for (const [name, value] of Object.entries(desired)) {
      const childPath = `${path}.${name}`;
      const childFields = fields[`f:${name}`];
      if (value === null) {
        if (childFields === undefined && live[name] === undefined) continue;
        note({ verdict: "ambiguous", path: childPath, reason: "null in the manifest" }, outcome);
        continue;
      }
      if (childFields === undefined) {
        return { verdict: "changed", path: childPath, reason: "not yet managed by pullbridge" };
      }
      const verdict = compareNode(value, childFields, live[name], childPath, outcome);
      if (verdict) return verdict;
    }
    for (const key of keys) {
      if (!key.startsWith("f:")) {
        note({ verdict: "ambiguous", path, reason: `unexpected field-set entry ${key}` }, outcome);
        continue;
      }
      const name = key.slice(2);
      if (!Object.hasOwn(desired, name)) {
        return { verdict: "changed", path: `${path}.${name}`, reason: "removed from the manifest" };
      }
    }
    return undefined;
  }

  if (Array.isArray(desired)) {
    if (keys.length === 0) {
      if (desired.length === 0 && (live === undefined || jsonEqual(live, []))) return undefined;
      return jsonEqual(desired, live) ? undefined : note(differs(path, desired, live), outcome);
    }
    if (!Array.isArray(live)) return { verdict: "changed", path, reason: "missing in the cluster" };
    if (keys.every((k) => k.startsWith("k:")))
      return compareAssociativeList(desired, fields, keys, live, path, outcome);
    if (keys.every((k) => k.startsWith("v:"))) return compareSet(desired, keys, live, path, outcome);
    note({ verdict: "ambiguous", path, reason: "list managed by index" }, outcome);
    return undefined;
  }

  if (keys.length > 0) {
    note({ verdict: "ambiguous", path, reason: "scalar where a structure is managed" }, outcome);
    return undefined;
  }
  return desired === live ? undefined : note(differs(path, desired, live), outcome);
}

/** Records an ambiguous verdict and keeps going; returns a decisive (`changed`) verdict. */
function note(verdict: ManagedFieldsVerdict, outcome: Outcome): ManagedFieldsVerdict | undefined {
  if (verdict.verdict === "ambiguous") {
    outcome.ambiguous ??= verdict;
    return undefined;
  }
  return verdict.verdict === "changed" ? verdict : undefined;
}

function keyMatches(
  key: Record<string, unknown>,
  item: Record<string, unknown>,
  allowDefaults: boolean,
): boolean {
  return Object.entries(key).every(([field, value]) => {
    if (item[field] === undefined) return allowDefaults && DEFAULTED_MERGE_KEYS[field] === value;
    return jsonEqual(item[field], value);
  });
}

function compareAssociativeList(
  desired: unknown[],
  fields: FieldSet,
  keys: string[],
  live: unknown[],
  path: string,
  outcome: Outcome,
): ManagedFieldsVerdict | undefined {
  if (desired.length !== keys.length) {
    return {
      verdict: "changed",
      path,
      reason: `${desired.length} items in the manifest, ${keys.length} managed`,
    };
  }
  const entries: Array<{ raw: string; key: Record<string, unknown> }> = [];
  for (const raw of keys) {
    try {
      const key = JSON.parse(raw.slice(2)) as unknown;
      if (!isPlainObject(key)) throw new Error("not an object");
      entries.push({ raw, key });
    } catch {
      note({ verdict: "ambiguous", path, reason: `unreadable merge key ${raw}` }, outcome);
      return undefined;
    }
  }
  const used = new Set<string>();
  let lastLiveIndex = -1;
  for (const item of desired) {
    if (!isPlainObject(item)) {
      note({ verdict: "ambiguous", path, reason: "non-object item in a keyed list" }, outcome);
      return undefined;
    }
    const candidates = entries.filter((e) => !used.has(e.raw) && keyMatches(e.key, item, true));
    const entry = candidates[0];
    if (!entry) return { verdict: "changed", path, reason: "list item not yet managed by pullbridge" };
    if (candidates.length > 1) {
      note({ verdict: "ambiguous", path, reason: "list item matches several merge keys" }, outcome);
      return undefined;
    }
    used.add(entry.raw);
    const liveIndex = live.findIndex((l) => isPlainObject(l) && keyMatches(entry.key, l, false));
    const liveItem = live[liveIndex];
    const itemPath = `${path}[${entry.raw.slice(2)}]`;
    if (liveIndex === -1 || liveItem === undefined) {
      return { verdict: "changed", path: itemPath, reason: "missing in the cluster" };
    }
    if (liveIndex < lastLiveIndex) return { verdict: "changed", path, reason: "items reordered" };
    lastLiveIndex = liveIndex;
    const itemFields = fields[entry.raw] ?? {};
    const verdict = compareNode(item, itemFields, liveItem, itemPath, outcome);
    if (verdict) return verdict;
  }
  return undefined;
}

function compareSet(
  desired: unknown[],
  keys: string[],
  live: unknown[],
  path: string,
  outcome: Outcome,
): ManagedFieldsVerdict | undefined {
  const managed = new Set(keys.map((k) => k.slice(2)));
  const wanted = desired.map((d) => JSON.stringify(d));
  if (new Set(wanted).size !== managed.size || !wanted.every((w) => managed.has(w))) {
    return { verdict: "changed", path, reason: "set members differ" };
  }
  let lastLiveIndex = -1;
  for (const item of desired) {
    const liveIndex = live.findIndex((l) => jsonEqual(l, item));
    if (liveIndex === -1) return { verdict: "changed", path, reason: "set member missing in the cluster" };
    if (liveIndex < lastLiveIndex) {
      note({ verdict: "ambiguous", path, reason: "set members in a different order" }, outcome);
      return undefined;
    }
    lastLiveIndex = liveIndex;
  }
  return undefined;
}

function decodeBase64(value: unknown): unknown {
  return typeof value === "string" ? Buffer.from(value, "base64").toString("utf8") : value;
}

/** The entry pullbridge's applies are recorded under, if exactly one exists. */
function pullbridgeEntry(live: KubeObject, manager: string): ManagedFieldsEntry[] {
  const entries = (live.metadata.managedFields ?? []) as ManagedFieldsEntry[];
  return entries.filter((e) => e.manager === manager && e.operation === "Apply" && !e.subresource);
}

/**
 * Compares desired and live through pullbridge's managed fields. See the module comment. Fields
 * `ignore` names that exist live are left out on both sides (lib/sync/ignore-fields.ts).
 */
export function compareWithManagedFields(options: {
  desired: KubeObject;
  live: KubeObject;
  manager: string;
  ignore?: readonly IgnoredPath[] | undefined;
}): ManagedFieldsVerdict {
  const { live, manager } = options;
  const entries = pullbridgeEntry(live, manager);
  const ignoring = ignoreFields({
    desired: options.desired,
    live,
    paths: options.ignore ?? [],
    ownFields: entries.length === 1 ? entries[0]?.fieldsV1 : undefined,
  });
  const desired = ignoring?.compareDesired ?? options.desired;
  const entry = entries[0];
  if (!entry) return { verdict: "changed", path: ".", reason: `not yet applied by ${manager}` };
  if (entries.length > 1) return { verdict: "ambiguous", path: ".", reason: `several ${manager} entries` };
  if (entry.fieldsType !== "FieldsV1" || !entry.fieldsV1) {
    return { verdict: "ambiguous", path: ".", reason: `unknown fieldsType ${entry.fieldsType ?? "(none)"}` };
  }
  if (entry.apiVersion !== desired.apiVersion) {
    return {
      verdict: "ambiguous",
      path: ".",
      reason: `managed fields recorded for ${entry.apiVersion ?? "?"}`,
    };
  }

  // Identity fields are not tracked in managedFields.
  const { apiVersion: _v, kind: _k, metadata, ...rest } = desired;
  const { name: _n, namespace: _ns, ...trackedMetadata } = metadata;
  // With name/namespace removed, an otherwise empty metadata contributes no managed fields.
  const body: Record<string, unknown> =
    Object.keys(trackedMetadata).length > 0 ? { ...rest, metadata: trackedMetadata } : { ...rest };
  let liveView: Record<string, unknown> = live;
  const outcome: Outcome = {};

  // Secret `stringData` is write-only: the server merges it into `data` (base64).
  if (desired.apiVersion === "v1" && desired.kind === "Secret" && isPlainObject(desired.stringData)) {
    const liveData = isPlainObject(live.data) ? live.data : {};
    const decoded = Object.fromEntries(
      Object.keys(desired.stringData).map((k) => [k, decodeBase64(liveData[k])]),
    );
    liveView = { ...live, stringData: decoded };
    const overlapping =
      isPlainObject(desired.data) &&
      Object.keys(desired.stringData).some((k) => k in (desired.data as object));
    if (overlapping)
      note({ verdict: "ambiguous", path: ".stringData", reason: "key in both data and stringData" }, outcome);
  }
  // A status the main resource ignores (status subresource) is never recorded as managed.
  if (body.status !== undefined && entry.fieldsV1["f:status"] === undefined) {
    delete body.status;
    note({ verdict: "ambiguous", path: ".status", reason: "status in the manifest" }, outcome);
  }

  const fields = ignoring ? ignoring.compareFields(entry.fieldsV1) : entry.fieldsV1;
  const verdict = compareNode(body, fields, liveView, "", outcome);
  if (verdict) return verdict;
  return outcome.ambiguous ?? UNCHANGED;
}

/** True when a dry-run result shows nothing would change (managedFields timestamps aside). */
export function dryRunShowsNoChange(options: { live: KubeObject; dryRun: KubeObject }): boolean {
  const strip = (o: KubeObject) => {
    const managedFields = ((o.metadata.managedFields ?? []) as Array<Record<string, unknown>>).map(
      ({ time: _t, ...entry }) => entry,
    );
    return { ...o, metadata: { ...o.metadata, managedFields } };
  };
  return jsonEqual(strip(options.live), strip(options.dryRun));
}
