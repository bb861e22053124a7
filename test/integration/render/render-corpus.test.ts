/**
 * The renderer's output is what the stock tools print, byte for byte: every Kustomize directory
 * of the corpus against `kustomize build`, every chart against `helm template`, at the same
 * pinned versions, through the real helper and the real adapter; each object is its document of
 * that text.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import type { RenderOutput } from "../../../lib/render/renderer-port.ts";
import {
  RENDER_FIXTURE_REPO,
  readTree,
  rendererBinDir,
  stockHelmTemplate,
  stockKustomizeBuild,
  testRenderer,
} from "../../support/renderer.ts";

// biome-ignore lint/suspicious/noExplicitAny: assertions walk arbitrary rendered YAML
type Loose = any;

let files: Map<string, Uint8Array>;

const DEFAULT_HELM = {
  releaseName: "release-name",
  namespace: "default",
  valuesFiles: [],
  values: {},
  kubeVersion: "v1.36.3",
  apiVersions: [],
};
let scratch: string;

beforeAll(async () => {
  rendererBinDir();
  files = await readTree(RENDER_FIXTURE_REPO);
  scratch = await mkdtemp(join(tmpdir(), "pullbridge-render-corpus-"));
}, 1_200_000);

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** `---`-separated documents, trimmed, empty ones dropped: how both tools separate objects. */
function documents(stream: string): string[] {
  return stream
    .split(/^---[ \t]*$/m)
    .map((doc) => doc.trim())
    .filter((doc) => doc !== "");
}

function joined(output: RenderOutput): string {
  return output.objects.map((o) => o.yaml).join("---\n");
}

/** The rendered text is the stock output, and the objects are its documents. */
function expectStock(ours: RenderOutput, stock: string): void {
  expect(ours.text).toBe(stock);
  expect(ours.objects.map((o) => o.yaml.trim())).toEqual(documents(stock));
}

describe("Kustomize targets render exactly as `kustomize build`", () => {
  for (const dir of [
    "apps/web/base",
    "apps/web/overlays/prod",
    "apps/web/overlays/staging",
    "apps/widgets",
  ]) {
    it(`${dir}`, async () => {
      // Prepare
      const renderer = testRenderer();

      // Act
      const [ours, stock] = await Promise.all([
        renderer.render({ files, path: dir, engine: "kustomize" }),
        stockKustomizeBuild(join(RENDER_FIXTURE_REPO, dir)),
      ]);

      // Assess
      expect(ours.objects.length).toBeGreaterThan(0);
      expectStock(ours, stock);
      expect(joined(ours)).toBe(stock);
      expect(ours.renderer).toMatch(/^kustomize v5\.8\.2\/api-v0\.21\.2$/);
    });
  }

  it("the prod overlay exercises the corpus features the way kustomize does", async () => {
    // Prepare
    const renderer = testRenderer();

    // Act
    const out = await renderer.render({ files, path: "apps/web/overlays/prod", engine: "kustomize" });

    // Assess
    const objects = out.objects.map((o) => parseAllDocuments(o.yaml)[0]?.toJS() as Loose);
    const names = objects.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(names).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^ConfigMap\/prod-web-config-v2-[a-z0-9]{10}$/),
        expect.stringMatching(/^Secret\/prod-web-secrets-v2-[a-z0-9]{10}$/),
        "ConfigMap/prod-tracing-v2",
        "Service/prod-web-v2",
        "Deployment/prod-web-v2",
      ]),
    );
    const deployment = objects.find((o) => o.kind === "Deployment");
    expect(deployment?.spec.replicas).toBe(3);
    expect(deployment?.metadata.labels).toMatchObject({
      env: "prod",
      team: "storefront",
      "app.kubernetes.io/name": "web",
    });
    expect(deployment?.metadata.annotations).toEqual({ "tracing.example.com/enabled": "true" });
    const containers = deployment?.spec.template.spec.containers as Loose[];
    expect(containers.map((c) => c.name)).toEqual(["web", "sidecar"]);
    expect(containers[0]?.image).toBe("registry.example.com/nginx:1.27.3");
    expect(containers[0]?.resources).toEqual({ requests: { cpu: "10m" }, limits: { memory: "256Mi" } });
    const configName = names.find((n) => n.startsWith("ConfigMap/prod-web-config"))?.split("/")[1];
    expect(containers[0]?.envFrom).toEqual([{ configMapRef: { name: configName } }]);
    const service = objects.find((o) => o.kind === "Service");
    expect(service?.spec.ports[0].port).toBe(8080);
    expect(service?.metadata.annotations).toEqual({ "example.com/tier": "frontend" });
  });

  it("an openapi schema gives a custom resource's list its merge key", async () => {
    // Act
    const out = await testRenderer().render({ files, path: "apps/widgets", engine: "kustomize" });

    // Assess
    const widget = parseAllDocuments(out.objects[0]?.yaml ?? "")[0]?.toJS() as Loose;
    expect(widget.spec).toEqual({
      size: 2,
      parts: [
        { name: "bolt", count: 8 },
        { name: "nut", count: 4 },
      ],
    });
  });

  it("each object names the file it came from, and origin annotations are not in the output", async () => {
    // Act
    const out = await testRenderer().render({ files, path: "apps/web/overlays/prod", engine: "kustomize" });

    // Assess
    const sources = Object.fromEntries(
      out.objects.map((o) => {
        const obj = parseAllDocuments(o.yaml)[0]?.toJS() as Loose;
        return [obj.kind as string, o.source];
      }),
    );
    expect(sources.Deployment).toEqual({ file: "apps/web/base/deployment.yaml" });
    // A JSON 6902 patch with a target replaces the object: Kustomize then records the patch's
    // kustomization (and the transformer) as its origin, so a refusal points at the patch.
    expect(sources.Service).toEqual({
      file: "apps/web/overlays/prod/kustomization.yaml",
      generatedBy: "PatchTransformer",
    });
    expect(sources.ConfigMap).toBeDefined();
    expect(sources.Secret).toEqual({
      file: "apps/web/overlays/prod/kustomization.yaml",
      generatedBy: "SecretGenerator",
    });
    expect(joined(out)).not.toContain("config.kubernetes.io/origin");
    expect(out.inputs).toEqual([
      "apps/web/base/app.properties",
      "apps/web/base/deployment.yaml",
      "apps/web/base/kustomization.yaml",
      "apps/web/base/service.yaml",
      "apps/web/components/tracing/kustomization.yaml",
      "apps/web/components/tracing/tracing-config.yaml",
      "apps/web/overlays/prod/kustomization.yaml",
      "apps/web/overlays/prod/resources-patch.yaml",
      "apps/web/overlays/prod/secrets.env",
      "apps/web/overlays/prod/service-patch.json",
    ]);
  });
});

