/** The RBAC bootstrap in infra/rbac/ gives the worker group one namespace and nothing else. */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  ApiException,
  type KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
} from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { createTestNamespace, kubeConfigFor } from "../../support/kube.ts";

const rbacFile = join(import.meta.dirname, "..", "..", "..", "infra", "rbac", "worker-namespace-role.yaml");

async function applyAs(identity: "admin" | "worker", object: KubernetesObject): Promise<number> {
  const api = KubernetesObjectApi.makeApiClient(kubeConfigFor(identity));
  try {
    await api.patch(object, undefined, undefined, "rbac-test", true, PatchStrategy.ServerSideApply);
    return 200;
  } catch (error) {
    if (error instanceof ApiException) return error.code;
    throw error;
  }
}

const deployment = (namespace: string): KubernetesObject =>
  ({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace },
    spec: {
      selector: { matchLabels: { app: "web" } },
      template: {
        metadata: { labels: { app: "web" } },
        spec: { containers: [{ name: "web", image: "nginx:1.27" }] },
      },
    },
  }) as KubernetesObject;

describe("infra/rbac/worker-namespace-role.yaml", () => {
  it("lets the worker group manage its namespace and nothing outside it", async () => {
    // Prepare
    const granted = await createTestNamespace("rbac");
    const other = await createTestNamespace("rbac-other");
    const text = (await readFile(rbacFile, "utf8")).replaceAll("__NAMESPACE__", granted);
    for (const doc of parseAllDocuments(text))
      expect(await applyAs("admin", doc.toJS() as KubernetesObject)).toBe(200);

    // Act
    const inGranted = await applyAs("worker", deployment(granted));
    const inOther = await applyAs("worker", deployment(other));
    const clusterRole = await applyAs("worker", {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: `escalate-${granted}` },
    } as KubernetesObject);

    // Assess
    expect(inGranted).toBe(200);
    expect(inOther).toBe(403);
    expect(clusterRole).toBe(403);
  });
});
