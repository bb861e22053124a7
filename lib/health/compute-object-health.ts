/**
 * kstatus' rules in TypeScript: the health of one live object from its own fields only (no pods,
 * no events — `explain-workload.ts` adds those). Pure: no I/O, no clock.
 *
 * Where pullbridge goes beyond kstatus it says so: a Job is healthy only when Complete (kstatus
 * calls a running Job Current), and a Pod whose container is in `ImagePullBackOff` is Failed, like
 * `CrashLoopBackOff` (kstatus waits), because the kubelet has already retried the pull once.
 */
import type { KubeObject } from "../manifests/kube-object.ts";
import { type Condition, HealthStatus, type ObjectHealth } from "./health-status.ts";

/** Container waiting reasons that mean "this will not start without a change". */
const FAILED_CONTAINER_REASONS: ReadonlySet<string> = new Set([
  "CrashLoopBackOff",
  "ImagePullBackOff",
  "ErrImageNeverPull",
  "InvalidImageName",
  "CreateContainerConfigError",
  "CreateContainerError",
  "RunContainerError",
]);

/** A field of a JSON object, or undefined when the value is not an object. */
export function field(value: unknown, name: string): unknown {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)[name]
    : undefined;
}

/** A numeric field, or `fallback` when absent or not a number. */
function num(value: unknown, name: string, fallback = 0): number {
  const v = field(value, name);
  return typeof v === "number" ? v : fallback;
}

/** A string field, or undefined. */
export function str(value: unknown, name: string): string | undefined {
  const v = field(value, name);
  return typeof v === "string" ? v : undefined;
}

/** `status.conditions`, keeping only well-formed entries. */
function conditionsOf(object: KubeObject): Condition[] {
  const list = field(object.status, "conditions");
  if (!Array.isArray(list)) return [];
  return list.flatMap((c): Condition[] => {
    const type = str(c, "type");
    const status = str(c, "status");
    if (type === undefined || status === undefined) return [];
    const reason = str(c, "reason");
    const message = str(c, "message");
    return [{ type, status, ...(reason ? { reason } : {}), ...(message ? { message } : {}) }];
  });
}

/** The condition of that type, if present. */
export function condition(object: KubeObject, type: string): Condition | undefined {
  return conditionsOf(object).find((c) => c.type === type);
}

function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf("/");
  return slash === -1 ? "" : apiVersion.slice(0, slash);
}

const inProgress = (message: string, reason?: string): ObjectHealth =>
  reason
    ? { status: HealthStatus.InProgress, message, reason }
    : { status: HealthStatus.InProgress, message };
const failed = (message: string, reason?: string): ObjectHealth =>
  reason ? { status: HealthStatus.Failed, message, reason } : { status: HealthStatus.Failed, message };
const current = (message: string): ObjectHealth => ({ status: HealthStatus.Current, message });

function conditionText(c: Condition): string {
  return [c.reason, c.message].filter(Boolean).join(": ") || `${c.type}=${c.status}`;
}

/**
 * kstatus' generic properties: deletion, observedGeneration, and the `Stalled` / `Reconciling`
 * conditions. Undefined means "nothing generic to say; apply the kind's own rules".
 */
function genericHealth(object: KubeObject): ObjectHealth | undefined {
  if (object.metadata.deletionTimestamp) {
    return { status: HealthStatus.Terminating, message: "being deleted" };
  }
  const generation = object.metadata.generation;
  const observed = field(object.status, "observedGeneration");
  if (typeof generation === "number" && typeof observed === "number" && observed < generation) {
    return inProgress(`controller has not observed generation ${generation} yet (observed ${observed})`);
  }
  const stalled = condition(object, "Stalled");
  if (stalled?.status === "True") return failed(conditionText(stalled), stalled.reason);
  const reconciling = condition(object, "Reconciling");
  if (reconciling?.status === "True") return inProgress(conditionText(reconciling), reconciling.reason);
  return undefined;
}

