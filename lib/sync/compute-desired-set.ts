/**
 * Desired objects → what will be applied: resource and scope from discovery (or from a CRD in
 * the same sync), default namespace, target policy, and the ApplySet `part-of` label. Pure.
 */
import type { ApiResource, DiscoveryIndex } from "../cluster/cluster-port.ts";
import type { Target } from "../config/targets.ts";
import { SyncRefusedError } from "../errors.ts";
import { waveOf } from "../lifecycle/lifecycle-annotations.ts";
import {
  type DesiredObject,
  describeObject,
  groupKindOf,
  type KubeObject,
  type ManifestSource,
  objectKey,
  parseApiVersion,
  type SensitiveFields,
} from "../manifests/kube-object.ts";
import { ApplySetLabel } from "./applyset-id.ts";
import { type IgnoredPath, ignoredPathsOf } from "./ignore-fields.ts";
import { type Stage, stageOf } from "./order-stages.ts";

/** A desired object ready to plan: resolved, namespaced, labelled. */
export type PlannedObject = {
  key: string;
  groupKind: string;
  resource: ApiResource;
  object: KubeObject;
  source: ManifestSource;
  stage: Stage;
  /** Its kind is defined by a CRD in this sync that the server does not serve yet. */
  awaitsCrd: boolean;
  /** Fields holding decrypted (or, in previews, sealed) values: masked in diffs, left out of the digest. */
  sensitive?: SensitiveFields | undefined;
  /** The wave it is applied in (`pullbridge.dev/wave`, Argo CD's sync-wave; default 0). */
  wave: number;
  /** Fields other controllers own: never compared or written back once they exist (ignore-fields.ts). */
  ignore: readonly IgnoredPath[];
};

const CRD_GROUP = "apiextensions.k8s.io";

const SERVER_POPULATED_METADATA = [
  "resourceVersion",
  "uid",
  "creationTimestamp",
  "generation",
  "managedFields",
  "selfLink",
] as const;

function formatSource(source: ManifestSource): string {
  return `${source.file}:${source.line}:${source.column}`;
}

/** Kinds defined by CRDs in the desired set, as the resources they will become once Established. */
export function crdDefinedResources(desired: readonly DesiredObject[]): ApiResource[] {
  const out: ApiResource[] = [];
  for (const { object } of desired) {
    if (
      object.kind !== "CustomResourceDefinition" ||
      parseApiVersion(object.apiVersion).group !== CRD_GROUP
    ) {
      continue;
    }
    const spec = object.spec as
      | {
          group?: string;
          scope?: string;
          names?: { kind?: string; plural?: string };
          versions?: Array<{ name?: string; served?: boolean }>;
        }
      | undefined;
    const group = spec?.group;
    const kind = spec?.names?.kind;
    const plural = spec?.names?.plural;
    if (!group || !kind || !plural) continue;
    for (const version of spec?.versions ?? []) {
      if (!version.name || version.served === false) continue;
      out.push({
        group,
        version: version.name,
        kind,
        resource: plural,
        namespaced: spec?.scope !== "Cluster",
      });
    }
  }
  return out;
}

function kindAllowed(list: readonly string[], object: KubeObject): boolean {
  const gk = groupKindOf(object);
  return list.includes(object.kind) || list.includes(gk);
}

type Problem = { object: string; message: string; source: ManifestSource };

/**
 * Resolves every desired object and applies the target's policy. Throws SyncRefusedError naming
 * the first offending object (and how many more) so nothing is written for an invalid set.
 */
export function computeDesiredSet(options: {
  desired: readonly DesiredObject[];
  discovery: DiscoveryIndex;
  target: Pick<Target, "namespace" | "policy"> & Partial<Pick<Target, "ignore" | "ignoreHpaReplicas">>;
  applySetId: string;
  /**
   * The labels that mark the objects instead of the ApplySet's `part-of` (hooks: never members of
   * the set, marked with their target instead).
   */
  labels?: Readonly<Record<string, string>> | undefined;
}): PlannedObject[] {
  const { desired, discovery, target, applySetId } = options;
  const marks = options.labels ?? { [ApplySetLabel.partOf]: applySetId };
  const fromCrds = crdDefinedResources(desired);
  const problems: Problem[] = [];
  const planned: PlannedObject[] = [];
  const seen = new Set<string>();
  for (const { object: original, source, sensitive } of desired) {
    const where = `${describeObject(original)} (${formatSource(source)})`;
    const problem = (object: KubeObject, message: string) =>
      problems.push({ source, object: describeObject(object), message: `${where}: ${message}` });
    const resolved = resolveResource({ original, discovery, fromCrds });
    if (!resolved) {
      problem(
        original,
        `${original.apiVersion} ${original.kind} is not served by the cluster and no CustomResourceDefinition in this sync defines it`,
      );
      continue;
    }
    const refusal = kindRefusal(target, original) ?? scopeRefusal(target, original, resolved.resource);
    if (refusal) {
      problem(refusal.object, refusal.message);
      continue;
    }
    const object = labelled(original, resolved.resource, target.namespace, marks);
    const key = objectKey(object);
    if (seen.has(key)) {
      problem(object, `duplicate object ${describeObject(object)}`);
      continue;
    }
    seen.add(key);
    planned.push({
      key,
      groupKind: groupKindOf(object),
      resource: resolved.resource,
      object,
      source,
      stage: stageOf(resolved.resource),
      awaitsCrd: resolved.awaitsCrd,
      ...(sensitive === undefined ? {} : { sensitive }),
      wave: waveOf(object),
      ignore: [],
    });
  }
  throwIfProblems(problems);
  const set = planned.map((p) => p.object);
  const rules = target.ignore ?? [];
  const hpaReplicas = target.ignoreHpaReplicas ?? false;
  if (rules.length === 0 && !hpaReplicas) return planned;
  return planned.map((p) => ({
    ...p,
    ignore: ignoredPathsOf({ object: p.object, rules, set, hpaReplicas }),
  }));
}

