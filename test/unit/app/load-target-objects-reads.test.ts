import { describe, expect, it } from "vitest";
import { loadTargetObjects } from "../../../lib/app/load-target-objects.ts";
import type { Renderer, RenderRequest } from "../../../lib/render/renderer-port.ts";
import type { SourceTree } from "../../../lib/source/git-source.ts";
import { configMapYaml } from "../../factories/manifest-text.ts";
import { aFileTree } from "../../factories/manifests.ts";
import { aTarget } from "../../factories/sync.ts";

/** A repository read through the port: records which directories were asked for. */
function repository(files: Record<string, string>) {
  const tree = aFileTree(files);
  const asked: string[] = [];
  return {
    asked,
    readTree: async (paths: readonly string[]): Promise<SourceTree> => {
      asked.push(paths.join(","));
      return new Map(
        [...tree].filter(([file]) => paths.some((path) => path === "." || file.startsWith(`${path}/`))),
      );
    },
  };
}

/** A renderer port that records its requests and answers with one ConfigMap, or fails. */
function renderer(failure?: Error) {
  const requests: RenderRequest[] = [];
  const port: Renderer = {
    async render(request) {
      requests.push(request);
      if (failure) throw failure;
      return {
        renderer: "fake",
        text: "",
        objects: [
          { yaml: configMapYaml("rendered", { a: "1" }), source: { file: `${request.path}/x.yaml` } },
        ],
        hooks: [],
        notes: ["a note"],
        inputs: [],
      };
    },
  };
  return { port, requests };
}

const noCapabilities = async () => {
  throw new Error("capabilities are asked only for Helm targets");
};

describe("loadTargetObjects", () => {
  it("reads the path and watch paths in one read, keeps only them, and reports a plain target's skipped files", async () => {
    // Prepare
    const repo = repository({
      "apps/web/cm.yaml": configMapYaml("web", { a: "1" }),
      "apps/web/README.md": "docs\n",
      "apps/shared/cm.yaml": configMapYaml("shared", { b: "2" }),
      "apps/other/cm.yaml": configMapYaml("other", { c: "3" }),
    });
    const target = aTarget("team", { path: "apps/web", watch: ["apps/shared"] });

    // Act
    const set = await loadTargetObjects({ readTree: repo.readTree, capabilities: noCapabilities }, target);

    // Assess
    expect(repo.asked).toEqual(["apps/web,apps/shared"]);
    expect(set.engine).toBe("plain");
    expect(set.desired.map((d) => d.object.metadata.name)).toEqual(["web"]);
    expect(set.skipped).toEqual([{ path: "apps/web/README.md", reason: expect.any(String) }]);
  });

  it("asks for .Capabilities only for a Helm target and hands them to the renderer", async () => {
    // Prepare
    const repo = repository({
      "charts/web/Chart.yaml": "name: web\nversion: 1.0.0\n",
      "charts/web/kustomization.yaml": "resources: []\n",
    });
    const fake = renderer();
    let asked = 0;
    const capabilities = async () => {
      asked += 1;
      return { kubeVersion: "v1.36.3", apiVersions: ["apps/v1"] };
    };

    // Act
    const helm = await loadTargetObjects(
      { readTree: repo.readTree, renderer: fake.port, capabilities },
      aTarget("team", { path: "charts/web", render: "helm" }),
    );
    const kustomize = await loadTargetObjects(
      { readTree: repo.readTree, renderer: fake.port, capabilities },
      aTarget("team", { path: "charts/web", render: "kustomize" }),
    );

    // Assess
    expect(asked).toBe(1);
    expect(fake.requests.map((r) => [r.engine, r.helm?.kubeVersion])).toEqual([
      ["helm", "v1.36.3"],
      ["kustomize", undefined],
    ]);
    expect([helm.notes, helm.skipped, kustomize.skipped]).toEqual([["a note"], [], []]);
  });
});