/** True when a workload controller has not written status for the current generation at all. */
function statusMissingForGeneration(object: KubeObject): boolean {
  const generation = object.metadata.generation;
  const observed = field(object.status, "observedGeneration");
  return typeof generation === "number" && typeof observed !== "number";
}

function deploymentHealth(object: KubeObject): ObjectHealth {
  if (statusMissingForGeneration(object)) return inProgress("waiting for the controller to observe it");
  const spec = object.spec;
  const status = object.status;
  const progressing = condition(object, "Progressing");
  const want = num(spec, "replicas", 1);
  const updated = num(status, "updatedReplicas");
  const replicas = num(status, "replicas");
  const ready = num(status, "readyReplicas");
  const available = num(status, "availableReplicas");
  const counts = `${ready}/${want} ready`;
  if (progressing?.reason === "ProgressDeadlineExceeded") {
    return failed(
      `${counts}, ProgressDeadlineExceeded: ${progressing.message ?? "progress deadline exceeded"}`,
      "ProgressDeadlineExceeded",
    );
  }
  const failure = condition(object, "ReplicaFailure");
  if (failure?.status === "True") return inProgress(`${counts}, ${conditionText(failure)}`, failure.reason);
  if (field(spec, "paused") === true) return inProgress(`${counts}, rollout paused`, "Paused");
  if (updated < want) return inProgress(`${counts}, ${updated}/${want} updated`);
  if (replicas > updated)
    return inProgress(`${counts}, ${replicas - updated} old replicas pending termination`);
  if (ready < want) return inProgress(counts);
  if (available < updated) return inProgress(`${counts}, ${available}/${want} available`);
  if (progressing && !(progressing.status === "True" && progressing.reason === "NewReplicaSetAvailable")) {
    return inProgress(`${counts}, new ReplicaSet not yet available`);
  }
  const availableCondition = condition(object, "Available");
  if (availableCondition && availableCondition.status !== "True")
    return inProgress(`${counts}, not Available`);
  return current(`${counts}`);
}

function statefulSetHealth(object: KubeObject): ObjectHealth {
  if (statusMissingForGeneration(object)) return inProgress("waiting for the controller to observe it");
  const spec = object.spec;
  const status = object.status;
  if (str(field(spec, "updateStrategy"), "type") === "OnDelete") {
    return current("uses the OnDelete update strategy");
  }
  const want = num(spec, "replicas", 1);
  const replicas = num(status, "replicas");
  const ready = num(status, "readyReplicas");
  const available = num(status, "availableReplicas", ready);
  const updated = num(status, "updatedReplicas");
  const counts = `${ready}/${want} ready`;
  if (replicas < want) return inProgress(`${counts}, ${replicas}/${want} created`);
  if (ready < want) return inProgress(counts);
  if (available < want) return inProgress(`${counts}, ${available}/${want} available`);
  const partition = num(field(field(spec, "updateStrategy"), "rollingUpdate"), "partition", 0);
  if (partition > 0) {
    const expected = Math.max(0, want - partition);
    if (updated < expected)
      return inProgress(`${counts}, ${updated}/${expected} updated (partition ${partition})`);
    return current(`${counts}, partitioned rollout complete`);
  }
  if (updated < want) return inProgress(`${counts}, ${updated}/${want} updated`);
  const currentRevision = str(status, "currentRevision");
  const updateRevision = str(status, "updateRevision");
  if (updateRevision && currentRevision !== updateRevision) {
    return inProgress(`${counts}, waiting for revision ${updateRevision}`);
  }
  return current(counts);
}

function daemonSetHealth(object: KubeObject): ObjectHealth {
  if (statusMissingForGeneration(object)) return inProgress("waiting for the controller to observe it");
  const status = object.status;
  const desired = field(status, "desiredNumberScheduled");
  if (typeof desired !== "number") return inProgress("waiting for the controller to schedule it");
  const scheduled = num(status, "currentNumberScheduled");
  const updated = num(status, "updatedNumberScheduled");
  const available = num(status, "numberAvailable");
  const ready = num(status, "numberReady");
  const counts = `${ready}/${desired} ready`;
  if (scheduled < desired) return inProgress(`${counts}, ${scheduled}/${desired} scheduled`);
  if (updated < desired) return inProgress(`${counts}, ${updated}/${desired} updated`);
  if (available < desired) return inProgress(`${counts}, ${available}/${desired} available`);
  if (ready < desired) return inProgress(counts);
  return current(counts);
}

