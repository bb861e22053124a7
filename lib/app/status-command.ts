/**
 * `pullbridge status`: what each target last synced, read from the ApplySet parents — the
 * cluster is the record, so this works without the bridge, its queue or its logs. With a targets
 * file every target is looked up; without one, pullbridge's parents are found by label.
 */
import type { ApiResource, ClusterPort } from "../cluster/cluster-port.ts";
import { applySetParentName } from "../config/targets.ts";
import { describeError } from "../errors.ts";
import type { KubeObject } from "../manifests/kube-object.ts";
import {
  ApplySetAnnotation,
  ApplySetLabel,
  PullbridgeAnnotation,
  TOOLING_NAME,
} from "../sync/applyset-id.ts";
import { readApplySetParent, type SyncSummaryCounts } from "../sync/applyset-parent.ts";

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
};

export type StatusQuery =
  /** The targets of a targets file (or a single `--target`). */
  | { kind: "targets"; targets: ReadonlyArray<{ name: string; namespace: string }> }
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

function statusOf(target: string, namespace: string, parent: KubeObject | undefined): TargetStatus {
  const name = applySetParentName({ name: target });
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
          return statusOf(t.name, t.namespace, parent);
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
      // Only parents pullbridge named itself: `pullbridge-<target>` with the target annotation.
      if (!target || !namespace || s.metadata.name !== applySetParentName({ name: target })) return [];
      return [statusOf(target, namespace, s)];
    })
    .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.target.localeCompare(b.target));
}
