/**
 * The namespace of a pull request's preview environment: created (labelled as the environment's)
 * before its first sync, with a RoleBinding that gives the worker's group the namespaced rights of
 * the `pullbridge-preview-worker` ClusterRole there; deleted with the environment. Only a
 * namespace carrying the environment's label is ever taken over or deleted, so an environment can
 * never claim or remove a namespace pullbridge did not create for it (infra/rbac/preview-environments.yaml
 * lets the cluster enforce the same).
 */

import { setTimeout as sleep } from "node:timers/promises";
import type { ApiResource, ClusterPort } from "../cluster/cluster-port.ts";
import { ClusterError, SyncRefusedError } from "../errors.ts";

/** The label marking a namespace as a preview environment's (its value: the environment's target name). */
export const ENVIRONMENT_LABEL = "pullbridge.io/preview-environment";

/** The ClusterRole bound in each environment namespace (infra/rbac/preview-environments.yaml). */
const PREVIEW_WORKER_ROLE = "pullbridge-preview-worker";

/**
 * The Kubernetes group the worker's identity is mapped to (the EKS access entry's group,
 * serverless.yml `eksAccessGroup`; infra/rbac uses the same name).
 */
const WORKER_GROUP = "pullbridge:workers";

type Options = { namespace: string; environment: string; signal?: AbortSignal | undefined };

async function resource(cluster: ClusterPort, apiVersion: string, kind: string, signal?: AbortSignal) {
  const found = (await cluster.discover({ signal })).resolve({ apiVersion, kind });
  if (found === undefined) throw new SyncRefusedError(`the cluster does not serve ${kind} (${apiVersion})`);
  return found;
}

/** Refuses a namespace that exists but is not this environment's. */
function refuseForeign(live: { metadata?: { labels?: Record<string, string> } }, options: Options): void {
  const owner = live.metadata?.labels?.[ENVIRONMENT_LABEL];
  if (owner === options.environment) return;
  throw new SyncRefusedError(
    `namespace ${options.namespace} exists and is not preview environment ${options.environment}'s (${owner === undefined ? `no ${ENVIRONMENT_LABEL} label` : `it is ${owner}'s`}): pullbridge deletes an environment's namespace with it, so it never takes over one it did not create`,
  );
}

/** Creates the environment's namespace and the worker's RoleBinding in it, when missing (no write when both exist). */
export async function ensureEnvironmentNamespace(cluster: ClusterPort, options: Options): Promise<void> {
  const { namespace, environment, signal } = options;
  const namespaces = await resource(cluster, "v1", "Namespace", signal);
  const live = await cluster.get({ resource: namespaces, name: namespace, signal });
  const labels = { [ENVIRONMENT_LABEL]: environment, "app.kubernetes.io/managed-by": "pullbridge" };
  // Created, never applied: RBAC grants `create` on namespaces and rolebindings but not `patch`, so
  // the worker can make an environment's namespace without being able to change any other.
  const create = cluster.create?.bind(cluster);
  if (create === undefined) throw new SyncRefusedError("this cluster client cannot create objects");
  if (live !== undefined) refuseForeign(live, options);
  else {
    const created = await create({
      resource: namespaces,
      object: { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace, labels } },
      dryRun: false,
      signal,
    });
    // Taken between the read and the create (a retry, or someone else): whose is it?
    if (created === "exists") {
      refuseForeign((await cluster.get({ resource: namespaces, name: namespace, signal })) ?? {}, options);
    }
  }
  const bindings = await resource(cluster, "rbac.authorization.k8s.io/v1", "RoleBinding", signal);
  const location = { resource: bindings, namespace, name: PREVIEW_WORKER_ROLE, signal };
  if ((await cluster.get(location)) !== undefined) return;
  await create({
    resource: bindings,
    object: {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: PREVIEW_WORKER_ROLE, namespace, labels },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: PREVIEW_WORKER_ROLE },
      subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: WORKER_GROUP }],
    },
    dryRun: false,
    signal,
  });
  await untilBindingApplies(cluster, namespace, signal);
}

/** How long a new RoleBinding may take to reach the API server's authorizer. */
const RBAC_PROPAGATION_MS = 15_000;
const RBAC_POLL_MS = 200;

/**
 * RBAC reaches the authorizer through an informer, a moment after the RoleBinding is written:
 * the first sync would be refused (403) without this wait. Polls a read the binding grants.
 */
async function untilBindingApplies(
  cluster: ClusterPort,
  namespace: string,
  signal?: AbortSignal,
): Promise<void> {
  const secrets = await resource(cluster, "v1", "Secret", signal);
  const deadline = Date.now() + RBAC_PROPAGATION_MS;
  for (;;) {
    try {
      await cluster.get({ resource: secrets, namespace, name: "pullbridge-rbac-probe", signal });
      return;
    } catch (error) {
      const forbidden = error instanceof ClusterError && error.status === 403;
      if (!forbidden || Date.now() >= deadline) throw error;
      await sleep(RBAC_POLL_MS, undefined, { signal });
    }
  }
}

/** Deletes the environment's namespace (everything in it goes with it); `gone` when it no longer existed. */
export async function deleteEnvironmentNamespace(
  cluster: ClusterPort,
  options: Options,
): Promise<"deleted" | "gone"> {
  const namespaces: ApiResource = await resource(cluster, "v1", "Namespace", options.signal);
  const live = await cluster.get({ resource: namespaces, name: options.namespace, signal: options.signal });
  if (live === undefined) return "gone";
  refuseForeign(live, options);
  return await cluster.delete({
    resource: namespaces,
    name: options.namespace,
    uid: live.metadata?.uid,
    signal: options.signal,
  });
}