function replicaSetHealth(object: KubeObject): ObjectHealth {
  if (statusMissingForGeneration(object)) return inProgress("waiting for the controller to observe it");
  const spec = object.spec;
  const status = object.status;
  const want = num(spec, "replicas", 1);
  const ready = num(status, "readyReplicas");
  const available = num(status, "availableReplicas");
  const labeled = num(status, "fullyLabeledReplicas");
  const replicas = num(status, "replicas");
  const counts = `${ready}/${want} ready`;
  const failure = condition(object, "ReplicaFailure");
  if (failure?.status === "True") return inProgress(`${counts}, ${conditionText(failure)}`, failure.reason);
  if (labeled < want) return inProgress(`${counts}, ${labeled}/${want} labeled`);
  if (available < want) return inProgress(`${counts}, ${available}/${want} available`);
  if (ready < want) return inProgress(counts);
  if (replicas > want) return inProgress(`${counts}, ${replicas - want} pending termination`);
  return current(counts);
}

/** The first container (init containers first) that is waiting or terminated for a reason worth naming. */
export function podContainerProblem(
  pod: KubeObject,
): { container: string; reason: string; message: string; fatal: boolean; exitCode?: number } | undefined {
  const status = pod.status;
  const lists = [field(status, "initContainerStatuses"), field(status, "containerStatuses")];
  for (const list of lists) {
    if (!Array.isArray(list)) continue;
    for (const cs of list) {
      const name = str(cs, "name") ?? "?";
      const waiting = field(field(cs, "state"), "waiting");
      const reason = str(waiting, "reason");
      if (reason && reason !== "ContainerCreating" && reason !== "PodInitializing") {
        return {
          container: name,
          reason,
          message: str(waiting, "message") ?? "",
          fatal: FAILED_CONTAINER_REASONS.has(reason),
        };
      }
      const terminated = field(field(cs, "state"), "terminated");
      const exitCode = field(terminated, "exitCode");
      if (typeof exitCode === "number" && exitCode !== 0) {
        return {
          container: name,
          reason: str(terminated, "reason") ?? "Error",
          message: str(terminated, "message") ?? `exit code ${exitCode}`,
          fatal: false,
          exitCode,
        };
      }
    }
  }
  return undefined;
}

function podHealth(object: KubeObject): ObjectHealth {
  const status = object.status;
  const phase = str(status, "phase");
  if (phase === "Succeeded") return current("completed");
  if (phase === "Failed") {
    const problem = podContainerProblem(object);
    const why = problem
      ? `${problem.reason}${problem.message ? ` "${problem.message}"` : ""}`
      : (str(status, "reason") ?? "failed");
    return failed(`failed: ${why}`, problem?.reason ?? str(status, "reason") ?? "PodFailed");
  }
  const problem = podContainerProblem(object);
  if (problem?.fatal) {
    return failed(
      `container ${problem.container}: ${problem.reason}${problem.message ? ` "${problem.message}"` : ""}`,
      problem.reason,
    );
  }
  const scheduled = condition(object, "PodScheduled");
  if (scheduled?.status === "False")
    return inProgress(`not scheduled: ${conditionText(scheduled)}`, scheduled.reason);
  const ready = condition(object, "Ready");
  if (phase === "Running" && ready?.status === "True") return current("running and ready");
  if (problem) return inProgress(`container ${problem.container}: ${problem.reason}`, problem.reason);
  return inProgress(phase === "Running" ? "running, not ready" : `${(phase ?? "pending").toLowerCase()}`);
}

