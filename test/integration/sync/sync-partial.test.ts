import { CoreV1Api } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { PartialSyncError } from "../../../lib/errors.ts";
import { configMap, crd, desired } from "../../factories/sync.ts";
import { kubeConfigFor } from "../../support/kube.ts";
import {
  ALL_VERBS,
  grantClusterWide,
  resourceVersions,
  runSync,
  workerCluster,
  workerNamespace,
} from "./sync-fixture.ts";

/**
 * A ResourceQuota admitting `configmaps` ConfigMaps. The ResourceQuota admission plugin is the real
 * one; this plane runs no controller-manager, so its quota controller's first status (hard, used = 0)
 * is written here — after that, admission itself keeps `used` current on every admitted write.
 */
async function configMapQuota(namespace: string, configmaps: number): Promise<void> {
  const core = kubeConfigFor("admin").makeApiClient(CoreV1Api);
  const hard = { configmaps: String(configmaps) };
  const existing = await core.readNamespacedResourceQuota({ name: "cm", namespace }).catch(() => undefined);
  const quota =
    existing ??
    (await core.createNamespacedResourceQuota({
      namespace,
      body: { metadata: { name: "cm" }, spec: { hard } },
    }));
  await core.replaceNamespacedResourceQuotaStatus({
    name: "cm",
    namespace,
    body: {
      ...quota,
      spec: { hard },
      status: { hard, used: quota.status?.used ?? { configmaps: "0" } },
    },
  });
}

describe("a sync that fails after writes began", () => {
  it("names what was written, what was not and the file:line that failed; the next sync converges", async () => {
    // Prepare
    const { namespace, target } = await workerNamespace("partial");
    const cluster = await workerCluster();
    await configMapQuota(namespace, 1);
    // Dry-runs do not consume quota, so both pass the whole-set dry-run; the second real create does not.
    const set = [
      desired(configMap(namespace, "first"), "apps/first.yaml"),
      desired(configMap(namespace, "second"), "apps/second.yaml"),
    ];
    const second = set[1]?.source;

    // Act
    const failed = await runSync(cluster, target, set, {}, { concurrency: 1 }).catch((e: unknown) => e);
    const midway = await resourceVersions(namespace);
    await configMapQuota(namespace, 5);
    const rerun = await runSync(cluster, target, set);
    const settled = await runSync(cluster, target, set);

    // Assess
    expect(failed).toBeInstanceOf(PartialSyncError);
    const error = failed as PartialSyncError;
    expect(error.writes).toEqual({
      inventoryWidened: true,
      applied: [`ConfigMap ${namespace}/first`],
      pruned: [],
      notApplied: [`ConfigMap ${namespace}/second`],
      notPruned: [],
    });
    expect(error.object).toBe(`ConfigMap ${namespace}/second`);
    expect(error.source).toEqual(second);
    expect(error.message).toMatch(
      new RegExp(
        `^ConfigMap ${namespace}/second \\(apps/second\\.yaml:${second?.line}:1\\): .*exceeded quota`,
      ),
    );
    expect(error.message).toContain(
      `written: the ApplySet parent (widened), 1 applied (ConfigMap ${namespace}/first), 0 pruned; not written (or not confirmed): 1 to apply (ConfigMap ${namespace}/second), 0 to prune`,
    );
    expect(error.message).not.toMatch(/nothing was (applied|changed)/i);
    expect([...midway.keys()].filter((k) => k.startsWith("ConfigMap/"))).toEqual(["ConfigMap/first"]);
    expect(rerun.counts).toMatchObject({ created: 1, unchanged: 1 });
    expect(settled.changed).toBe(false);
  });

  it("a custom resource refused once its new CRD exists: names the CRD written and the CR's file:line", async () => {
    // Prepare
    const { namespace, target: base } = await workerNamespace("partialcrd");
    const group = `${namespace}.pullbridge.test`;
    await grantClusterWide([
      { apiGroups: ["apiextensions.k8s.io"], resources: ["customresourcedefinitions"], verbs: ALL_VERBS },
      { apiGroups: [group], resources: ["*"], verbs: ALL_VERBS },
    ]);
    const target = { ...base, policy: { ...base.policy, clusterScoped: true } };
    const cluster = await workerCluster();
    // `size` is an integer in the CRD's schema: only a dry-run after the CRD exists can tell.
    const widget = {
      apiVersion: `${group}/v1`,
      kind: "Widget",
      metadata: { name: "bad" },
      spec: { size: "big" },
    };
    const set = [
      desired(crd(group, "Widget", "widgets"), "crds/widget.yaml"),
      desired(widget, "apps/widget.yaml"),
    ];

    // Act
    const failed = await runSync(cluster, target, set).catch((e: unknown) => e);

    // Assess
    expect(failed).toBeInstanceOf(PartialSyncError);
    const error = failed as PartialSyncError;
    expect(error.writes).toMatchObject({
      inventoryWidened: true,
      applied: [`CustomResourceDefinition.apiextensions.k8s.io widgets.${group}`],
      notApplied: [`Widget.${group} ${namespace}/bad`],
    });
    expect(error.refusals.map((r) => [r.object, r.source?.file])).toEqual([
      [`Widget.${group} ${namespace}/bad`, "apps/widget.yaml"],
    ]);
    expect(error.source?.file).toBe("apps/widget.yaml");
    expect(error.message).toMatch(
      /^server-side dry-run refused .* after creating the CustomResourceDefinitions \/ Namespaces it depends on: .*; the sync stopped after writing to the cluster/,
    );
    expect(error.message).not.toMatch(/nothing was (applied|changed)/i);
  });
});
