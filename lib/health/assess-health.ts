/**
 * One health check's verdict over a sync's objects: each object's health (kstatus rules, the
 * target's CEL rules for its custom resources, the pods' and events' reasons for workloads), and
 * the overall verdict — Current when every object is, Failed as soon as one is, else InProgress.
 * Pure: the caller read the live objects (one LIST per kind and namespace) and passes them in.
 */
import type { KubeObject } from "../manifests/kube-object.ts";
import { computeHookHealth, computeObjectHealth } from "./compute-object-health.ts";
import { explainWorkload, isWorkloadKind, type WorkloadContext } from "./explain-workload.ts";
import { HealthStatus, type ObjectHealth } from "./health-status.ts";

/** An object a sync applied and a check must see healthy. */
export type HealthSubject = {
  /** API group, `""` for the core group (version-free: a check reads the served version). */
  group: string;
  kind: string;
  namespace?: string | undefined;
  name: string;
  /** A hook object (lib/lifecycle): not a member of the set; a Pod is done only once Succeeded. */
  hook?: true | undefined;
};

/** A compiled per-kind rule (the target's CEL expressions); undefined means "no rule matched, use kstatus". */
export type HealthRule = {
  /** `Kind.group` (`Kind` for the core group) the rule applies to. */
  groupKind: string;
  evaluate(object: KubeObject): ObjectHealth | undefined;
};

/** One row of the health table. */
export type ObjectHealthRow = {
  subject: HealthSubject;
  groupKind: string;
  health: ObjectHealth;
};

export type HealthVerdict = "current" | "failed" | "in-progress";

export type HealthAssessment = {
  verdict: HealthVerdict;
  rows: ObjectHealthRow[];
};

/**
 * Kinds that have no status to wait for: they are Current once the API server accepted them, so a
 * check never LISTs them (and the health identity needs no right to read Secrets).
 */
const STATIC_KINDS: ReadonlySet<string> = new Set([
  "ConfigMap",
  "Secret",
  "ServiceAccount",
  "Endpoints",
  "LimitRange",
  "ResourceQuota",
  "Role.rbac.authorization.k8s.io",
  "RoleBinding.rbac.authorization.k8s.io",
  "ClusterRole.rbac.authorization.k8s.io",
  "ClusterRoleBinding.rbac.authorization.k8s.io",
  "NetworkPolicy.networking.k8s.io",
  "IngressClass.networking.k8s.io",
  "PriorityClass.scheduling.k8s.io",
  "StorageClass.storage.k8s.io",
  "PodDisruptionBudget.policy",
  "HorizontalPodAutoscaler.autoscaling",
  "ValidatingWebhookConfiguration.admissionregistration.k8s.io",
  "MutatingWebhookConfiguration.admissionregistration.k8s.io",
]);

/** `Deployment.apps`, `ConfigMap`. */
export function subjectGroupKind(subject: Pick<HealthSubject, "group" | "kind">): string {
  return subject.group ? `${subject.kind}.${subject.group}` : subject.kind;
}

/** The subject a live object is (its group from `apiVersion`). */
export function subjectOf(object: KubeObject): HealthSubject {
  const slash = object.apiVersion.indexOf("/");
  return {
    group: slash === -1 ? "" : object.apiVersion.slice(0, slash),
    kind: object.kind,
    namespace: object.metadata.namespace,
    name: object.metadata.name,
  };
}

/** Whether a check has to read this kind at all (static kinds are Current once applied; a target's CEL rule makes any kind worth reading). */
export function needsLiveRead(groupKind: string, rules: readonly HealthRule[] = []): boolean {
  return !STATIC_KINDS.has(groupKind) || rules.some((r) => r.groupKind === groupKind);
}

/** Key of a subject within one check: group-kind, namespace, name (and whether it is a hook). */
export function subjectKey(subject: HealthSubject): string {
  return `${subject.hook ? "hook:" : ""}${subjectGroupKind(subject)}/${subject.namespace ?? ""}/${subject.name}`;
}

/** Health of one object: the target's rule for its kind first, then kstatus, then the workload's pods and events. */
function objectHealthOf(
  live: KubeObject | undefined,
  options: { rules?: readonly HealthRule[]; context?: WorkloadContext; hook?: boolean },
): ObjectHealth {
  if (!live) return computeObjectHealth(undefined);
  if (options.hook) {
    const health = computeHookHealth(live);
    return options.context && isWorkloadKind(subjectGroupKind(subjectOf(live)))
      ? explainWorkload(live, health, options.context)
      : health;
  }
  const groupKind = subjectGroupKind(subjectOf(live));
  for (const rule of options.rules ?? []) {
    if (rule.groupKind !== groupKind || live.metadata.deletionTimestamp) continue;
    const verdict = rule.evaluate(live);
    if (verdict) return verdict;
  }
  const health = computeObjectHealth(live);
  return options.context && isWorkloadKind(groupKind)
    ? explainWorkload(live, health, options.context)
    : health;
}

/**
 * The verdict of one check. `live` holds the objects the check's LISTs returned, by `subjectKey`;
 * subjects of static kinds need not be in it. A subject that is missing or terminating is not healthy
 * (it may still appear, e.g. a Namespace re-created after a prune); it is reported, never Failed.
 */
export function assessHealth(options: {
  subjects: readonly HealthSubject[];
  live: ReadonlyMap<string, KubeObject>;
  context: WorkloadContext;
  rules?: readonly HealthRule[];
}): HealthAssessment {
  const rules = options.rules ?? [];
  const rows = options.subjects.map((subject): ObjectHealthRow => {
    const groupKind = subjectGroupKind(subject);
    if (!needsLiveRead(groupKind, rules)) {
      return { subject, groupKind, health: { status: HealthStatus.Current, message: "applied" } };
    }
    const live = options.live.get(subjectKey(subject));
    return {
      subject,
      groupKind,
      health: objectHealthOf(live, { rules, context: options.context, hook: subject.hook === true }),
    };
  });
  const verdict: HealthVerdict = rows.some((r) => r.health.status === HealthStatus.Failed)
    ? "failed"
    : rows.every((r) => r.health.status === HealthStatus.Current)
      ? "current"
      : "in-progress";
  return { verdict, rows };
}
