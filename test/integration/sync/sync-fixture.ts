/** Shared set-up for sync integration tests: a namespace per test, the scoped worker identity, and snapshots. */
import { setTimeout } from "node:timers/promises";
import { RbacAuthorizationV1Api, type V1PolicyRule } from "@kubernetes/client-node";
import { createClusterClient } from "../../../lib/cluster/adapters/kube-cluster-client.ts";
import type { ClusterPort } from "../../../lib/cluster/cluster-port.ts";
import type { Target } from "../../../lib/config/targets.ts";
import type { DesiredObject, KubeObject } from "../../../lib/manifests/kube-object.ts";
import { type SyncDeps, type SyncOptions, syncTarget } from "../../../lib/sync/sync-target.ts";
import { PULLBRIDGE_VERSION } from "../../../lib/sync/tooling-version.ts";
import { aTarget } from "../../factories/sync.ts";
import { WORKER_USER } from "../../support/control-plane/control-plane.ts";
import { createTestNamespace, grantWorker, kubeConfigFor, uniqueName } from "../../support/kube.ts";

export async function workerCluster(): Promise<ClusterPort> {
  return await createClusterClient({ kubeConfig: kubeConfigFor("worker") });
}

export async function adminCluster(): Promise<ClusterPort> {
  return await createClusterClient({ kubeConfig: kubeConfigFor("admin") });
}

export const ALL_VERBS = ["get", "list", "watch", "create", "update", "patch", "delete"];

/** Grants `user` (default: the worker) cluster-wide rules (what a target with cluster-scoped objects needs). */
export async function grantClusterWide(rules: V1PolicyRule[], user = WORKER_USER): Promise<void> {
  const rbac = kubeConfigFor("admin").makeApiClient(RbacAuthorizationV1Api);
  const name = uniqueName("pullbridge-sync");
  await rbac.createClusterRole({ body: { metadata: { name }, rules } });
  await rbac.createClusterRoleBinding({
    body: {
      metadata: { name },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name },
      subjects: [{ kind: "User", name: user, apiGroup: "rbac.authorization.k8s.io" }],
    },
  });
}

/**
 * A client acting as a fresh identity with exactly `rules`, cluster-wide (granting those to the shared
 * worker identity would leak into other tests). Waits until RBAC lets it list ConfigMaps.
 */
export async function clusterWideIdentity(prefix: string, rules: V1PolicyRule[]): Promise<ClusterPort> {
  const user = uniqueName(prefix);
  await grantClusterWide(rules, user);
  const cluster = await createClusterClient({ kubeConfig: kubeConfigFor("admin"), impersonate: { user } });
  const resource = { group: "", version: "v1", kind: "ConfigMap", resource: "configmaps", namespaced: true };
  for (let attempt = 0; ; attempt++) {
    try {
      await cluster.list({ resource, labelSelector: "", pageSize: 1 });
      return cluster;
    } catch (error) {
      if (attempt >= 50) throw error;
      await setTimeout(100);
    }
  }
}

const FIXED_NOW = new Date("2026-01-02T03:04:05.000Z");

/** Runs a sync as the given cluster identity with test defaults (mode apply, revision "a1"). */
export async function runSync(
  cluster: ClusterPort,
  target: Target,
  desired: readonly DesiredObject[],
  overrides: Partial<Omit<SyncOptions, "target" | "desired">> = {},
  deps: Partial<Omit<SyncDeps, "cluster">> = {},
) {
  return await syncTarget(
    { cluster, toolingVersion: PULLBRIDGE_VERSION, ...deps },
    {
      target,
      desired,
      configuredTargets: [target],
      revision: { sha: "a1" },
      now: FIXED_NOW,
      mode: "apply",
      ...overrides,
    },
  );
}

/** A fresh namespace the worker may fully manage, and a target pointing at it. */
export async function workerNamespace(prefix: string, overrides: Parameters<typeof aTarget>[1] = {}) {
  const namespace = await createTestNamespace(prefix);
  await grantWorker(namespace);
  await untilWorkerCanList(namespace);
  const target = aTarget(namespace, overrides);
  return { namespace, target };
}

/**
 * RBAC reaches the authorizer through an informer, a moment after the RoleBinding is created;
 * without this wait a test's first request can be refused (a flaky 403, not the behaviour under test).
 */
export async function untilWorkerCanList(namespace: string): Promise<void> {
  const probe = await workerCluster();
  const resource = { group: "", version: "v1", kind: "ConfigMap", resource: "configmaps", namespaced: true };
  for (let attempt = 0; ; attempt++) {
    try {
      await probe.list({ resource, namespace, labelSelector: "", pageSize: 1 });
      return;
    } catch (error) {
      if (attempt >= 50) throw error;
      await setTimeout(100);
    }
  }
}

const SNAPSHOT_RESOURCES = ["configmaps", "secrets", "services", "serviceaccounts"] as const;

/** `Kind/name → resourceVersion` for every object of the common kinds in a namespace (read as admin). */
export async function resourceVersions(namespace: string): Promise<Map<string, string>> {
  const admin = await adminCluster();
  const versions = new Map<string, string>();
  const resources = [
    ...SNAPSHOT_RESOURCES.map((resource) => ({ group: "", version: "v1", resource })),
    { group: "apps", version: "v1", resource: "deployments" },
  ];
  const discovery = await admin.discover();
  for (const r of resources) {
    const kind = {
      configmaps: "ConfigMap",
      secrets: "Secret",
      services: "Service",
      serviceaccounts: "ServiceAccount",
      deployments: "Deployment",
    }[r.resource];
    if (!kind) continue;
    const resource = discovery.resolve({ apiVersion: r.group ? `${r.group}/${r.version}` : r.version, kind });
    if (!resource) continue;
    const { items } = await admin.list({ resource, namespace, labelSelector: "" });
    for (const item of items)
      versions.set(`${kind}/${item.metadata.name}`, item.metadata.resourceVersion ?? "");
  }
  return versions;
}

/** Reads one object as admin (undefined when absent). */
export async function readAsAdmin(options: {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}): Promise<KubeObject | undefined> {
  const admin = await adminCluster();
  const discovery = await admin.discover({ refresh: true });
  const resource = discovery.resolve(options);
  if (!resource) throw new Error(`${options.apiVersion} ${options.kind} not served`);
  return await admin.get({ resource, namespace: options.namespace, name: options.name });
}