describe("Helm targets render exactly as `helm template --include-crds --no-hooks`", () => {
  const capabilities = {
    kubeVersion: "v1.36.3",
    apiVersions: ["policy/v1", "policy/v1/PodDisruptionBudget", "example.com/v1", "example.com/v1/Widget"],
  };

  it("a chart with a values file, inline values, a vendored dependency and .Capabilities", async () => {
    // Prepare
    const values = { extraLabels: { team: "payments" }, cache: { enabled: true } };
    const inline = join(scratch, "inline-values.json");
    await writeFile(inline, JSON.stringify(values));
    const chart = join(RENDER_FIXTURE_REPO, "charts/shop");

    // Act
    const [ours, stock] = await Promise.all([
      testRenderer().render({
        files,
        path: "charts/shop",
        engine: "helm",
        helm: {
          releaseName: "web",
          namespace: "shop-ns",
          valuesFiles: ["charts/shop/values-prod.yaml"],
          values,
          ...capabilities,
        },
      }),
      stockHelmTemplate([
        "web",
        chart,
        "--namespace",
        "shop-ns",
        "-f",
        join(chart, "values-prod.yaml"),
        "-f",
        inline,
        "--include-crds",
        "--no-hooks",
        "--kube-version",
        capabilities.kubeVersion,
        ...capabilities.apiVersions.flatMap((v) => ["--api-versions", v]),
      ]),
    ]);

    // Assess
    expectStock(ours, stock);
    const text = joined(ours);
    expect(text).toContain("kind: PodDisruptionBudget");
    expect(text).toContain('kubeVersion: "v1.36.3"');
    expect(text).toContain('hasWidgets: "true"');
    expect(text).toContain('cacheSize: "large"');
    expect(text).toContain("name: web-cache");
    expect(text).toContain('team: "payments"');
    expect(text).toContain("replicas: 3");
    expect(text).toContain("kind: CustomResourceDefinition");
    expect(ours.renderer).toBe("helm v3.21.4");
  });

  it("without the API in .Capabilities the chart leaves it out, as helm does", async () => {
    // Act
    const [ours, stock] = await Promise.all([
      testRenderer().render({
        files,
        path: "charts/shop",
        engine: "helm",
        helm: {
          releaseName: "web",
          namespace: "default",
          valuesFiles: [],
          values: {},
          kubeVersion: "v1.36.3",
          apiVersions: [],
        },
      }),
      stockHelmTemplate([
        "web",
        join(RENDER_FIXTURE_REPO, "charts/shop"),
        "--include-crds",
        "--no-hooks",
        "--kube-version",
        "v1.36.3",
      ]),
    ]);

    // Assess
    expectStock(ours, stock);
    expect(joined(ours)).not.toContain("PodDisruptionBudget");
  });

  it("templates without a trailing newline, .Files, tpl and lookup (empty without a cluster)", async () => {
    // Prepare
    const chart = join(RENDER_FIXTURE_REPO, "charts/tools");

    // Act
    const [ours, stock] = await Promise.all([
      testRenderer().render({
        files,
        path: "charts/tools",
        engine: "helm",
        helm: { ...DEFAULT_HELM, releaseName: "web", namespace: "shop-ns" },
      }),
      stockHelmTemplate([
        "web",
        chart,
        "--namespace",
        "shop-ns",
        "--include-crds",
        "--no-hooks",
        "--kube-version",
        "v1.36.3",
      ]),
    ]);

    // Assess
    expectStock(ours, stock);
    // No `---` glued to the last line of a template that ends without a newline.
    expect(ours.text).not.toMatch(/\S---/);
    expect(ours.text).toContain("  name: web-a\n---\n# Source: tools/templates/pair.yaml\n");
    expect(ours.text.endsWith("    release: web\n")).toBe(true);
    expect(ours.text).toContain('greeting: "hello web in shop-ns"');
    expect(ours.text).toContain("tier: tools-backend");
    expect(ours.text).toContain("    port = 8080");
    expect(ours.text).toContain("  c.txt: |\n    c-line-1\n    c-line-2\n");
    expect(ours.text).toContain('found: "no"');
    expect(ours.objects.map((o) => o.source.file)).toEqual([
      "charts/tools/templates/pair.yaml",
      "charts/tools/templates/pair.yaml",
      "charts/tools/templates/configmap.yaml",
      "charts/tools/templates/lookup.yaml",
      "charts/tools/templates/service.yaml",
    ]);
    expect(ours.inputs).toContain("charts/tools/files/app.ini");
  });

  it("the many chart (one template, 50 documents) prints as helm does", async () => {
    // Act
    const [ours, stock] = await Promise.all([
      testRenderer().render({ files, path: "charts/many", engine: "helm", helm: DEFAULT_HELM }),
      stockHelmTemplate([
        "release-name",
        join(RENDER_FIXTURE_REPO, "charts/many"),
        "--include-crds",
        "--no-hooks",
        "--kube-version",
        "v1.36.3",
      ]),
    ]);

    // Assess
    expect(ours.objects).toHaveLength(50);
    expectStock(ours, stock);
  });

  it("hooks come back apart from the objects, exactly as `helm template` renders them, pointing at their template", async () => {
    // Act
    const [out, stock] = await Promise.all([
      testRenderer().render({
        files,
        path: "charts/shop",
        engine: "helm",
        helm: { ...DEFAULT_HELM, releaseName: "web" },
      }),
      stockHelmTemplate([
        "web",
        join(RENDER_FIXTURE_REPO, "charts/shop"),
        "--include-crds",
        "--kube-version",
        "v1.36.3",
      ]),
    ]);

    // Assess
    expect(joined(out)).not.toContain("helm.sh/hook");
    const stockHooks = documents(stock).filter((d) => d.includes("helm.sh/hook"));
    expect(out.hooks.map((h) => h.yaml.trim()).sort()).toEqual(
      stockHooks.map((d) => d.replace(/^# Source: .*\n/, "")).sort(),
    );
    expect(out.hooks.map((h) => h.source.file).sort()).toEqual([
      "charts/shop/templates/migrate-job.yaml",
      "charts/shop/templates/tests/test-connection.yaml",
    ]);
    expect(out.notes).toEqual([]);
  });

  it.each([
    [false, "install"],
    [true, "upgrade"],
  ])("renders with .Release.IsUpgrade %s as `helm template` does (%s)", async (isUpgrade, release) => {
    // Act
    const [out, stock] = await Promise.all([
      testRenderer().render({
        files,
        path: "charts/shop",
        engine: "helm",
        helm: { ...DEFAULT_HELM, releaseName: "web", isUpgrade },
      }),
      stockHelmTemplate([
        "web",
        join(RENDER_FIXTURE_REPO, "charts/shop"),
        "--include-crds",
        "--kube-version",
        "v1.36.3",
        ...(isUpgrade ? ["--is-upgrade"] : []),
      ]),
    ]);

    // Assess
    const migrate = out.hooks.find((h) => h.yaml.includes("kind: Job"))?.yaml ?? "";
    expect(migrate).toContain(`shop.example.com/release: ${release}`);
    expect(documents(stock).some((d) => d.includes(`shop.example.com/release: ${release}`))).toBe(true);
  });

  it("objects point at their template, subchart templates included", async () => {
    // Act
    const out = await testRenderer().render({
      files,
      path: "charts/shop",
      engine: "helm",
      helm: { ...DEFAULT_HELM, releaseName: "web" },
    });

    // Assess
    expect(out.objects.map((o) => o.source.file).sort()).toEqual([
      "charts/shop/charts/cache/templates/deployment.yaml",
      "charts/shop/crds/gadgets.yaml",
      "charts/shop/templates/cluster-info.yaml",
      "charts/shop/templates/deployment.yaml",
      "charts/shop/templates/service.yaml",
    ]);
  });
});
