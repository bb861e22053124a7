/**
 * infra/rbac/preview-environments.yaml, applied to the real API server: the worker group may
 * create a namespace and bind the preview role in a preview environment's namespace, and delete
 * such a namespace — but it cannot change or delete any other namespace, nor bind the preview
 * role elsewhere (the ValidatingAdmissionPolicy narrows what RBAC cannot).
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  ApiException,
  CoreV1Api,
  type KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
  RbacAuthorizationV1Api,
} from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { createTestNamespace, kubeConfigFor, uniqueName } from "../../support/kube.ts";

const RBAC_FILE = join(import.meta.dirname, "..", "..", "..", "infra", "rbac", "preview-environments.yaml");
const LABEL = "pullbridge.io/preview-environment";

async function statusOf(request: Promise<unknown>): Promise<number> {
  try {
    await request;
    return 200;
  } catch (error) {
    if (error instanceof ApiException) return error.code;
    throw error;
  }
}

const binding = (namespace: string) => ({
  namespace,
  body: {
    metadata: { name: "pullbridge-preview-worker", namespace },
    roleRef: {
      apiGroup: "rbac.authorization.k8s.io",
      kind: "ClusterRole",
      name: "pullbridge-preview-worker",
    },
    subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: "pullbridge:workers" }],
  },
});

describe("infra/rbac/preview-environments.yaml", () => {
  it("lets the worker group create, bind and delete preview namespaces, and touch no other", async () => {
    // Prepare
    const admin = KubernetesObjectApi.makeApiClient(kubeConfigFor("admin"));
    for (const doc of parseAllDocuments(await readFile(RBAC_FILE, "utf8"))) {
      await admin.patch(
        doc.toJS() as KubernetesObject,
        undefined,
        undefined,
        "rbac-test",
        true,
        PatchStrategy.ServerSideApply,
      );
    }
    const worker = kubeConfigFor("worker").makeApiClient(CoreV1Api);
    const workerRbac = kubeConfigFor("worker").makeApiClient(RbacAuthorizationV1Api);
    const preview = uniqueName("pvrbac");
    const foreign = await createTestNamespace("pvforeign");

    // RBAC and the policy reach the authorizer and admission a moment after they are written:
    // wait until a dry-run of the refused binding is refused (dry-runs go through admission).
    for (let i = 0; i < 100; i++) {
      const probe = await statusOf(
        workerRbac.createNamespacedRoleBinding({ ...binding(foreign), dryRun: "All" }),
      );
      if (probe === 403) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    // Act
    const created = await statusOf(
      worker.createNamespace({ body: { metadata: { name: preview, labels: { [LABEL]: "web-pr-1" } } } }),
    );
    const boundInPreview = await statusOf(workerRbac.createNamespacedRoleBinding(binding(preview)));
    const boundInForeign = await statusOf(workerRbac.createNamespacedRoleBinding(binding(foreign)));
    const relabelForeign = await statusOf(
      worker.patchNamespace({
        name: foreign,
        body: [{ op: "add", path: `/metadata/labels/${LABEL.replace("/", "~1")}`, value: "x" }],
      }),
    );
    const deleteForeign = await statusOf(worker.deleteNamespace({ name: foreign }));
    const deletePreview = await statusOf(worker.deleteNamespace({ name: preview }));

    // Assess
    expect(created).toBe(200);
    expect(boundInPreview).toBe(200);
    expect(boundInForeign).toBe(403);
    expect(relabelForeign).toBe(403);
    expect(deleteForeign).toBe(403);
    expect(deletePreview).toBe(200);
  });
});
