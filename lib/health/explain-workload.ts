/**
 * The reason a person needs when a workload is not healthy: its own status says "1/3 ready", its
 * pods say why (`ImagePullBackOff "repository does not exist"`), and where the pods say nothing
 * (no pod was created at all) its events do (`FailedCreate: pods "x" is forbidden: …`). Pure.
 */
import type { KubeObject } from "../manifests/kube-object.ts";
import { condition, field, podContainerProblem, str } from "./compute-object-health.ts";
import { HealthStatus, type ObjectHealth } from "./health-status.ts";

/** What a check read besides the objects themselves: pods, ReplicaSets and events of the namespaces whose workloads are not healthy. */
export type WorkloadContext = {
  pods: readonly KubeObject[];
  replicaSets: readonly KubeObject[];
  events: readonly KubeObject[];
};

const WORKLOAD_KINDS: ReadonlySet<string> = new Set([
  "Deployment.apps",
  "StatefulSet.apps",
  "DaemonSet.apps",
  "ReplicaSet.apps",
  "Job.batch",
]);

/** Whether the kind runs pods, so a check should read pods and events to explain it. */
export function isWorkloadKind(groupKind: string): boolean {
  return WORKLOAD_KINDS.has(groupKind);
}

type Requirement = { key: string; operator: string; values: string[] };

/** Whether `labels` satisfy a LabelSelector (matchLabels + matchExpressions). An absent selector matches nothing. */
export function matchesSelector(selector: unknown, labels: Readonly<Record<string, string>>): boolean {
  if (selector === null || typeof selector !== "object") return false;
  const matchLabels = field(selector, "matchLabels");
  const expressions = field(selector, "matchExpressions");
  const pairs = matchLabels && typeof matchLabels === "object" ? Object.entries(matchLabels) : [];
  const reqs: Requirement[] = Array.isArray(expressions)
    ? expressions.map((e) => ({
        key: str(e, "key") ?? "",
        operator: str(e, "operator") ?? "",
        values: (Array.isArray(field(e, "values")) ? (field(e, "values") as unknown[]) : []).map(String),
      }))
    : [];
  if (pairs.length === 0 && reqs.length === 0) return false;
  for (const [k, v] of pairs) if (labels[k] !== v) return false;
  for (const r of reqs) {
    const has = Object.hasOwn(labels, r.key);
    const value = labels[r.key];
    if (r.operator === "In" && !(has && value !== undefined && r.values.includes(value))) return false;
    if (r.operator === "NotIn" && has && value !== undefined && r.values.includes(value)) return false;
    if (r.operator === "Exists" && !has) return false;
    if (r.operator === "DoesNotExist" && has) return false;
  }
  return true;
}

function sameNamespace(a: KubeObject, b: KubeObject): boolean {
  return (a.metadata.namespace ?? "") === (b.metadata.namespace ?? "");
}

function ownedBy(object: KubeObject, owner: KubeObject): boolean {
  const refs = object.metadata.ownerReferences;
  return (
    Array.isArray(refs) &&
    refs.some((r) => str(r, "uid") !== undefined && str(r, "uid") === owner.metadata.uid)
  );
}

/**
 * The pods of the workload's *current* revision: a Deployment's newest ReplicaSet (so a crash-looping
 * old revision that is being replaced does not fail the rollout of its fix), a StatefulSet's
 * `updateRevision`, every pod of a DaemonSet, ReplicaSet or Job.
 */
function currentPods(workload: KubeObject, context: WorkloadContext): KubeObject[] {
  const selector = field(workload.spec, "selector");
  const selected = context.pods.filter(
    (p) => sameNamespace(p, workload) && matchesSelector(selector, p.metadata.labels ?? {}),
  );
  if (workload.kind === "Deployment") {
    const revision = workload.metadata.annotations?.["deployment.kubernetes.io/revision"];
    const newest = context.replicaSets.find(
      (rs) =>
        sameNamespace(rs, workload) &&
        ownedBy(rs, workload) &&
        revision !== undefined &&
        rs.metadata.annotations?.["deployment.kubernetes.io/revision"] === revision,
    );
    const hash = newest?.metadata.labels?.["pod-template-hash"];
    return hash === undefined
      ? selected
      : selected.filter((p) => p.metadata.labels?.["pod-template-hash"] === hash);
  }
  if (workload.kind === "StatefulSet") {
    const revision = str(workload.status, "updateRevision");
    return revision === undefined
      ? selected
      : selected.filter((p) => p.metadata.labels?.["controller-revision-hash"] === revision);
  }
  return selected;
}

