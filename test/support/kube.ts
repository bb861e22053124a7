/** Test-side helpers for the shared control plane: kubeconfigs per identity, namespaces, RBAC grants. */
import { randomBytes } from "node:crypto";
import { CoreV1Api, KubeConfig, RbacAuthorizationV1Api, type V1PolicyRule } from "@kubernetes/client-node";
import { inject } from "vitest";
import { WORKER_GROUP, WORKER_USER } from "./control-plane/control-plane.ts";

/** Builds a KubeConfig for the shared control plane acting as the given identity. */
export function kubeConfigFor(identity: "admin" | "worker"): KubeConfig {
  const cp = inject("controlPlane");
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "test", server: cp.server, caData: Buffer.from(cp.caPem).toString("base64") }],
    users: [{ name: identity, token: cp[identity].token }],
    contexts: [{ name: identity, cluster: "test", user: identity }],
    currentContext: identity,
  });
  return kc;
}

/** A DNS-1123 name unique to this test run. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString("hex")}`;
}

/** Creates a fresh namespace for one test (namespaces never finish terminating here, so names are unique). */
export async function createTestNamespace(prefix = "t"): Promise<string> {
  const name = uniqueName(prefix);
  const core = kubeConfigFor("admin").makeApiClient(CoreV1Api);
  await core.createNamespace({
    body: { metadata: { name, labels: { "pullbridge.test/namespace": "true" } } },
  });
  return name;
}

/** Everything the sync worker needs inside one namespace: the common kinds, full verbs. */
const NAMESPACED_WORKER_RULES: V1PolicyRule[] = [
  {
    apiGroups: [
      "",
      "apps",
      "autoscaling",
      "batch",
      "networking.k8s.io",
      "policy",
      "rbac.authorization.k8s.io",
    ],
    resources: ["*"],
    verbs: ["get", "list", "watch", "create", "update", "patch", "delete"],
  },
];

/** Grants the worker identity a Role in one namespace (the only rights it will have there). */
export async function grantWorker(namespace: string, rules: V1PolicyRule[] = NAMESPACED_WORKER_RULES) {
  await grantWorkerIn(kubeConfigFor("admin"), namespace, rules);
}

/** Creates `namespace` with the given admin KubeConfig and grants the worker a Role in it (any control plane). */
export async function createGrantedNamespace(
  admin: KubeConfig,
  namespace: string,
  rules: V1PolicyRule[] = NAMESPACED_WORKER_RULES,
): Promise<void> {
  await admin.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });
  await grantWorkerIn(admin, namespace, rules);
}

async function grantWorkerIn(admin: KubeConfig, namespace: string, rules: V1PolicyRule[]) {
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  const name = "pullbridge-worker";
  await rbac.createNamespacedRole({ namespace, body: { metadata: { name }, rules } });
  await rbac.createNamespacedRoleBinding({
    namespace,
    body: {
      metadata: { name },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name },
      subjects: [
        { kind: "User", name: WORKER_USER, apiGroup: "rbac.authorization.k8s.io" },
        { kind: "Group", name: WORKER_GROUP, apiGroup: "rbac.authorization.k8s.io" },
      ],
    },
  });
}
