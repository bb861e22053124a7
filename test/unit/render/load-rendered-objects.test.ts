import { describe, expect, it } from "vitest";
import { ManifestSetError } from "../../../lib/errors.ts";
import { manifestPolicyOf } from "../../../lib/manifests/check-policy.ts";
import { loadRenderedObjects } from "../../../lib/render/load-rendered-objects.ts";
import { aTarget } from "../../factories/sync.ts";

const encode = (text: string) => new TextEncoder().encode(text);

const files = new Map([
  [
    "apps/base/resources.yaml",
    encode(
      "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec: {}\n",
    ),
  ],
  ["apps/prod/kustomization.yaml", encode("resources:\n  - ../base\nconfigMapGenerator:\n  - name: cfg\n")],
]);

const policy = manifestPolicyOf(aTarget("team"));

describe("loadRenderedObjects", () => {
  it("points a prefixed object at its document in the base file", () => {
    // Act
    const desired = loadRenderedObjects({
      files,
      policy,
      engine: "kustomize",
      objects: [
        {
          yaml: "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: prod-web\nspec: {}\n",
          source: { file: "apps/base/resources.yaml" },
        },
      ],
    });

    // Assess
    expect(desired).toHaveLength(1);
    expect(desired[0]?.source).toEqual({ file: "apps/base/resources.yaml", document: 1, line: 6, column: 1 });
  });

  it("points a generated object at its generator in the kustomization", () => {
    // Act
    const desired = loadRenderedObjects({
      files,
      policy,
      engine: "kustomize",
      objects: [
        {
          yaml: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg-5f8b2c4d6h\ndata: {}\n",
          source: { file: "apps/prod/kustomization.yaml", generatedBy: "ConfigMapGenerator" },
        },
      ],
    });

    // Assess
    expect(desired[0]?.source).toMatchObject({ file: "apps/prod/kustomization.yaml", line: 3 });
  });

  it("a Helm template (not YAML) is named at its first line, without parsing it as YAML", async () => {
    // Prepare: a template the YAML parser would read as a mapping with a collection key (and warn).
    const warnings: unknown[] = [];
    const onWarning = (warning: unknown) => warnings.push(warning);
    process.on("warning", onWarning);

    // Act
    const desired = loadRenderedObjects({
      files: new Map([
        [
          "charts/x/templates/cm.yaml",
          encode("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n"),
        ],
      ]),
      policy,
      engine: "helm",
      objects: [
        {
          yaml: "# Source: x/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n",
          source: { file: "charts/x/templates/cm.yaml" },
        },
      ],
    });

    await new Promise((resolve) => setImmediate(resolve));
    process.off("warning", onWarning);

    // Assess
    expect(desired[0]?.source).toEqual({
      file: "charts/x/templates/cm.yaml",
      document: 0,
      line: 1,
      column: 1,
    });
    expect(warnings).toEqual([]);
  });

  it("policy refusals and duplicates name the source file", () => {
    // Act
    const attempt = () =>
      loadRenderedObjects({
        files,
        policy,
        engine: "kustomize",
        objects: [
          {
            yaml: "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: elsewhere\n",
            source: { file: "apps/base/resources.yaml" },
          },
          {
            yaml: "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n",
            source: { file: "apps/base/resources.yaml" },
          },
          {
            yaml: "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n",
            source: { file: "apps/base/resources.yaml" },
          },
        ],
      });

    // Assess
    expect(attempt).toThrow(ManifestSetError);
    try {
      attempt();
    } catch (error) {
      const messages = (error as ManifestSetError).errors.map((e) => e.message);
      expect(messages).toHaveLength(2);
      expect(messages[0]).toMatch(/^apps\/base\/resources\.yaml:1:1 .*Service elsewhere\/web: .*namespace/);
      expect(messages[1]).toMatch(/^apps\/base\/resources\.yaml:1:1 .*duplicate object Service web/);
    }
  });
});
