/**
 * `pullbridge status`: what each target last synced, read from the ApplySet parents — the
 * cluster is the record, so this works without the bridge, its queue or its logs. With a targets
 * file every target is looked up; without one, pullbridge's parents are found by label. Each
 * synced target's members get one health read (the health consumer's reads and assessment).
 */
import type { ApiResource, ClusterPort } from "../cluster/cluster-port.ts";
import { applySetParentName, environmentNameOf, type Target } from "../config/targets.ts";
import { describeError } from "../errors.ts";
import type { HealthAssessment } from "../health/assess-health.ts";
import { compileHealthRules } from "../health/cel-health-rules.ts";
import type { KubeObject } from "../manifests/kube-object.ts";
import type { DeploymentReporter, LatestDeployment } from "../reporting/deployment-reporter.ts";
import {
  ApplySetAnnotation,
  ApplySetLabel,
  PullbridgeAnnotation,
  TOOLING_NAME,
} from "../sync/applyset-id.ts";
import { readApplySetParent, type SyncSummaryCounts } from "../sync/applyset-parent.ts";
import { readMemberHealth } from "./read-health.ts";

const SECRETS: ApiResource = {
  group: "",
  version: "v1",
  kind: "Secret",
  resource: "secrets",
  namespaced: true,
};

/** One target's state as its ApplySet parent records it. */
export type TargetStatus = {
  target: string;
  namespace: string;
  /** `pullbridge-<target>`. */
  parent: string;
  /** `synced`: a sync wrote; `never-synced`: no parent (or one without a recorded sync); `error`: the parent could not be read or is not ours. */
  state: "synced" | "never-synced" | "error";
  applySetId?: string | undefined;
  lastSync?: { sha: string; time: string; counts: SyncSummaryCounts | undefined } | undefined;
  /** `Kind.group` the inventory says may hold members. */
  groupKinds: readonly string[];
  additionalNamespaces: readonly string[];
  /** Why `state` is `error`. */
  error?: string | undefined;
  /** The members' health now (objects with a status to report; ConfigMaps, Secrets, RBAC are not read). */
  health?: { assessment: HealthAssessment } | { error: string } | undefined;
  /** The environment's newest GitHub Deployment (with a targets file and a GitHub token). */
  deployment?: LatestDeployment | { error: string } | undefined;
};

/** A target to look up; with a targets file, its CEL health rules apply to its custom resources. */
type QueriedTarget = {
  name: string;
  namespace: string;
  health?: { checks: Target["health"]["checks"] } | undefined;
};

export type StatusQuery =
  /** The targets of a targets file (or a single `--target`). */
  | { kind: "targets"; targets: readonly QueriedTarget[] }
  /** Every pullbridge ApplySet parent in `namespace` (all namespaces when undefined). */
  | { kind: "discover"; namespace: string | undefined };

/** Parses the parent's `{"created":1,…}` summary; undefined when absent or malformed. */
export function parseSummaryCounts(summary: string): SyncSummaryCounts | undefined {
  try {
    const raw = JSON.parse(summary) as Record<string, unknown>;
    const n = (key: string) => (typeof raw[key] === "number" ? raw[key] : 0);
    return {
      created: n("created"),
      updated: n("updated"),
      unchanged: n("unchanged"),
      pruned: n("pruned"),
      skipped: n("skipped"),
    };
  } catch {
    return undefined;
  }
}

function statusOf(
  target: string,
  namespace: string,
  parent: KubeObject | undefined,
  name: string = applySetParentName({ name: target }),
): TargetStatus {
  const base = { target, namespace, parent: name, groupKinds: [], additionalNamespaces: [] };
  try {
    const inventory = readApplySetParent({ parent, name, namespace });
    return {
      ...base,
      state: inventory.lastSync ? "synced" : "never-synced",
      applySetId: inventory.id,
      lastSync: inventory.lastSync && {
        sha: inventory.lastSync.sha,
        time: inventory.lastSync.time,
        counts: parseSummaryCounts(inventory.lastSync.summary),
      },
      groupKinds: inventory.groupKinds,
      additionalNamespaces: inventory.additionalNamespaces,
    };
  } catch (error) {
    return { ...base, state: "error", error: error instanceof Error ? error.message : String(error) };
  }
}