function jobHealth(object: KubeObject): ObjectHealth {
  const failedCondition = condition(object, "Failed") ?? condition(object, "FailureTarget");
  if (failedCondition?.status === "True")
    return failed(conditionText(failedCondition), failedCondition.reason);
  const complete = condition(object, "Complete");
  if (complete?.status === "True") return current("complete");
  const status = object.status;
  const succeeded = num(status, "succeeded");
  const completions = num(object.spec, "completions", 1);
  if (field(object.spec, "suspend") === true) return inProgress("suspended", "Suspended");
  return inProgress(
    `${succeeded}/${completions} completed, ${num(status, "active")} active, ${num(status, "failed")} failed`,
  );
}

function pvcHealth(object: KubeObject): ObjectHealth {
  const phase = str(object.status, "phase");
  if (phase === "Bound") return current("bound");
  if (phase === "Lost") return failed("claim lost its volume", "Lost");
  return inProgress(`not bound (${phase ?? "no phase yet"})`);
}

function serviceHealth(object: KubeObject): ObjectHealth {
  const spec = object.spec;
  if (str(spec, "type") === "LoadBalancer") {
    const ingress = field(field(object.status, "loadBalancer"), "ingress");
    if (!Array.isArray(ingress) || ingress.length === 0)
      return inProgress("waiting for a load balancer address");
    return current("load balancer ready");
  }
  if (str(spec, "type") !== "ExternalName" && !str(spec, "clusterIP")) return inProgress("no cluster IP yet");
  return current("exists");
}

function crdHealth(object: KubeObject): ObjectHealth {
  const names = condition(object, "NamesAccepted");
  if (names?.status === "False") return failed(conditionText(names), names.reason ?? "NamesNotAccepted");
  const established = condition(object, "Established");
  if (established?.status === "True") return current("established");
  return inProgress("not yet established");
}

function namespaceHealth(object: KubeObject): ObjectHealth {
  const phase = str(object.status, "phase");
  if (phase === "Terminating") return { status: HealthStatus.Terminating, message: "terminating" };
  return current("active");
}

/** Any other kind: a `Ready` condition when it has one (Flux, Crossplane, cert-manager…), else Current as soon as it exists. */
function conditionHealth(object: KubeObject): ObjectHealth {
  const ready = condition(object, "Ready");
  if (!ready) return current("exists");
  if (ready.status === "True") return current(ready.message ? `Ready: ${ready.message}` : "Ready");
  return inProgress(`not Ready: ${conditionText(ready)}`, ready.reason);
}

/** The health of a live object (undefined: it does not exist) by kstatus' rules, with pullbridge's stricter Job and Pod rules. */
export function computeObjectHealth(object: KubeObject | undefined): ObjectHealth {
  if (!object) return { status: HealthStatus.NotFound, message: "not found in the cluster" };
  const generic = genericHealth(object);
  if (generic) return generic;
  const group = groupOf(object.apiVersion);
  switch (`${object.kind}.${group}`) {
    case "Deployment.apps":
      return deploymentHealth(object);
    case "StatefulSet.apps":
      return statefulSetHealth(object);
    case "DaemonSet.apps":
      return daemonSetHealth(object);
    case "ReplicaSet.apps":
      return replicaSetHealth(object);
    case "Pod.":
      return podHealth(object);
    case "Job.batch":
      return jobHealth(object);
    case "PersistentVolumeClaim.":
      return pvcHealth(object);
    case "Service.":
      return serviceHealth(object);
    case "CustomResourceDefinition.apiextensions.k8s.io":
      return crdHealth(object);
    case "Namespace.":
      return namespaceHealth(object);
    default:
      return conditionHealth(object);
  }
}

/**
 * The health of a hook object: a hook is done when it ran to the end, so a Pod is Current only
 * once Succeeded (a running, ready Pod is still in progress); any other kind as by kstatus.
 */
export function computeHookHealth(object: KubeObject | undefined): ObjectHealth {
  if (object && object.kind === "Pod" && object.apiVersion === "v1") {
    const health = computeObjectHealth(object);
    if (health.status === HealthStatus.Current && str(object.status, "phase") !== "Succeeded") {
      return inProgress("running");
    }
    return health;
  }
  return computeObjectHealth(object);
}
