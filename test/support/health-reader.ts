/** Applies infra/rbac/health-reader-role.yaml — the documented read-only RBAC of the health consumer — to a test namespace. */
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import { createClusterClient } from "../../lib/cluster/adapters/kube-cluster-client.ts";
import type { KubeObject } from "../../lib/manifests/kube-object.ts";
import { kubeConfigFor } from "./kube.ts";

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The identity tests give the health consumer: only the `pullbridge:health` group (no system:masters). */
export const HEALTH_IDENTITY = { user: "pullbridge-health", groups: ["pullbridge:health"] };

/** Creates the health ClusterRole (once) and the bindings for `namespace` / `target`, as an admin. */
export async function grantHealthReader(namespace: string, target: string): Promise<void> {
  const text = (await readFile(join(repoRoot, "infra/rbac/health-reader-role.yaml"), "utf8"))
    .replaceAll("__NAMESPACE__", namespace)
    .replaceAll("__TARGET__", target);
  const admin = await createClusterClient({ kubeConfig: kubeConfigFor("admin") });
  const discovery = await admin.discover();
  for (const doc of parseAllDocuments(text)) {
    const object = doc.toJS() as KubeObject;
    const resource = discovery.resolve(object);
    if (!resource) throw new Error(`health RBAC: ${object.kind} is not served`);
    await admin.apply({ resource, object, force: true, dryRun: false });
  }
}
