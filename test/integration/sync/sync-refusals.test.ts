import { CoreV1Api, KubernetesObjectApi, PatchStrategy } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { ClusterError, SyncRefusedError } from "../../../lib/errors.ts";
import { ApplySetAnnotation, ApplySetLabel, computeApplySetId } from "../../../lib/sync/applyset-id.ts";
import { configMap, deployment, desired, secret } from "../../factories/sync.ts";
import { createTestNamespace, grantWorker, kubeConfigFor } from "../../support/kube.ts";
import {
  adminCluster,
  readAsAdmin,
  resourceVersions,
  runSync,
  untilWorkerCanList,
  workerCluster,
  workerNamespace,
} from "./sync-fixture.ts";

/** Server-side applies as another field manager (a person with kubectl, another controller). */
async function applyAsOtherManager(object: ReturnType<typeof configMap>, force: boolean) {
  const api = KubernetesObjectApi.makeApiClient(kubeConfigFor("admin"));
  await api.patch(object, undefined, undefined, "other-team", force, PatchStrategy.ServerSideApply);
}

/** An imperative JSON patch (operation Update in managedFields), as `kubectl edit` or a script would do. */
async function editAsAnotherClient(
  namespace: string,
  name: string,
  op: { op: "replace"; path: string; value: string },
) {
  const core = kubeConfigFor("admin").makeApiClient(CoreV1Api);
  await core.patchNamespacedConfigMap({ namespace, name, body: [op] });
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(outcome instanceof Error)) throw new Error("expected the sync to fail");
  return outcome;
}

