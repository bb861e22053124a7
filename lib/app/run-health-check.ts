/**
 * The health consumer's use case: one delayed health check for one synced commit. It reads the
 * target's ApplySet parent (has a newer sync replaced this commit?), LISTs each kind the sync
 * applied once per namespace (by the ApplySet's `part-of` label), and — only for namespaces whose
 * workloads are not healthy yet — their pods, ReplicaSets and events, to name the reason. Then:
 * every object Current → `success` with the time to healthy; one Failed → `failure` at once with
 * its reason; the deadline passed → `failure` naming what is not ready; else the `pending` text
 * is posted if it changed and the next check is queued with backoff. No Lambda ever waits.
 */
import { type ApiResource, type ClusterPort, subtractRequestCounts } from "../cluster/cluster-port.ts";
import { applySetParentName, type Target, type TargetsFile } from "../config/targets.ts";
import { ConfigError, describeError } from "../errors.ts";
import type { JobGitHubFactory } from "../github/job-github-ports.ts";
import {
  assessHealth,
  type HealthAssessment,
  type HealthRule,
  type HealthSubject,
  needsLiveRead,
  subjectGroupKind,
  subjectKey,
  subjectOf,
} from "../health/assess-health.ts";
import { compileHealthRules } from "../health/cel-health-rules.ts";
import { isWorkloadKind, type WorkloadContext } from "../health/explain-workload.ts";
import {
  formatFailedDescription,
  formatHealthTable,
  formatHealthyDescription,
  formatTimeoutDescription,
  formatWaitingDescription,
} from "../health/format-health.ts";
import type { HealthCheck } from "../health/health-check-codec.ts";
import type { HealthCheckQueue } from "../health/health-check-queue.ts";
import { type HealthBackoff, healthCheckDelaySeconds } from "../health/health-schedule.ts";
import { HealthStatus } from "../health/health-status.ts";
import type { KubeObject } from "../manifests/kube-object.ts";
import { formatSupersededDescription } from "../reporting/format-description.ts";
import { ApplySetLabel } from "../sync/applyset-id.ts";
import { readApplySetParent } from "../sync/applyset-parent.ts";
import type { EmittedMetric } from "../telemetry/emitted-metric.ts";
import type { Log } from "../telemetry/log.ts";
import { HealthMetric } from "../telemetry/metric-names.ts";

export type HealthCheckDeps = {
  config: TargetsFile;
  github: JobGitHubFactory;
  /** The health identity: read rights only (its own IAM role / Kubernetes group). */
  connectCluster: (target: Target, purpose: "health") => Promise<ClusterPort>;
  queue: HealthCheckQueue;
  backoff: HealthBackoff;
  logger: Log;
  now: () => Date;
};

export type HealthCheckOutcome =
  | "healthy"
  | "failed"
  | "timed-out"
  | "waiting"
  | "superseded"
  | "replaced"
  | "unknown-target";

export type HealthCheckReport = {
  outcome: HealthCheckOutcome;
  target: string;
  sha: string;
  /** The status description this check decided on (posted only when it changed). */
  message: string;
  /** The verdict per object, when the check read the cluster. */
  assessment?: HealthAssessment | undefined;
  /** API requests this check sent (reads only). */
  requests: number;
  metrics: EmittedMetric[];
};

const count = (name: string, value: number): EmittedMetric => ({ name, value, unit: "Count" });
const millis = (name: string, value: number): EmittedMetric => ({ name, value, unit: "Milliseconds" });

/** Compiled CEL rules per target, once per container (the targets file does not change while it runs). */
const rulesCache = new WeakMap<Target, HealthRule[]>();
function rulesOf(target: Target): HealthRule[] {
  let rules = rulesCache.get(target);
  if (!rules) {
    try {
      rules = compileHealthRules(target.health.checks);
    } catch (error) {
      throw new ConfigError(`targets.${target.name}.health`, describeError(error), { cause: error });
    }
    rulesCache.set(target, rules);
  }
  return rules;
}

type Group = { resource: ApiResource | undefined; namespace: string | undefined; subjects: HealthSubject[] };

