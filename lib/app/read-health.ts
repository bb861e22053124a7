/**
 * Reading what a health verdict needs from the cluster, shared by the health consumer
 * (run-health-check.ts), `pullbridge sync --wait` and `pullbridge status`: one LIST per kind and
 * namespace (by the ApplySet's `part-of` label), then — only for namespaces whose workloads are
 * not healthy yet — their pods, ReplicaSets and events, to name the reason.
 */
import type { ApiResource, ClusterPort, DiscoveryIndex } from "../cluster/cluster-port.ts";
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
import { isWorkloadKind, type WorkloadContext } from "../health/explain-workload.ts";
import { HealthStatus } from "../health/health-status.ts";
import { HookMark } from "../lifecycle/hook-marks.ts";
import type { KubeObject } from "../manifests/kube-object.ts";
import { ApplySetLabel } from "../sync/applyset-id.ts";

type Group = {
  resource: ApiResource | undefined;
  namespace: string | undefined;
  subjects: HealthSubject[];
  /** Hook objects, found by their target's hook label rather than the ApplySet's `part-of`. */
  hook?: boolean;
};

type LiveHealth = { live: Map<string, KubeObject>; context: WorkloadContext; assessment: HealthAssessment };

/** Reads what a check needs: one LIST per kind and namespace, then pods/ReplicaSets/events where a workload is not healthy. */
export async function readLive(options: {
  cluster: ClusterPort;
  subjects: readonly HealthSubject[];
  rules: readonly HealthRule[];
  applySetId: string;
  /** The target's name: hook subjects are listed by `pullbridge.dev/hook-of=<target>`. */
  target?: string | undefined;
}): Promise<LiveHealth> {
  const { cluster, rules } = options;
  const discovery = await cluster.discover();
  const groups = new Map<string, Group>();
  for (const subject of options.subjects) {
    const groupKind = subjectGroupKind(subject);
    if (!needsLiveRead(groupKind, rules)) continue;
    const resource = discovery.preferred({ group: subject.group, kind: subject.kind });
    const namespace = resource?.namespaced ? subject.namespace : undefined;
    const hook = subject.hook === true;
    const key = `${hook ? "hook:" : ""}${groupKind}/${namespace ?? ""}`;
    const entry = groups.get(key) ?? { resource, namespace, subjects: [], hook };
    entry.subjects.push(subject);
    groups.set(key, entry);
  }
  const live = await listMembers(cluster, [...groups.values()], options.applySetId, options.target);
  return await explainAndAssess({ cluster, discovery, subjects: options.subjects, live, rules });
}

/**
 * The health of every member an ApplySet holds of `groupKinds` (as its parent lists them) in
 * `namespaces` — for `pullbridge status`, which has no sync result to take the subjects from.
 * Status-less kinds (ConfigMaps, Secrets, RBAC…) are not read: they have nothing to report.
 */
export async function readMemberHealth(options: {
  cluster: ClusterPort;
  /** `Kind.group` (`Kind` for the core group), as `applyset.kubernetes.io/contains-group-kinds`. */
  groupKinds: readonly string[];
  namespaces: readonly string[];
  rules: readonly HealthRule[];
  applySetId: string;
}): Promise<HealthAssessment> {
  const { cluster, rules } = options;
  const discovery = await cluster.discover();
  const groups: Group[] = [];
  for (const groupKind of options.groupKinds) {
    if (!needsLiveRead(groupKind, rules)) continue;
    const dot = groupKind.indexOf(".");
    const kind = dot === -1 ? groupKind : groupKind.slice(0, dot);
    const group = dot === -1 ? "" : groupKind.slice(dot + 1);
    const resource = discovery.preferred({ group, kind });
    if (!resource) continue;
    if (!resource.namespaced) groups.push({ resource, namespace: undefined, subjects: [] });
    else
      for (const namespace of new Set(options.namespaces)) groups.push({ resource, namespace, subjects: [] });
  }
  const live = await listMembers(cluster, groups, options.applySetId);
  const subjects = [...live.values()]
    .map(subjectOf)
    .sort((a, b) => subjectKey(a).localeCompare(subjectKey(b)));
  const { assessment } = await explainAndAssess({ cluster, discovery, subjects, live, rules });
  return assessment;
}

/** One LIST per group (kind and namespace), selected by the ApplySet's `part-of` label. */
async function listMembers(
  cluster: ClusterPort,
  groups: readonly Group[],
  applySetId: string,
  target?: string | undefined,
): Promise<Map<string, KubeObject>> {
  const members = `${ApplySetLabel.partOf}=${applySetId}`;
  const live = new Map<string, KubeObject>();
  await Promise.all(
    groups.map(async (g) => {
      // A kind the server no longer serves (its CRD was deleted) leaves its objects NotFound.
      if (!g.resource) return;
      const { items } = await cluster.list({
        resource: g.resource,
        namespace: g.namespace,
        labelSelector: g.hook ? `${HookMark.target}=${target ?? ""}` : members,
      });
      for (const item of items) {
        live.set(subjectKey({ ...subjectOf(item), ...(g.hook ? { hook: true as const } : {}) }), item);
      }
    }),
  );
  return live;
}

/** Assesses; where a workload is not healthy, reads its namespace's pods, ReplicaSets and events and assesses again with them. */
async function explainAndAssess(options: {
  cluster: ClusterPort;
  discovery: DiscoveryIndex;
  subjects: readonly HealthSubject[];
  live: Map<string, KubeObject>;
  rules: readonly HealthRule[];
}): Promise<LiveHealth> {
  const { cluster, discovery, live, rules } = options;
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
