/**
 * Ignore rules against a real API server: a field another controller owns is handed over keeping
 * its live value (server-side apply would reset a field its only manager stops sending), never
 * reported as drift and never written back; fields not ignored still are.
 */
import { AppsV1Api, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { FIELD_MANAGER } from "../../../lib/cluster/cluster-port.ts";
import type { Target } from "../../../lib/config/targets.ts";
import type { KubeObject } from "../../../lib/manifests/kube-object.ts";
import { HANDOVER_MANAGER } from "../../../lib/sync/ignore-fields.ts";
import { deployment, desired } from "../../factories/sync.ts";
import { kubeConfigFor } from "../../support/kube.ts";
import { adminCluster, readAsAdmin, runSync, workerCluster, workerNamespace } from "./sync-fixture.ts";

const managers = (object: KubeObject | undefined) =>
  (
    (object?.metadata.managedFields ?? []) as Array<{
      manager?: string;
      fieldsV1?: { "f:spec"?: Record<string, unknown> };
    }>
  )
    .filter((m) => m.fieldsV1?.["f:spec"]?.["f:replicas"] !== undefined)
    .map((m) => m.manager)
    .sort();

/** What a controller does: an update of `spec.replicas` through the scale subresource, under its own manager. */
async function scaleAsController(namespace: string, name: string, replicas: number): Promise<void> {
  await kubeConfigFor("admin")
    .makeApiClient(AppsV1Api)
    .patchNamespacedDeploymentScale(
      { name, namespace, body: { spec: { replicas } }, fieldManager: "autoscaler" },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
}

/** The Deployment without `spec.replicas`, with another image. */
function withoutReplicas(object: KubeObject, image: string): KubeObject {
  const spec = structuredClone(object.spec) as {
    replicas?: number;
    template: { spec: { containers: Array<{ image: string }> } };
  };
  delete spec.replicas;
  const [container] = spec.template.spec.containers;
  if (container) container.image = image;
  return { ...object, spec };
}

describe("ignore rules on a real API server", () => {
  it("keeps the live value at the first sync after an ignore rule is added, handing the field over", async () => {
    // Prepare: pullbridge alone manages replicas: 3
    const { namespace, target } = await workerNamespace("ignore-handover", { ignoreHpaReplicas: false });
    const cluster = await workerCluster();
    await runSync(cluster, target, [desired(deployment(namespace, "web", { replicas: 3 }))]);
    const ignoring: Target = {
      ...target,
      ignore: [{ paths: ["/spec/replicas"], target: { kind: "Deployment" } }],
    };

    // Act: Git changes the image and (now ignored) replicas; the write must not reset the field
    const result = await runSync(cluster, ignoring, [
      desired(deployment(namespace, "web", { replicas: 1, image: "nginx:1.28" })),
    ]);
    const live = await readAsAdmin({ apiVersion: "apps/v1", kind: "Deployment", namespace, name: "web" });

    // Assess
    expect(result.counts.updated).toBe(1);
    expect(result.outcomes[0]?.ignored).toEqual(["/spec/replicas (ignore[0])"]);
    expect((live?.spec as { replicas?: number } | undefined)?.replicas).toBe(3);
    expect(
      (live?.spec as { template: { spec: { containers: Array<{ image: string }> } } } | undefined)?.template
        .spec.containers[0]?.image,
    ).toBe("nginx:1.28");
    expect(managers(live)).toEqual([HANDOVER_MANAGER]);
  });

  it("without the rule, the same write resets replicas to its default (why the hand-over exists)", async () => {
    // Prepare
    const { namespace, target } = await workerNamespace("ignore-reset", { ignoreHpaReplicas: false });
    const cluster = await workerCluster();
    await runSync(cluster, target, [desired(deployment(namespace, "web", { replicas: 3 }))]);

    // Act
    await runSync(cluster, target, [desired(withoutReplicas(deployment(namespace, "web"), "nginx:1.28"))]);
    const live = await readAsAdmin({ apiVersion: "apps/v1", kind: "Deployment", namespace, name: "web" });

    // Assess
    expect((live?.spec as { replicas?: number } | undefined)?.replicas).toBe(1);
  });

  it("a controller's value is neither drift nor taken back, while a hand edit of another field still is", async () => {
    // Prepare: an HPA in the set scales the Deployment (the built-in default ignores its replicas)
    const { namespace, target } = await workerNamespace("ignore-hpa");
    // The worker's test Role has no autoscaling rights: this one syncs as admin.
    const cluster = await adminCluster();
    const hpa: KubeObject = {
      apiVersion: "autoscaling/v2",
      kind: "HorizontalPodAutoscaler",
      metadata: { name: "web", namespace },
      spec: {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" },
        minReplicas: 2,
        maxReplicas: 5,
        metrics: [
          {
            type: "Resource",
            resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 80 } },
          },
        ],
      },
    };
    const set = [desired(deployment(namespace, "web", { replicas: 2 })), desired(hpa)];
    await runSync(cluster, target, set);
    await scaleAsController(namespace, "web", 4);

    // Act
    const quiet = await runSync(cluster, target, set);
    // A hand edit of the image (operation Update), which pullbridge takes back
    await kubeConfigFor("admin")
      .makeApiClient(AppsV1Api)
      .patchNamespacedDeployment(
        {
          name: "web",
          namespace,
          body: { spec: { template: { spec: { containers: [{ name: "app", image: "nginx:hand-edit" }] } } } },
          fieldManager: "kubectl-edit",
        },
        setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch),
      );
    const corrected = await runSync(cluster, target, set);
    const live = await readAsAdmin({ apiVersion: "apps/v1", kind: "Deployment", namespace, name: "web" });

    // Assess
    expect(quiet.changed).toBe(false);
    expect(quiet.outcomes.find((o) => o.object.startsWith("Deployment"))?.ignored).toEqual([
      "/spec/replicas (HorizontalPodAutoscaler web scales it)",
    ]);
    expect(corrected.drift).toBe(true);
    expect(corrected.counts.updated).toBe(1);
    const spec = live?.spec as {
      replicas: number;
      template: { spec: { containers: Array<{ image: string }> } };
    };
    expect(spec.replicas).toBe(4);
    expect(spec.template.spec.containers[0]?.image).toBe("nginx:1.27");
    expect(managers(live)).not.toContain(FIELD_MANAGER);
  });
});
