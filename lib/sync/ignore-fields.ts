/**
 * Fields other controllers own (an HPA's `spec.replicas`, a `caBundle` cert-manager injects):
 * ignore rules name them (Flux's `spec.ignore`, Argo CD's `ignoreDifferences`), and an ignored
 * field that already exists in the cluster is never compared, never reported as drift and never
 * written back. Handing it over keeps its live value: server-side apply resets a field its only
 * manager stops sending, so before pullbridge first writes the object without it, the field is
 * applied at its live value by a second manager (`pullbridge-handover`, Kubernetes' documented
 * way to transfer ownership), which keeps it until the controller takes it. Pure.
 */
import type { KubeObject } from "../manifests/kube-object.ts";
import { childKeys, type FieldSet, isPlainObject, type ManagedFieldsEntry } from "./field-set.ts";

/** The field manager that holds fields pullbridge hands over (see the module comment). */
export const HANDOVER_MANAGER = "pullbridge-handover";

/** One step of a path: a map key, a list index, or every item of a list. */
export type PathSegment = { key: string } | { index: number } | { any: true };

/** A parsed ignore path and why it is ignored (for reports). */
export type IgnoredPath = { path: readonly PathSegment[]; text: string; reason: string };

/** An ignore rule as the targets file writes it (lib/config/targets.ts). */
export type IgnoreRule = {
  paths: readonly string[];
  target?:
    | {
        group?: string | undefined;
        kind?: string | undefined;
        name?: string | undefined;
        namespace?: string | undefined;
        labelSelector?: Readonly<Record<string, string>> | undefined;
      }
    | undefined;
};

/**
 * Parses a JSON pointer (`/spec/replicas`, `/webhooks/0/clientConfig/caBundle`, RFC 6901 escapes)
 * or a field path (`.spec.replicas`, `.webhooks[].clientConfig.caBundle`; `[]` is every item).
 * Returns a reason instead when it is neither.
 */
export function parseIgnorePath(text: string): readonly PathSegment[] | string {
  if (text.startsWith("/")) {
    const parts = text
      .slice(1)
      .split("/")
      .map((p) => p.replaceAll("~1", "/").replaceAll("~0", "~"));
    if (parts.some((p) => p === "")) return "has an empty segment";
    return parts.map((p) =>
      /^\d+$/.test(p) ? { index: Number(p) } : p === "*" ? { any: true } : { key: p },
    );
  }
  if (text.startsWith(".")) {
    const segments: PathSegment[] = [];
    const pattern = /\.([A-Za-z0-9_$-]+)|\["([^"\]]+)"\]|\[(\d*)\]/gy;
    let match: RegExpExecArray | null = pattern.exec(text);
    let consumed = 0;
    while (match !== null) {
      consumed = pattern.lastIndex;
      if (match[1] !== undefined) segments.push({ key: match[1] });
      else if (match[2] !== undefined) segments.push({ key: match[2] });
      else segments.push(match[3] === "" ? { any: true } : { index: Number(match[3]) });
      match = pattern.exec(text);
    }
    if (consumed !== text.length || segments.length === 0) {
      return "is not a field path like `.spec.replicas` or `.webhooks[].clientConfig.caBundle`";
    }
    return segments;
  }
  return "must be a JSON pointer (`/spec/replicas`) or a field path (`.spec.replicas`)";
}

/**
 * The paths ignored on `object`: the target's rules that select it, and — unless turned off —
 * `/spec/replicas` of a Deployment or StatefulSet that a HorizontalPodAutoscaler of the same set
 * scales.
 */
export function ignoredPathsOf(options: {
  object: KubeObject;
  rules: readonly IgnoreRule[];
  /** Every object of the desired set (for the HPA default), namespaces defaulted. */
  set: readonly KubeObject[];
  hpaReplicas: boolean;
}): IgnoredPath[] {
  const { object } = options;
  const out: IgnoredPath[] = [];
  options.rules.forEach((rule, i) => {
    if (!selects(rule.target, object)) return;
    for (const text of rule.paths) {
      const path = parseIgnorePath(text);
      if (typeof path !== "string") out.push({ path, text, reason: `ignore[${i}]` });
    }
  });
  if (
    options.hpaReplicas &&
    object.apiVersion === "apps/v1" &&
    (object.kind === "Deployment" || object.kind === "StatefulSet")
  ) {
    const hpa = options.set.find((o) => scalesTarget(o, object));
    if (hpa) {
      out.push({
        path: [{ key: "spec" }, { key: "replicas" }],
        text: "/spec/replicas",
        reason: `HorizontalPodAutoscaler ${hpa.metadata.name} scales it`,
      });
    }
  }
  return out;
}