/** Reads what a check needs: one LIST per kind and namespace, then pods/ReplicaSets/events where a workload is not healthy. */
async function readLive(options: {
  cluster: ClusterPort;
  subjects: readonly HealthSubject[];
  rules: readonly HealthRule[];
  applySetId: string;
}): Promise<{ live: Map<string, KubeObject>; context: WorkloadContext; assessment: HealthAssessment }> {
  const { cluster, rules } = options;
  const discovery = await cluster.discover();
  const groups = new Map<string, Group>();
  for (const subject of options.subjects) {
    const groupKind = subjectGroupKind(subject);
    if (!needsLiveRead(groupKind, rules)) continue;
    const resource = discovery.preferred({ group: subject.group, kind: subject.kind });
    const namespace = resource?.namespaced ? subject.namespace : undefined;
    const key = `${groupKind}/${namespace ?? ""}`;
    const entry = groups.get(key) ?? { resource, namespace, subjects: [] };
    entry.subjects.push(subject);
    groups.set(key, entry);
  }
  const selector = `${ApplySetLabel.partOf}=${options.applySetId}`;
  const live = new Map<string, KubeObject>();
  await Promise.all(
    [...groups.values()].map(async (g) => {
      // A kind the server no longer serves (its CRD was deleted) leaves its objects NotFound.
      if (!g.resource) return;
      const { items } = await cluster.list({
        resource: g.resource,
        namespace: g.namespace,
        labelSelector: selector,
      });
      for (const item of items) {
        live.set(subjectKey(subjectOf(item)), item);
      }
    }),
  );
  const empty: WorkloadContext = { pods: [], replicaSets: [], events: [] };
  const first = assessHealth({ subjects: options.subjects, live, context: empty, rules });
  // Explaining costs reads; only namespaces with an unhealthy workload pay for it.
  const unhealthy = first.rows.filter(
    (r) => r.health.status !== HealthStatus.Current && isWorkloadKind(r.groupKind) && r.subject.namespace,
  );
  if (unhealthy.length === 0) return { live, context: empty, assessment: first };
  const namespaces = [...new Set(unhealthy.map((r) => r.subject.namespace ?? ""))];
  const needReplicaSets = new Set(
    unhealthy.filter((r) => r.groupKind === "Deployment.apps").map((r) => r.subject.namespace ?? ""),
  );
  const pods = discovery.preferred({ group: "", kind: "Pod" });
  const replicaSets = discovery.preferred({ group: "apps", kind: "ReplicaSet" });
  const events = discovery.preferred({ group: "", kind: "Event" });
  const context: { pods: KubeObject[]; replicaSets: KubeObject[]; events: KubeObject[] } = {
    pods: [],
    replicaSets: [],
    events: [],
  };
  await Promise.all(
    namespaces.flatMap((namespace) => [
      pods
        ? cluster
            .list({ resource: pods, namespace, labelSelector: "" })
            .then((r) => context.pods.push(...r.items))
        : Promise.resolve(),
      replicaSets && needReplicaSets.has(namespace)
        ? cluster
            .list({ resource: replicaSets, namespace, labelSelector: "" })
            .then((r) => context.replicaSets.push(...r.items))
        : Promise.resolve(),
      events
        ? cluster
            .list({ resource: events, namespace, labelSelector: "" })
            .then((r) => context.events.push(...r.items))
        : Promise.resolve(),
    ]),
  );
  return { live, context, assessment: assessHealth({ subjects: options.subjects, live, context, rules }) };
}

