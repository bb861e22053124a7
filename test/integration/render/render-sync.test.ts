/**
 * Rendered targets against the real API server: a Kustomize overlay and a Helm chart go
 * through the render phase and the sync engine; generator hash suffixes roll and prune in one
 * sync; an unchanged re-sync writes nothing; a refusal points at the base file.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { RenderError, SyncRefusedError } from "../../../lib/errors.ts";
import type { KubeObject } from "../../../lib/manifests/kube-object.ts";
import { renderDesired } from "../../../lib/render/render-desired.ts";
import { aTarget, desired } from "../../factories/sync.ts";
import { RENDER_FIXTURE_REPO, readTree, rendererBinDir, testRenderer } from "../../support/renderer.ts";
import {
  adminCluster,
  readAsAdmin,
  resourceVersions,
  runSync,
  workerCluster,
  workerNamespace,
} from "../sync/sync-fixture.ts";

let files: Map<string, Uint8Array>;

beforeAll(async () => {
  rendererBinDir();
  files = await readTree(RENDER_FIXTURE_REPO);
}, 1_200_000);

const encode = (text: string) => new TextEncoder().encode(text);

async function names(namespace: string, kind: string): Promise<string[]> {
  const versions = await resourceVersions(namespace);
  return [...versions.keys()]
    .filter((key) => key.startsWith(`${kind}/`))
    .map((key) => key.slice(kind.length + 1));
}

describe("a Kustomize overlay synced to the API server", () => {
  it("creates the overlay's objects, and an unchanged re-sync writes nothing", async () => {
    // Prepare
    const { namespace, target } = await workerNamespace("render-prod", {
      path: "apps/web/overlays/prod",
      render: "auto",
    });
    const renderer = testRenderer();
    const cluster = await workerCluster();

    // Act
    const first = await renderDesired({ renderer }, { files, target });
    await runSync(cluster, target, first.desired);
    const before = await resourceVersions(namespace);
    const again = await renderDesired({ renderer }, { files, target });
    const second = await runSync(cluster, target, again.desired, { revision: { sha: "a2" } });

    // Assess
    expect(first.engine).toBe("kustomize");
    expect(first.desired.map((d) => d.source.file)).toContain("apps/web/base/deployment.yaml");
    const deployment = await readAsAdmin({
      apiVersion: "apps/v1",
      kind: "Deployment",
      namespace,
      name: "prod-web-v2",
    });
    expect(deployment?.spec).toMatchObject({ replicas: 3 });
    expect(deployment?.metadata.annotations?.["config.kubernetes.io/origin"]).toBeUndefined();
    expect(second.changed).toBe(false);
    expect(await resourceVersions(namespace)).toEqual(before);
  });

  it("changing generator data creates the new ConfigMap, rolls the Deployment and prunes the old one in one sync", async () => {
    // Prepare
    const { namespace, target } = await workerNamespace("render-gen", { path: "apps/web/overlays/prod" });
    const renderer = testRenderer();
    const cluster = await workerCluster();
    const first = await renderDesired({ renderer }, { files, target });
    await runSync(cluster, target, first.desired);
    const [oldConfig] = (await names(namespace, "ConfigMap")).filter((n) =>
      n.startsWith("prod-web-config-v2-"),
    );
    const changed = new Map(files).set("apps/web/base/app.properties", encode("greeting=bonjour\n"));

    // Act
    const next = await renderDesired({ renderer }, { files: changed, target });
    const result = await runSync(cluster, target, next.desired, { revision: { sha: "a2" } });

    // Assess
    const configs = (await names(namespace, "ConfigMap")).filter((n) => n.startsWith("prod-web-config-v2-"));
    expect(configs).toHaveLength(1);
    const [newConfig] = configs;
    expect(newConfig).not.toBe(oldConfig);
    const deployment = await readAsAdmin({
      apiVersion: "apps/v1",
      kind: "Deployment",
      namespace,
      name: "prod-web-v2",
    });
    const spec = deployment?.spec as { template: { spec: { containers: Array<{ envFrom: unknown }> } } };
    expect(spec.template.spec.containers[0]?.envFrom).toEqual([{ configMapRef: { name: newConfig } }]);
    expect(
      result.outcomes
        .filter((o) => o.outcome !== "unchanged")
        .map((o) => `${o.outcome} ${o.object}`)
        .sort(),
    ).toEqual(
      [
        `created ConfigMap ${namespace}/${newConfig}`,
        `pruned ConfigMap ${namespace}/${oldConfig}`,
        `updated Deployment.apps ${namespace}/prod-web-v2`,
      ].sort(),
    );
  });

  it("a refusal by the API server names the base file the object came from", async () => {
    // Prepare
    const { target } = await workerNamespace("render-refuse", { path: "apps/web/overlays/prod" });
    const broken = new Map(files).set(
      "apps/web/base/deployment.yaml",
      encode(
        (await readFile(join(RENDER_FIXTURE_REPO, "apps/web/base/deployment.yaml"), "utf8")).replace(
          "image: nginx:1.27",
          "image: nginx:1.27\n          imagePullPolicy: Sometimes",
        ),
      ),
    );
    const rendered = await renderDesired({ renderer: testRenderer() }, { files: broken, target });
    const before = await resourceVersions(target.namespace);

    // Act
    const error = await runSync(await workerCluster(), target, rendered.desired).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(SyncRefusedError);
    const refused = error as SyncRefusedError;
    expect(refused.source?.file).toBe("apps/web/base/deployment.yaml");
    expect(refused.source?.line).toBe(1);
    expect(await resourceVersions(target.namespace)).toEqual(before);
  });

  it("a render failure is a permanent error naming the file, before anything is read or written", async () => {
    // Prepare
    const { target } = await workerNamespace("render-fail", { path: "apps/web/overlays/prod" });
    const broken = new Map(files).set(
      "apps/web/overlays/prod/resources-patch.yaml",
      encode("kind: [unclosed\n"),
    );
    const before = await resourceVersions(target.namespace);

    // Act
    const error = await renderDesired({ renderer: testRenderer() }, { files: broken, target }).catch(
      (e: unknown) => e,
    );

    // Assess
    expect(error).toBeInstanceOf(RenderError);
    expect((error as RenderError).retryable).toBe(false);
    expect((error as RenderError).message).toContain("resources-patch.yaml");
    expect(await resourceVersions(target.namespace)).toEqual(before);
  });

  it("a custom resource patched through an openapi merge key is applied as kustomize merged it", async () => {
    // Prepare
    const { namespace, target } = await workerNamespace("render-widget", { path: "apps/widgets" });
    const admin = await adminCluster();
    const crd = parse(await readFile(join(RENDER_FIXTURE_REPO, "crds/widgets.yaml"), "utf8")) as KubeObject;
    await runSync(admin, aTarget(namespace, { name: `crd-${namespace}`, policy: { clusterScoped: true } }), [
      desired(crd, "crds/widgets.yaml"),
    ]);
    const rendered = await renderDesired({ renderer: testRenderer() }, { files, target });

    // Act
    await runSync(admin, target, rendered.desired);

    // Assess
    const widget = await readAsAdmin({
      apiVersion: "example.com/v1",
      kind: "Widget",
      namespace,
      name: "gizmo",
    });
    expect(widget?.spec).toEqual({
      size: 2,
      parts: [
        { name: "bolt", count: 8 },
        { name: "nut", count: 4 },
      ],
    });
  });
});

describe("a Helm chart synced to the API server", () => {
  it("applies the chart with the cluster's capabilities; its hooks are loaded but never applied as members", async () => {
    // Prepare
    const { namespace, target } = await workerNamespace("render-helm", {
      path: "charts/shop",
      helm: {
        releaseName: "shop",
        valuesFiles: ["charts/shop/values-prod.yaml"],
        values: { cache: { enabled: false } },
      },
      policy: { clusterScoped: true },
    });
    const admin = await adminCluster();
    const discovery = await admin.discover();

    // Act
    const rendered = await renderDesired(
      { renderer: testRenderer() },
      { files, target, capabilities: { kubeVersion: "v1.36.3", apiVersions: discovery.apiVersions ?? [] } },
    );
    await runSync(admin, target, rendered.desired);

    // Assess
    expect(rendered.engine).toBe("helm");
    expect(rendered.notes).toEqual([]);
    const kinds = rendered.desired.map((d) => `${d.object.kind}/${d.object.metadata.name}`).sort();
    expect(kinds).toEqual([
      "ConfigMap/shop-shop-cluster",
      "CustomResourceDefinition/gadgets.example.com",
      "Deployment/shop-shop",
      "Job/shop-shop-migrate",
      "Pod/shop-shop-test",
      "PodDisruptionBudget/shop-shop",
      "Service/shop-shop",
    ]);
    const info = await readAsAdmin({
      apiVersion: "v1",
      kind: "ConfigMap",
      namespace,
      name: "shop-shop-cluster",
    });
    expect(info?.data).toMatchObject({ kubeVersion: "v1.36.3", cacheSize: "large" });
    expect(
      await readAsAdmin({ apiVersion: "batch/v1", kind: "Job", namespace, name: "shop-shop-migrate" }),
    ).toBeUndefined();
    expect(
      await readAsAdmin({ apiVersion: "v1", kind: "Pod", namespace, name: "shop-shop-test" }),
    ).toBeUndefined();
  });
});
