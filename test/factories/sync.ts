/** Builders for sync-engine tests: desired objects, targets, discovery indexes, and a write-limited cluster. */
import type { ApiResource, ClusterPort } from "../../lib/cluster/cluster-port.ts";
import { createDiscoveryIndex } from "../../lib/cluster/discovery.ts";
import { type Target, targetSchema } from "../../lib/config/targets.ts";
import type { DesiredObject, KubeObject } from "../../lib/manifests/kube-object.ts";

let line = 0;

/** Wraps an object as if the manifest loader had read it from `file`. */
export function desired(object: KubeObject, file = "manifests/app.yaml"): DesiredObject {
  line += 1;
  return { object, source: { file, document: 0, line, column: 1 } };
}

/** A validated Target (defaults applied) for `namespace`. */
export function aTarget(
  namespace: string,
  overrides: Partial<Omit<Target, "policy">> & { policy?: Partial<Target["policy"]> } = {},
): Target {
  const { policy, ...rest } = overrides;
  return targetSchema.parse({
    name: rest.name ?? namespace,
    repo: "acme/platform",
    cluster: "test",
    namespace,
    ...rest,
    policy: { ...(policy ?? {}) },
  });
}

export function configMap(
  namespace: string | undefined,
  name: string,
  data: Record<string, string> = { key: "value" },
  extra: { labels?: Record<string, string>; annotations?: Record<string, string> } = {},
): KubeObject {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name,
      ...(namespace === undefined ? {} : { namespace }),
      ...(extra.labels ? { labels: extra.labels } : {}),
      ...(extra.annotations ? { annotations: extra.annotations } : {}),
    },
    data,
  };
}

export function secret(namespace: string, name: string, stringData: Record<string, string>): KubeObject {
  return { apiVersion: "v1", kind: "Secret", metadata: { name, namespace }, type: "Opaque", stringData };
}

export function serviceAccount(namespace: string, name: string): KubeObject {
  return { apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace } };
}

export function service(namespace: string, name: string, port = 80): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace, labels: { app: name } },
    spec: { selector: { app: name }, ports: [{ name: "http", port, targetPort: 8080 }] },
  };
}

export function deployment(
  namespace: string,
  name: string,
  options: { image?: string; replicas?: number; cpu?: string } = {},
): KubeObject {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace, labels: { app: name } },
    spec: {
      replicas: options.replicas ?? 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            {
              name: "app",
              image: options.image ?? "nginx:1.27",
              args: ["--port", "8080"],
              ports: [{ containerPort: 8080 }],
              env: [{ name: "MODE", value: "production" }],
              resources: { requests: { cpu: options.cpu ?? "100m", memory: "64Mi" } },
            },
          ],
        },
      },
    },
  };
}

export function namespaceObject(name: string): KubeObject {
  return { apiVersion: "v1", kind: "Namespace", metadata: { name } };
}

/** A namespaced CRD `<plural>.<group>` with one served version `v1` and a permissive schema. */
export function crd(group: string, kind: string, plural: string): KubeObject {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${plural}.${group}` },
    spec: {
      group,
      scope: "Namespaced",
      names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
      versions: [
        {
          name: "v1",
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: "object",
              properties: {
                spec: {
                  type: "object",
                  properties: { size: { type: "integer" }, color: { type: "string" } },
                },
              },
            },
          },
        },
      ],
    },
  };
}

/** A discovery index serving the given resources (for pure tests). */
export function discoveryOf(resources: ApiResource[]) {
  const groups = new Map<string, ApiResource[]>();
  for (const r of resources) groups.set(r.group, [...(groups.get(r.group) ?? []), r]);
  return createDiscoveryIndex([
    {
      items: [...groups].map(([group, rs]) => ({
        metadata: { name: group },
        versions: [
          {
            version: rs[0]?.version ?? "v1",
            resources: rs.map((r) => ({
              resource: r.resource,
              responseKind: { group: r.group, version: r.version, kind: r.kind },
              scope: r.namespaced ? "Namespaced" : "Cluster",
            })),
          },
        ],
      })),
    },
  ]);
}

export const CONFIGMAPS: ApiResource = {
  group: "",
  version: "v1",
  kind: "ConfigMap",
  resource: "configmaps",
  namespaced: true,
};
export const SECRETS: ApiResource = {
  group: "",
  version: "v1",
  kind: "Secret",
  resource: "secrets",
  namespaced: true,
};
export const NAMESPACES: ApiResource = {
  group: "",
  version: "v1",
  kind: "Namespace",
  resource: "namespaces",
  namespaced: false,
};
export const CLUSTER_ROLES: ApiResource = {
  group: "rbac.authorization.k8s.io",
  version: "v1",
  kind: "ClusterRole",
  resource: "clusterroles",
  namespaced: false,
};
export const CRDS: ApiResource = {
  group: "apiextensions.k8s.io",
  version: "v1",
  kind: "CustomResourceDefinition",
  resource: "customresourcedefinitions",
  namespaced: false,
};
export const DEPLOYMENTS: ApiResource = {
  group: "apps",
  version: "v1",
  kind: "Deployment",
  resource: "deployments",
  namespaced: true,
};

/**
 * A ClusterPort that behaves like `inner` until `failAfterWrites` real writes have been sent,
 * then aborts every further request — a sync killed mid-apply (Lambda timeout, crash).
 */
export function interruptedAfterWrites(inner: ClusterPort, failAfterWrites: number): ClusterPort {
  const start = inner.requestCounts().writes;
  const guard = () => {
    if (inner.requestCounts().writes - start >= failAfterWrites) {
      throw new Error(`interrupted after ${failAfterWrites} writes`);
    }
  };
  return {
    ...inner,
    apply: async (o) => {
      if (!o.dryRun) guard();
      return await inner.apply(o);
    },
    delete: async (o) => {
      guard();
      return await inner.delete(o);
    },
    applyApplySetParent: async (o) => {
      guard();
      return await inner.applyApplySetParent(o);
    },
  };
}