/** `web-7f9c6d4b8-x2k9q: ImagePullBackOff "…"` — the first pod problem worth naming, worst first. */
function podProblem(
  pods: readonly KubeObject[],
): { text: string; reason: string; fatal: boolean } | undefined {
  const problems = pods.flatMap((pod) => {
    const name = pod.metadata.name;
    const container = podContainerProblem(pod);
    if (container) {
      const quoted = container.message ? ` ${JSON.stringify(container.message)}` : "";
      return [
        {
          text: `pod ${name}: ${container.reason}${quoted}`,
          reason: container.reason,
          fatal: container.fatal,
          rank: container.fatal ? 0 : 1,
        },
      ];
    }
    const phase = str(pod.status, "phase");
    if (phase === "Failed") {
      const reason = str(pod.status, "reason") ?? "Failed";
      return [{ text: `pod ${name}: ${reason}`, reason, fatal: false, rank: 1 }];
    }
    const scheduled = condition(pod, "PodScheduled");
    if (scheduled?.status === "False") {
      const reason = scheduled.reason ?? "Unschedulable";
      return [
        {
          text: `pod ${name}: ${reason}${scheduled.message ? ` ${JSON.stringify(scheduled.message)}` : ""}`,
          reason,
          fatal: false,
          rank: 2,
        },
      ];
    }
    const ready = condition(pod, "Ready");
    if (phase !== "Succeeded" && ready?.status !== "True") {
      const reason = ready?.reason ?? "NotReady";
      return [
        {
          text: `pod ${name}: not ready${ready?.message ? ` (${ready.message})` : ""}`,
          reason,
          fatal: false,
          rank: 3,
        },
      ];
    }
    return [];
  });
  problems.sort((a, b) => a.rank - b.rank);
  const first = problems[0];
  return first ? { text: first.text, reason: first.reason, fatal: first.fatal } : undefined;
}

/** The latest Warning event about the workload, its ReplicaSets or its pods. */
function warningEvent(
  workload: KubeObject,
  pods: readonly KubeObject[],
  context: WorkloadContext,
): string | undefined {
  const names = new Set<string>([
    `${workload.kind}/${workload.metadata.name}`,
    ...pods.map((p) => `Pod/${p.metadata.name}`),
    ...context.replicaSets
      .filter((rs) => ownedBy(rs, workload))
      .map((rs) => `ReplicaSet/${rs.metadata.name}`),
  ]);
  const events = context.events
    .filter((e) => sameNamespace(e, workload) && str(e, "type") === "Warning")
    .filter((e) => {
      const involved = field(e, "involvedObject") ?? field(e, "regarding");
      return names.has(`${str(involved, "kind")}/${str(involved, "name")}`);
    })
    .map((e) => ({
      at: str(e, "lastTimestamp") ?? str(e, "eventTime") ?? str(e.metadata, "creationTimestamp") ?? "",
      text: `${str(e, "reason") ?? "Warning"}: ${str(e, "message") ?? str(e, "note") ?? ""}`.trim(),
    }))
    .sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
  return events[0]?.text;
}

/**
 * Adds the pod or event reason to an unhealthy workload's verdict, and fails it at once when its
 * current pods cannot start (`CrashLoopBackOff`, `ImagePullBackOff`, …) instead of waiting out the
 * progress deadline. A healthy workload (or any other kind) is returned as it is.
 */
export function explainWorkload(
  workload: KubeObject,
  health: ObjectHealth,
  context: WorkloadContext,
): ObjectHealth {
  if (health.status === HealthStatus.Current || health.status === HealthStatus.NotFound) return health;
  const groupKind = `${workload.kind}.${workload.apiVersion.includes("/") ? workload.apiVersion.split("/")[0] : ""}`;
  if (!isWorkloadKind(groupKind)) return health;
  const pods = currentPods(workload, context);
  if (workload.kind === "Job" && health.status === HealthStatus.Failed) {
    // A failed Job's reason is its own condition; its pods add only which container exited how.
    const exited = pods.map((p) => podContainerProblem(p)).find((p) => p?.exitCode !== undefined);
    if (exited) {
      return {
        ...health,
        message: `${health.reason ?? health.message} — container ${exited.container} exited ${exited.exitCode}`,
      };
    }
  }
  const problem = podProblem(pods);
  if (problem) {
    const message = `${health.message}, ${problem.text}`;
    // A Job's failed pods are retried up to backoffLimit; the Job's own Failed condition decides.
    if (problem.fatal && workload.kind !== "Job") {
      return { status: HealthStatus.Failed, message, reason: problem.reason };
    }
    return { ...health, message, reason: health.reason ?? problem.reason };
  }
  const event = warningEvent(workload, pods, context);
  return event ? { ...health, message: `${health.message}, ${event}` } : health;
}