/** The resource a desired object maps to: served by the cluster, or defined by a CRD in this sync. */
function resolveResource(options: {
  original: KubeObject;
  discovery: DiscoveryIndex;
  fromCrds: readonly ApiResource[];
}): { resource: ApiResource; awaitsCrd: boolean } | undefined {
  const { original, discovery, fromCrds } = options;
  const served = discovery.resolve({ apiVersion: original.apiVersion, kind: original.kind });
  if (served) return { resource: served, awaitsCrd: false };
  const { group, version } = parseApiVersion(original.apiVersion);
  const fromCrd = fromCrds.find(
    (r) => r.group === group && r.version === version && r.kind === original.kind,
  );
  return fromCrd ? { resource: fromCrd, awaitsCrd: true } : undefined;
}

function kindRefusal(
  target: Pick<Target, "policy">,
  original: KubeObject,
): { object: KubeObject; message: string } | undefined {
  if (target.policy.kinds && !kindAllowed(target.policy.kinds, original)) {
    return {
      object: original,
      message: `kind ${groupKindOf(original)} is not in the target's allowed kinds`,
    };
  }
  if (kindAllowed(target.policy.deniedKinds, original)) {
    return { object: original, message: `kind ${groupKindOf(original)} is denied by the target's policy` };
  }
  return undefined;
}

/** Namespaced objects must be in an allowed namespace; cluster-scoped ones need policy.clusterScoped. */
function scopeRefusal(
  target: Pick<Target, "namespace" | "policy">,
  original: KubeObject,
  resource: ApiResource,
): { object: KubeObject; message: string } | undefined {
  const namespaces = target.policy.namespaces ?? [target.namespace];
  if (resource.namespaced) {
    const namespace = original.metadata.namespace ?? target.namespace;
    if (namespaces.includes("*") || namespaces.includes(namespace)) return undefined;
    return {
      object: { ...original, metadata: { ...original.metadata, namespace } },
      message: `namespace ${namespace} is outside the target's allowed namespaces (${namespaces.join(", ")})`,
    };
  }
  if (target.policy.clusterScoped) return undefined;
  const { namespace: _ignored, ...metadata } = original.metadata;
  return {
    object: { ...original, metadata },
    message: `cluster-scoped ${groupKindOf(original)} is not allowed for this target (policy.clusterScoped is false)`,
  };
}

/** The object as applied: server-populated metadata dropped, namespace defaulted or dropped, part-of label added. */
function labelled(
  original: KubeObject,
  resource: ApiResource,
  defaultNamespace: string,
  marks: Readonly<Record<string, string>>,
): KubeObject {
  const metadata = { ...original.metadata };
  // Server-populated fields copied from `kubectl get -o yaml` would act as preconditions or never converge.
  for (const field of SERVER_POPULATED_METADATA) delete metadata[field];
  if (resource.namespaced) metadata.namespace = original.metadata.namespace ?? defaultNamespace;
  // kubectl ignores a namespace on cluster-scoped objects; so do we, rather than send a mismatched request.
  else delete metadata.namespace;
  metadata.labels = { ...(original.metadata.labels ?? {}), ...marks };
  return { ...original, metadata };
}

function throwIfProblems(problems: readonly Problem[]): void {
  const first = problems[0];
  if (!first) return;
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : "";
  throw new SyncRefusedError(`${first.message}${more}`, {
    object: first.object,
    source: first.source,
    // Messages read `Kind ns/name (file:line:col): reason`; annotations show only the reason.
    refusals: problems.map((p) => ({
      object: p.object,
      source: p.source,
      reason: p.message.slice(p.message.indexOf("): ") + 3),
      by: "policy" as const,
    })),
  });
}
