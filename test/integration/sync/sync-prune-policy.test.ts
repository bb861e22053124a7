import { CoreV1Api, RbacAuthorizationV1Api } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { SyncRefusedError } from "../../../lib/errors.ts";
import { ApplySetAnnotation, ApplySetLabel } from "../../../lib/sync/applyset-id.ts";
import { aTarget, configMap, desired } from "../../factories/sync.ts";
import { createTestNamespace, grantWorker, kubeConfigFor, uniqueName } from "../../support/kube.ts";
import {
  ALL_VERBS,
  clusterWideIdentity,
  readAsAdmin,
  runSync,
  untilWorkerCanList,
  workerCluster,
  workerNamespace,
} from "./sync-fixture.ts";

/** Edits the target's ApplySet parent as an admin would by hand (`kubectl annotate --overwrite`). */
async function tamperWithParent(namespace: string, name: string, annotations: Record<string, string>) {
  const core = kubeConfigFor("admin").makeApiClient(CoreV1Api);
  const parent = await core.readNamespacedSecret({ name, namespace });
  parent.metadata = { ...parent.metadata, annotations: { ...parent.metadata?.annotations, ...annotations } };
  await core.replaceNamespacedSecret({ name, namespace, body: parent });
}

describe("prune obeys the target's policy, whatever the ApplySet parent says", () => {
  it("a parent listing a namespace outside the policy is refused as tampered; nothing there is deleted", async () => {
    // Prepare
    const { namespace, target } = await workerNamespace("policyns");
    const outside = await createTestNamespace("outside");
    await grantWorker(outside);
    await untilWorkerCanList(outside);
    const cluster = await workerCluster();
    const set = [desired(configMap(namespace, "keep"))];
    const first = await runSync(cluster, target, set);
    const core = kubeConfigFor("admin").makeApiClient(CoreV1Api);
    await core.createNamespacedConfigMap({
      namespace: outside,
      body: { metadata: { name: "victim", labels: { [ApplySetLabel.partOf]: first.applySetId } } },
    });
    await tamperWithParent(namespace, `pullbridge-${target.name}`, {
      [ApplySetAnnotation.additionalNamespaces]: outside,
    });

    // Act
    const refused = await runSync(cluster, target, set).catch((e: unknown) => e);
    const planned = await runSync(cluster, target, set, { mode: "plan" }).catch((e: unknown) => e);

    // Assess
    for (const error of [refused, planned]) {
      expect(error).toBeInstanceOf(SyncRefusedError);
      expect((error as Error).message).toBe(
        `ApplySet parent Secret ${namespace}/pullbridge-${target.name} lists namespace ${outside} (not in policy.namespaces), ` +
          `beyond what target ${target.name}'s policy allows; it was edited outside pullbridge, or the policy was narrowed ` +
          `since the last sync. Refusing to list or prune through it: restore its ${ApplySetAnnotation.containsGroupKinds} / ` +
          `${ApplySetAnnotation.additionalNamespaces} annotations, or the policy`,
      );
    }
    expect(
      await readAsAdmin({ apiVersion: "v1", kind: "ConfigMap", namespace: outside, name: "victim" }),
    ).toBeDefined();
  });

  it("a parent listing a cluster-scoped kind is refused when the policy forbids cluster-scoped objects", async () => {
    // Prepare
    const namespace = await createTestNamespace("policycs");
    // Rights to delete ClusterRoles, so only the policy (not RBAC) can stop the prune.
    const cluster = await clusterWideIdentity("pullbridge-policy", [
      { apiGroups: [""], resources: ["configmaps", "secrets"], verbs: ALL_VERBS },
      { apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterroles"], verbs: ALL_VERBS },
    ]);
    const target = aTarget(namespace);
    const set = [desired(configMap(namespace, "keep"))];
    const first = await runSync(cluster, target, set);
    const role = uniqueName("victim");
    await kubeConfigFor("admin")
      .makeApiClient(RbacAuthorizationV1Api)
      .createClusterRole({
        body: { metadata: { name: role, labels: { [ApplySetLabel.partOf]: first.applySetId } }, rules: [] },
      });
    await tamperWithParent(namespace, `pullbridge-${target.name}`, {
      [ApplySetAnnotation.containsGroupKinds]: "ClusterRole.rbac.authorization.k8s.io,ConfigMap",
    });

    // Act
    const refused = await runSync(cluster, target, set).catch((e: unknown) => e);

    // Assess
    expect(refused).toBeInstanceOf(SyncRefusedError);
    expect((refused as Error).message).toContain(
      "lists cluster-scoped ClusterRole.rbac.authorization.k8s.io (policy.clusterScoped is false)",
    );
    const survivor = await readAsAdmin({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      name: role,
    });
    expect(survivor?.metadata.deletionTimestamp).toBeUndefined();
    expect(survivor?.metadata.name).toBe(role);
  });
});