function scalesTarget(hpa: KubeObject, workload: KubeObject): boolean {
  if (hpa.kind !== "HorizontalPodAutoscaler" || !hpa.apiVersion.startsWith("autoscaling/")) return false;
  if ((hpa.metadata.namespace ?? "") !== (workload.metadata.namespace ?? "")) return false;
  const ref = (
    hpa.spec as { scaleTargetRef?: { kind?: string; name?: string; apiVersion?: string } } | undefined
  )?.scaleTargetRef;
  return (
    ref?.kind === workload.kind &&
    ref.name === workload.metadata.name &&
    (ref.apiVersion ?? "apps/v1") === workload.apiVersion
  );
}

function selects(target: IgnoreRule["target"], object: KubeObject): boolean {
  if (!target) return true;
  const slash = object.apiVersion.indexOf("/");
  const group = slash === -1 ? "" : object.apiVersion.slice(0, slash);
  if (target.group !== undefined && target.group !== group) return false;
  if (target.kind !== undefined && target.kind !== object.kind) return false;
  if (target.name !== undefined && target.name !== object.metadata.name) return false;
  if (target.namespace !== undefined && target.namespace !== object.metadata.namespace) return false;
  const labels = object.metadata.labels ?? {};
  for (const [k, v] of Object.entries(target.labelSelector ?? {})) if (labels[k] !== v) return false;
  return true;
}

/** A concrete path into one object (list items by index), as found in it. */
type Instance = { path: ReadonlyArray<string | number>; text: string; reason: string };

/** Every concrete instance of `paths` that `desired` sets and `live` also holds. */
function instancesIn(paths: readonly IgnoredPath[], desired: unknown, live: unknown): Instance[] {
  const out: Instance[] = [];
  const walk = (
    rule: IgnoredPath,
    rest: readonly PathSegment[],
    d: unknown,
    l: unknown,
    at: Array<string | number>,
  ) => {
    const [head, ...tail] = rest;
    if (!head) {
      if (d !== undefined && l !== undefined) out.push({ path: at, text: rule.text, reason: rule.reason });
      return;
    }
    if ("key" in head) {
      if (isPlainObject(d) && isPlainObject(l)) walk(rule, tail, d[head.key], l[head.key], [...at, head.key]);
      return;
    }
    if (!Array.isArray(d) || !Array.isArray(l)) return;
    const indexes = "index" in head ? [head.index] : d.map((_, i) => i);
    for (const i of indexes) {
      // A list item is the same item live when its merge-key-like `name` matches, else by position.
      const item = d[i];
      const name = isPlainObject(item) ? item.name : undefined;
      const liveItem = name !== undefined ? l.find((x) => isPlainObject(x) && x.name === name) : l[i];
      walk(rule, tail, item, liveItem, [...at, i]);
    }
  };
  for (const rule of paths) walk(rule, rule.path, desired, live, []);
  return out;
}

function getAt(value: unknown, path: ReadonlyArray<string | number>): unknown {
  let current = value;
  for (const step of path) {
    if (typeof step === "number") current = Array.isArray(current) ? current[step] : undefined;
    else current = isPlainObject(current) ? current[step] : undefined;
  }
  return current;
}

/** A copy of `value` with `path` removed (`replace` given: set to it instead). */
function withAt(value: unknown, path: ReadonlyArray<string | number>, replace?: { value: unknown }): unknown {
  const [head, ...rest] = path;
  if (head === undefined) return replace?.value;
  if (typeof head === "number") {
    if (!Array.isArray(value)) return value;
    const copy = [...value];
    copy[head] = withAt(copy[head], rest, replace);
    return copy;
  }
  if (!isPlainObject(value)) {
    // Setting a value creates the maps above it (the hand-over object starts from metadata only).
    if (!replace) return value;
    return { [head]: withAt(undefined, rest, replace) };
  }
  const copy: Record<string, unknown> = { ...value };
  if (rest.length === 0 && !replace) delete copy[head];
  else copy[head] = withAt(copy[head], rest, replace);
  return copy;
}