describe("syncTarget refusals (nothing is written)", () => {
  it("an invalid field fails the whole-set dry-run: the error names the object, and zero writes happen", async () => {
    // Prepare
    const { namespace, target } = await workerNamespace("invalid");
    const cluster = await workerCluster();
    const broken = deployment(namespace, "broken");
    (broken.spec as Record<string, unknown>).replicas = "three";
    const set = [
      desired(configMap(namespace, "fine")),
      desired(broken, "apps/broken.yaml"),
      desired(secret(namespace, "s", { a: "b" })),
    ];

    // Act
    const error = await failure(runSync(cluster, target, set));

    // Assess
    expect(error).toBeInstanceOf(SyncRefusedError);
    expect(error.message).toContain(
      `server-side dry-run refused Deployment.apps ${namespace}/broken (apps/broken.yaml:`,
    );
    expect(error.message).toContain("nothing was applied");
    expect((error as SyncRefusedError).object).toBe(`Deployment.apps ${namespace}/broken`);
    expect(cluster.requestCounts().writes).toBe(0);
    expect(await resourceVersions(namespace)).toEqual(new Map()); // not even the parent
  });

  it("an unknown field is refused too (strict field validation)", async () => {
    // Prepare
    const { namespace, target } = await workerNamespace("strict");
    const cluster = await workerCluster();
    const typo = { ...configMap(namespace, "typo"), dta: { a: "b" } };

    // Act
    const error = await failure(runSync(cluster, target, [desired(typo)]));

    // Assess
    expect(error).toBeInstanceOf(SyncRefusedError);
    expect(error.message).toMatch(/\.dta: field not declared in schema/);
    expect(cluster.requestCounts().writes).toBe(0);
  });

  it("the worker cannot read a namespace it has no rights in: a clear permanent error, zero writes", async () => {
    // Prepare
    const { namespace, target: base } = await workerNamespace("granted");
    const other = await createTestNamespace("denied");
    const target = { ...base, policy: { ...base.policy, namespaces: [namespace, other] } };
    const cluster = await workerCluster();

    // Act
    const error = await failure(
      runSync(cluster, target, [desired(configMap(namespace, "mine")), desired(configMap(other, "theirs"))]),
    );

    // Assess
    expect(error).toBeInstanceOf(ClusterError);
    expect((error as ClusterError).retryable).toBe(false);
    expect((error as ClusterError).status).toBe(403);
    expect(error.message).toContain(`ConfigMap in ${other}`);
    expect(error.message).toMatch(/forbidden/i);
    expect(cluster.requestCounts().writes).toBe(0);
  });

  it("the worker may read but not write a namespace: the dry-run refuses with the RBAC reason, zero writes", async () => {
    // Prepare
    const { namespace, target: base } = await workerNamespace("rw");
    const readOnly = await createTestNamespace("ro");
    await grantWorker(readOnly, [{ apiGroups: [""], resources: ["*"], verbs: ["get", "list"] }]);
    await untilWorkerCanList(readOnly);
    const target = { ...base, policy: { ...base.policy, namespaces: [namespace, readOnly] } };
    const cluster = await workerCluster();

    // Act
    const error = await failure(
      runSync(cluster, target, [
        desired(configMap(namespace, "mine")),
        desired(configMap(readOnly, "theirs")),
      ]),
    );

    // Assess
    expect(error).toBeInstanceOf(SyncRefusedError);
    expect(error.message).toContain(`ConfigMap ${readOnly}/theirs`);
    expect(error.message).toMatch(/403 Forbidden/);
    expect(cluster.requestCounts().writes).toBe(0);
    expect(
      await readAsAdmin({ apiVersion: "v1", kind: "ConfigMap", namespace, name: "mine" }),
    ).toBeUndefined();
  });

  it("objects outside the target's allowed namespaces are refused before any request to them", async () => {
    // Prepare
    const { namespace, target } = await workerNamespace("policy");
    const cluster = await workerCluster();

    // Act
    const error = await failure(runSync(cluster, target, [desired(configMap("kube-system", "sneaky"))]));

    // Assess
    expect(error).toBeInstanceOf(SyncRefusedError);
    expect(error.message).toContain(
      `namespace kube-system is outside the target's allowed namespaces (${namespace})`,
    );
    expect(cluster.requestCounts().writes).toBe(0);
  });

  it("a field conflict with another manager is reported, naming the manager and the field", async () => {
    // Prepare
    const { namespace, target } = await workerNamespace("conflict");
    const cluster = await workerCluster();
    await runSync(cluster, target, [desired(configMap(namespace, "shared", { level: "info" }))]);
    await applyAsOtherManager(configMap(namespace, "shared", { level: "debug" }), true);
    const writes = cluster.requestCounts().writes;

    // Act
    const error = await failure(
      runSync(cluster, target, [desired(configMap(namespace, "shared", { level: "warn" }))]),
    );

    // Assess
    expect(error).toBeInstanceOf(SyncRefusedError);
    expect(error.message).toContain(`ConfigMap ${namespace}/shared`);
    expect(error.message).toContain('field conflict: conflict with "other-team"');
    expect(error.message).toContain(".data.level");
    expect(error.message).toContain("forceConflicts");
    expect(cluster.requestCounts().writes).toBe(writes);
  });

  it("a field conflict is forced when the target says so", async () => {
    // Prepare
    const { namespace, target } = await workerNamespace("force");
    const cluster = await workerCluster();
    await runSync(cluster, target, [desired(configMap(namespace, "shared", { level: "info" }))]);
    await applyAsOtherManager(configMap(namespace, "shared", { level: "debug" }), true);

    // Act
    const result = await runSync(cluster, { ...target, forceConflicts: true }, [
      desired(configMap(namespace, "shared", { level: "warn" })),
    ]);

    // Assess
    expect(result.counts.updated).toBe(1);
    const live = await readAsAdmin({ apiVersion: "v1", kind: "ConfigMap", namespace, name: "shared" });
    expect(live?.data).toEqual({ level: "warn" });
  });

  it("a field changed imperatively (kubectl edit) is drift: plan reports it, apply takes it back", async () => {
    // Prepare
    const { namespace, target } = await workerNamespace("drift");
    const cluster = await workerCluster();
    const set = [desired(configMap(namespace, "app", { color: "blue" }))];
    await runSync(cluster, target, set);
    await editAsAnotherClient(namespace, "app", { op: "replace", path: "/data/color", value: "hacked" });
    const before = await resourceVersions(namespace);

    // Act
    const planned = await runSync(cluster, target, set, { mode: "plan" });
    const afterPlan = await resourceVersions(namespace);
    const applied = await runSync(cluster, target, set);
    const again = await runSync(cluster, target, set);

    // Assess
    expect(planned.outcomes[0]).toMatchObject({
      outcome: "updated",
      reason: 'drift: .data.color changed by "kubernetes-client-javascript"; taken back',
    });
    expect(planned.drift).toBe(true);
    expect(afterPlan).toEqual(before);
    expect(applied.counts.updated).toBe(1);
    expect(applied.drift).toBe(true);
    const live = await readAsAdmin({ apiVersion: "v1", kind: "ConfigMap", namespace, name: "app" });
    expect(live?.data).toEqual({ color: "blue" });
    expect(again.changed).toBe(false);
  });

  it("onDrift stop applies new manifests but stops before the first write when the change is drift", async () => {
    // Prepare
    const { namespace, target } = await workerNamespace("drift-stop");
    const cluster = await workerCluster();
    const first = [desired(configMap(namespace, "app", { color: "blue" }))];
    const created = await runSync(cluster, target, first, { onDrift: "stop" });
    await editAsAnotherClient(namespace, "app", { op: "replace", path: "/data/color", value: "hacked" });
    const before = await resourceVersions(namespace);
    const writesBefore = cluster.requestCounts().writes;

    // Act
    const stopped = await runSync(cluster, target, first, { onDrift: "stop" });
    const afterStop = await resourceVersions(namespace);
    const writesAfterStop = cluster.requestCounts().writes;
    const second = [desired(configMap(namespace, "app", { color: "green" }))];
    const newManifests = await runSync(cluster, target, second, { onDrift: "stop", revision: { sha: "b2" } });

    // Assess
    expect(created.counts.created).toBe(1);
    expect(stopped).toMatchObject({ drift: true, mode: "plan", changed: true });
    expect(afterStop).toEqual(before);
    expect(writesAfterStop).toBe(writesBefore);
    expect(newManifests).toMatchObject({ drift: false, mode: "apply" });
    const live = await readAsAdmin({ apiVersion: "v1", kind: "ConfigMap", namespace, name: "app" });
    expect(live?.data).toEqual({ color: "green" });
  });

  it("refuses to adopt an existing object by default, and adopts it when the target allows", async () => {
    // Prepare
    const { namespace, target } = await workerNamespace("adopt");
    const cluster = await workerCluster();
    await applyAsOtherManager(configMap(namespace, "legacy", { from: "hand" }), false);

    // Act
    const refused = await failure(
      runSync(cluster, target, [desired(configMap(namespace, "legacy", { from: "git" }))]),
    );
    const adopted = await runSync(cluster, { ...target, adopt: true, forceConflicts: true }, [
      desired(configMap(namespace, "legacy", { from: "git" })),
    ]);

    // Assess
    expect(refused).toBeInstanceOf(SyncRefusedError);
    expect(refused.message).toContain(
      `ConfigMap ${namespace}/legacy already exists and is not managed by target`,
    );
    expect(adopted.outcomes[0]).toMatchObject({ outcome: "updated", reason: ".: adopted" });
    const live = await readAsAdmin({ apiVersion: "v1", kind: "ConfigMap", namespace, name: "legacy" });
    expect(live?.metadata.labels?.[ApplySetLabel.partOf]).toBe(adopted.applySetId);
  });

  it("refuses an ApplySet parent owned by other tooling or with a mismatched id", async () => {
    // Prepare
    const { namespace: ns1, target: t1 } = await workerNamespace("kubectl-parent");
    const { namespace: ns2, target: t2 } = await workerNamespace("wrong-id");
    const admin = await adminCluster();
    const parent = (namespace: string, name: string, tooling: string, id: string) => ({
      apiVersion: "v1",
      kind: "Secret",
      metadata: {
        name,
        namespace,
        labels: { [ApplySetLabel.id]: id },
        annotations: { [ApplySetAnnotation.tooling]: tooling },
      },
    });
    const id1 = computeApplySetId({
      name: `pullbridge-${t1.name}`,
      namespace: ns1,
      kind: "Secret",
      group: "",
    });
    await admin.applyApplySetParent({ parent: parent(ns1, `pullbridge-${t1.name}`, "kubectl/v1.36.3", id1) });
    await admin.applyApplySetParent({
      parent: parent(ns2, `pullbridge-${t2.name}`, "pullbridge/0.1.0", "applyset-x-v1"),
    });
    const cluster = await workerCluster();

    // Act
    const other = await failure(runSync(cluster, t1, [desired(configMap(ns1, "a"))]));
    const mismatched = await failure(runSync(cluster, t2, [desired(configMap(ns2, "a"))]));

    // Assess
    expect(other).toBeInstanceOf(SyncRefusedError);
    expect(other.message).toContain(
      "is managed by other tooling (applyset.kubernetes.io/tooling: kubectl/v1.36.3)",
    );
    expect(mismatched).toBeInstanceOf(SyncRefusedError);
    expect(mismatched.message).toContain(
      "has applyset.kubernetes.io/id=applyset-x-v1 but pullbridge expects",
    );
    expect(cluster.requestCounts().writes).toBe(0);
  });
});