/** Reads the status of every target the query names, in a stable order. One unreadable target does not hide the others. */
export async function readTargetStatuses(
  deps: { cluster: ClusterPort; signal?: AbortSignal | undefined; health?: boolean },
  query: StatusQuery,
): Promise<TargetStatus[]> {
  const statuses = await readParents(deps, query);
  if (deps.health === false) return statuses;
  const checks = new Map(
    query.kind === "targets" ? query.targets.map((t) => [t.name, t.health?.checks ?? []]) : [],
  );
  return await Promise.all(statuses.map((s) => withHealth(deps.cluster, s, checks.get(s.target) ?? [])));
}

/** One health read of a synced target's members; a read error (RBAC, unreachable) is reported on that target only. */
async function withHealth(
  cluster: ClusterPort,
  status: TargetStatus,
  checks: Target["health"]["checks"],
): Promise<TargetStatus> {
  if (status.state !== "synced" || status.applySetId === undefined) return status;
  try {
    const assessment = await readMemberHealth({
      cluster,
      groupKinds: status.groupKinds,
      namespaces: [status.namespace, ...status.additionalNamespaces],
      rules: compileHealthRules(checks),
      applySetId: status.applySetId,
    });
    return { ...status, health: { assessment } };
  } catch (error) {
    return { ...status, health: { error: describeError(error) } };
  }
}

async function readParents(
  deps: { cluster: ClusterPort; signal?: AbortSignal | undefined },
  query: StatusQuery,
): Promise<TargetStatus[]> {
  const { cluster, signal } = deps;
  if (query.kind === "targets") {
    return await Promise.all(
      query.targets.map(async (t) => {
        try {
          const parent = await cluster.getApplySetParent({
            namespace: t.namespace,
            name: applySetParentName(t),
            signal,
          });
          return statusOf(t.name, t.namespace, parent, applySetParentName(t));
        } catch (error) {
          return {
            target: t.name,
            namespace: t.namespace,
            parent: applySetParentName(t),
            state: "error" as const,
            groupKinds: [],
            additionalNamespaces: [],
            error: describeError(error),
          };
        }
      }),
    );
  }
  // Errors here (RBAC, unreachable) are the whole answer: let them reach the caller.
  const { items } = await cluster.list({
    resource: SECRETS,
    namespace: query.namespace,
    labelSelector: ApplySetLabel.id,
    signal,
  });
  return items
    .filter((s) =>
      (s.metadata.annotations?.[ApplySetAnnotation.tooling] ?? "").startsWith(`${TOOLING_NAME}/`),
    )
    .flatMap((s) => {
      const target = s.metadata.annotations?.[PullbridgeAnnotation.target];
      const namespace = s.metadata.namespace;
      // Only parents pullbridge named itself: `pullbridge-<target>`, or (a generated target, whose
      // inventory is named from its generator and source) `pullbridge-…` with the target annotation.
      const name = s.metadata.name;
      if (!target || !namespace || !name.startsWith("pullbridge-")) return [];
      return [statusOf(target, namespace, s, name)];
    })
    .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.target.localeCompare(b.target));
}

/**
 * Adds each target's last GitHub Deployment (2 REST calls per target): what GitHub's
 * Environments panel shows for it. A read error is reported on that target only.
 */
export async function withLastDeployments(
  deployments: DeploymentReporter,
  statuses: readonly TargetStatus[],
  targets: ReadonlyArray<Pick<Target, "name" | "repo" | "environment">>,
): Promise<TargetStatus[]> {
  const byName = new Map(targets.map((t) => [t.name, t]));
  return await Promise.all(
    statuses.map(async (status) => {
      const target = byName.get(status.target);
      if (target === undefined || !target.environment.deployments) return status;
      try {
        const latest = await deployments.latest(target.repo, environmentNameOf(target));
        return latest === undefined ? status : { ...status, deployment: latest };
      } catch (error) {
        return { ...status, deployment: { error: describeError(error) } };
      }
    }),
  );
}