/** Removes an instance from a field set: map keys by `f:`, list items (by any key) wholesale under each item. */
function withoutFields(fields: FieldSet, path: ReadonlyArray<string | number>): FieldSet {
  const [head, ...rest] = path;
  if (head === undefined) return fields;
  if (typeof head === "number") {
    // Items are keyed (`k:`), by value (`v:`) or by index (`i:`): drop the rest of the path under each.
    const out: FieldSet = {};
    for (const key of Object.keys(fields)) {
      const child = fields[key] ?? {};
      out[key] = key === "." || rest.length === 0 ? child : withoutFields(child, rest);
    }
    return out;
  }
  const key = `f:${head}`;
  const child = fields[key];
  if (child === undefined) return fields;
  const out: FieldSet = { ...fields };
  if (rest.length === 0) delete out[key];
  else out[key] = withoutFields(child, rest);
  return out;
}

/** Whether a field set manages the instance (its leaf, or anything under it). */
function managesPath(fields: FieldSet | undefined, path: ReadonlyArray<string | number>): boolean {
  if (!fields) return false;
  const [head, ...rest] = path;
  if (head === undefined) return true;
  if (typeof head === "number") {
    return childKeys(fields).some((k) => managesPath(fields[k], rest));
  }
  return managesPath(fields[`f:${head}`], rest);
}

/** How an object with ignored fields is compared, dry-run and written against its live state. */
export type IgnoredObject = {
  /** The ignored fields it sets that exist live (`/spec/replicas (HorizontalPodAutoscaler web scales it)`). */
  ignored: string[];
  /** What the managed-fields comparison sees: the desired object without them… */
  compareDesired: KubeObject;
  /** …and our manager's field set without them. */
  compareFields: (fields: FieldSet) => FieldSet;
  /** What a dry-run sends: the live values in their place, so the answer shows no reset. */
  dryRun: KubeObject;
  /** What the write sends: without the fields pullbridge hands over (or never owned). */
  write: KubeObject;
  /** Applied first by `pullbridge-handover`, at the live values, when pullbridge still owns a field it now leaves out. */
  handover: KubeObject | undefined;
};

/**
 * Applies `paths` to `desired` against `live` (undefined: the object is created, and every field
 * Git sets is applied). `ownFields`: pullbridge's managed field set on `live`, if any.
 */
export function ignoreFields(options: {
  desired: KubeObject;
  live: KubeObject | undefined;
  paths: readonly IgnoredPath[];
  ownFields: FieldSet | undefined;
}): IgnoredObject | undefined {
  const { desired, live, paths, ownFields } = options;
  if (!live || paths.length === 0) return undefined;
  const instances = instancesIn(paths, desired, live);
  if (instances.length === 0) return undefined;
  let compareDesired: unknown = desired;
  let dryRun: unknown = desired;
  let write: unknown = desired;
  let handover: unknown = {
    apiVersion: desired.apiVersion,
    kind: desired.kind,
    metadata: {
      name: desired.metadata.name,
      ...(desired.metadata.namespace === undefined ? {} : { namespace: desired.metadata.namespace }),
    },
  };
  let handsOver = false;
  for (const instance of instances) {
    const liveValue = getAt(live, instance.path);
    compareDesired = withAt(compareDesired, instance.path);
    dryRun = withAt(dryRun, instance.path, { value: liveValue });
    const owned = managesPath(ownFields, instance.path);
    const throughList = instance.path.some((step) => typeof step === "number");
    if (owned && throughList) {
      // A list item cannot be handed over alone (its merge keys are the list's): its live value is sent.
      write = withAt(write, instance.path, { value: liveValue });
    } else {
      write = withAt(write, instance.path);
      if (owned) {
        handover = withAt(handover, instance.path, { value: liveValue });
        handsOver = true;
      }
    }
  }
  return {
    ignored: [...new Set(instances.map((i) => `${i.text} (${i.reason})`))],
    compareDesired: compareDesired as KubeObject,
    compareFields: (fields) => instances.reduce((f, i) => withoutFields(f, i.path), fields),
    dryRun: dryRun as KubeObject,
    write: write as KubeObject,
    handover: handsOver ? (handover as KubeObject) : undefined,
  };
}

/** `manager`'s own `Apply` field set on a live object, when it has exactly one. */
export function appliedFieldsOf(live: KubeObject, manager: string): FieldSet | undefined {
  const entries = ((live.metadata.managedFields ?? []) as ManagedFieldsEntry[]).filter(
    (e) => e.manager === manager && e.operation === "Apply" && !e.subresource,
  );
  return entries.length === 1 ? entries[0]?.fieldsV1 : undefined;
}

/** `/spec/replicas (HorizontalPodAutoscaler web scales it)` for each ignored path, for reports. */
export function describeIgnored(paths: readonly IgnoredPath[]): string[] {
  return [...new Set(paths.map((p) => `${p.text} (${p.reason})`))];
}