/** Runs one health check; throws only retryable errors (the message then returns to the queue). */
export async function runHealthCheck(deps: HealthCheckDeps, check: HealthCheck): Promise<HealthCheckReport> {
  const base = { target: check.target, sha: check.sha };
  const log = (message: string, fields: Record<string, unknown> = {}) =>
    deps.logger.info(message, { target: check.target, sha: check.sha, attempt: check.attempt, ...fields });
  const target = deps.config.targets.find((t) => t.name === check.target);
  if (!target || target.repo.toLowerCase() !== check.repo.toLowerCase()) {
    deps.logger.error("health check for an unknown target dropped", {
      target: check.target,
      repo: check.repo,
    });
    return {
      ...base,
      outcome: "unknown-target",
      message: `unknown target "${check.target}"`,
      requests: 0,
      metrics: [],
    };
  }
  const rules = rulesOf(target);
  const { reporter } = await deps.github({ installationId: check.installationId, repo: target.repo });
  const ref = { repo: target.repo, sha: check.sha, target: target.name, kind: "sync" as const };
  const cluster = await deps.connectCluster(target, "health");
  const before = cluster.requestCounts();
  const requestsSoFar = () => {
    const d = subtractRequestCounts(cluster.requestCounts(), before);
    return d.reads + d.writes + d.dryRuns;
  };
  const metrics: EmittedMetric[] = [count(HealthMetric.Checks, 1)];
  const finishMetrics = () => [...metrics, count(HealthMetric.ApiRequests, requestsSoFar())];

  // Superseded: a newer sync wrote the ApplySet parent after the one this check waits for.
  const parentName = applySetParentName(target);
  const parent = await cluster.getApplySetParent({ namespace: target.namespace, name: parentName });
  const inventory = readApplySetParent({ parent, name: parentName, namespace: target.namespace });
  const last = inventory.lastSync;
  if (last && Date.parse(last.time) > Date.parse(check.syncedAt)) {
    if (last.sha === check.sha) {
      // The same commit was synced again (drift correction): that sync's own check reports.
      log("health check replaced by a newer sync of the same commit", { syncedAt: last.time });
      return {
        ...base,
        outcome: "replaced",
        message: "replaced by a newer sync of the same commit",
        requests: requestsSoFar(),
        metrics: finishMetrics(),
      };
    }
    const description = formatSupersededDescription(last.sha);
    await reporter.finish({
      ...ref,
      state: "success",
      description,
      summary: `A newer commit (${last.sha}) was synced to \`${target.name}\` before this one became healthy; its health check reports from now on.`,
    });
    metrics.push(count(HealthMetric.Superseded, 1));
    log("health check superseded", { by: last.sha });
    return {
      ...base,
      outcome: "superseded",
      message: description,
      requests: requestsSoFar(),
      metrics: finishMetrics(),
    };
  }

  const { assessment } = await readLive({
    cluster,
    subjects: check.subjects,
    rules,
    applySetId: inventory.id,
  });
  const now = deps.now();
  const drift = check.drift ? "drift corrected: " : "";
  const ns = target.namespace;
  if (assessment.verdict === "current") {
    const timeToHealthyMs = Math.max(0, now.getTime() - Date.parse(check.appliedAt));
    const description = `${drift}${formatHealthyDescription({ objects: check.applied, timeToHealthyMs })}`;
    await reporter.finish({
      ...ref,
      state: "success",
      description,
      summary: `Every object pullbridge applied is rolled out and healthy (check ${check.attempt}).\n\n${formatHealthTable(assessment.rows)}`,
    });
    metrics.push(millis(HealthMetric.TimeToHealthy, timeToHealthyMs), count(HealthMetric.Healthy, 1));
    log("healthy", { timeToHealthyMs });
    return {
      ...base,
      outcome: "healthy",
      message: description,
      assessment,
      requests: requestsSoFar(),
      metrics: finishMetrics(),
    };
  }
  if (assessment.verdict === "failed") {
    const description = formatFailedDescription({ rows: assessment.rows, defaultNamespace: ns });
    await reporter.finish({
      ...ref,
      state: "failure",
      description,
      summary: `The objects were applied, but at least one will not become healthy without a change; pullbridge did not wait for the ${target.health.timeoutSeconds}s timeout.\n\n${formatHealthTable(assessment.rows)}`,
    });
    metrics.push(count(HealthMetric.Failed, 1));
    log("health check failed", { description });
    return {
      ...base,
      outcome: "failed",
      message: description,
      assessment,
      requests: requestsSoFar(),
      metrics: finishMetrics(),
    };
  }
  if (now.getTime() >= Date.parse(check.deadline)) {
    const description = formatTimeoutDescription({
      rows: assessment.rows,
      timeoutSeconds: target.health.timeoutSeconds,
      defaultNamespace: ns,
    });
    await reporter.finish({
      ...ref,
      state: "failure",
      description,
      summary: `The objects were applied, but not all of them became healthy within ${target.health.timeoutSeconds}s (\`health.timeoutSeconds\`).\n\n${formatHealthTable(assessment.rows)}`,
    });
    metrics.push(count(HealthMetric.TimedOut, 1));
    log("health check timed out", { description });
    return {
      ...base,
      outcome: "timed-out",
      message: description,
      assessment,
      requests: requestsSoFar(),
      metrics: finishMetrics(),
    };
  }
  const description = `${drift}${formatWaitingDescription({ applied: check.applied, rows: assessment.rows, defaultNamespace: ns })}`;
  if (description !== check.lastDescription) await reporter.pending({ ...ref, description });
  const next = check.attempt + 1;
  const delay = healthCheckDelaySeconds({
    attempt: next,
    backoff: deps.backoff,
    now,
    deadline: new Date(check.deadline),
  });
  // A queue failure is a retryable DependencyError: this message returns to the queue, and its
  // redelivery checks again and queues the next check then.
  await deps.queue.schedule({ ...check, attempt: next, lastDescription: description }, delay);
  log("waiting", { description, nextCheckInSeconds: delay });
  return {
    ...base,
    outcome: "waiting",
    message: description,
    assessment,
    requests: requestsSoFar(),
    metrics: finishMetrics(),
  };
}
