import {
  ApiException,
  CoreV1Api,
  type KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
} from "@kubernetes/client-node";
import { describe, expect, inject, it } from "vitest";
import { createTestNamespace, grantWorker, kubeConfigFor } from "../../support/kube.ts";

function configMap(
  namespace: string,
  name: string,
  data: Record<string, string>,
): KubernetesObject & { data: Record<string, string> } {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace }, data };
}

async function statusOf(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
    return 200;
  } catch (error) {
    if (error instanceof ApiException) return error.code;
    throw error;
  }
}

describe("test control plane", () => {
  it("is a real kube-apiserver serving TLS, at v1.34 or newer", () => {
    // Prepare / Act
    const cp = inject("controlPlane");

    // Assess
    expect(cp.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const [, minor] = /^v1\.(\d+)\./.exec(cp.version) ?? [];
    expect(Number(minor)).toBeGreaterThanOrEqual(34);
  });

  it("lets the admin create a namespace and a ConfigMap", async () => {
    // Prepare
    const core = kubeConfigFor("admin").makeApiClient(CoreV1Api);
    const namespace = await createTestNamespace("admin");

    // Act
    await core.createNamespacedConfigMap({
      namespace,
      body: configMap(namespace, "hello", { greeting: "hi" }),
    });

    // Assess
    const read = await core.readNamespacedConfigMap({ namespace, name: "hello" });
    expect(read.data).toEqual({ greeting: "hi" });
  });

  it("gives the worker identity no rights until a test grants them", async () => {
    // Prepare
    const namespace = await createTestNamespace("norights");
    const worker = kubeConfigFor("worker").makeApiClient(CoreV1Api);

    // Act
    const status = await statusOf(worker.listNamespacedConfigMap({ namespace }));

    // Assess
    expect(status).toBe(403);
  });

  it("lets the worker server-side-apply in a granted namespace and forbids it in another", async () => {
    // Prepare
    const granted = await createTestNamespace("granted");
    const other = await createTestNamespace("other");
    await grantWorker(granted);
    const objects = KubernetesObjectApi.makeApiClient(kubeConfigFor("worker"));
    const apply = (namespace: string) =>
      objects.patch(
        configMap(namespace, "applied", { owner: "pullbridge" }),
        undefined,
        undefined,
        "pullbridge",
        false,
        PatchStrategy.ServerSideApply,
      );

    // Act
    const applied = await apply(granted);
    const forbidden = await statusOf(apply(other));

    // Assess
    expect(applied.metadata?.managedFields?.map((f) => [f.manager, f.operation])).toEqual([
      ["pullbridge", "Apply"],
    ]);
    expect(forbidden).toBe(403);
    const adminCore = kubeConfigFor("admin").makeApiClient(CoreV1Api);
    expect(await statusOf(adminCore.readNamespacedConfigMap({ namespace: other, name: "applied" }))).toBe(
      404,
    );
  });
});
