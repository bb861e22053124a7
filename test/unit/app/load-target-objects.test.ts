/**
 * The load every entry point shares (worker jobs and the CLI): a target that holds nothing is
 * refused unless it may be empty, a setting its engine never reads is refused once the engine is
 * known, and an overlay without a targets file reads the bases its kustomizations name.
 */
import { describe, expect, it } from "vitest";
import { loadTargetObjects, type TreeReader } from "../../../lib/app/load-target-objects.ts";
import { ConfigError, SyncRefusedError } from "../../../lib/errors.ts";
import { kustomizationReferences } from "../../../lib/manifests/kustomization-references.ts";
import type { Renderer } from "../../../lib/render/renderer-port.ts";
import { inAnyDirectory } from "../../../lib/source/tree-selection.ts";
import { configMapYaml } from "../../factories/manifest-text.ts";
import { aFileTree } from "../../factories/manifests.ts";
import { aTarget } from "../../factories/sync.ts";

/** A reader over an in-memory repository that records each selection it was asked for. */
function repository(files: Record<string, string>) {
  const tree = aFileTree(files);
  const reads: (readonly string[])[] = [];
  const readTree: TreeReader = async (paths) => {
    reads.push(paths);
    return new Map([...tree].filter(([path]) => inAnyDirectory(paths, path)));
  };
  return { readTree, reads };
}

const noCapabilities = async () => undefined;

const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error("expected the load to fail");
    },
    (error: unknown) => error,
  );

describe("a target that holds nothing", () => {
  it("is refused, naming the path and the files it skipped, unless it may be empty", async () => {
    // Prepare
    const { readTree } = repository({
      "apps/web/main.jsonnet": "{}",
      "apps/web/lib/util.libsonnet": "{}",
      "apps/other/cm.yaml": configMapYaml("other", {}),
    });
    const target = aTarget("web", { name: "web", path: "apps/web" });

    // Act
    const refused = await rejection(loadTargetObjects({ readTree, capabilities: noCapabilities }, target));
    const allowed = await loadTargetObjects(
      { readTree, capabilities: noCapabilities },
      { ...target, allowEmpty: true },
    );

    // Assess
    expect(refused).toBeInstanceOf(SyncRefusedError);
    expect((refused as Error).message).toBe(
      "no manifests in apps/web; 2 files skipped: apps/web/lib/util.libsonnet (not a manifest (only .yaml, .yml and .json files are read)), apps/web/main.jsonnet (not a manifest (only .yaml, .yml and .json files are read)); refusing to sync target web to nothing (set allowEmpty: true on the target, or pass --allow-empty to pullbridge, if it may be empty)",
    );
    expect(allowed.desired).toEqual([]);
    expect(allowed.skipped.map((s) => s.path)).toEqual([
      "apps/web/lib/util.libsonnet",
      "apps/web/main.jsonnet",
    ]);
  });

  it.each([
    [
      "a path that does not exist",
      {},
      undefined,
      "no manifests in apps/web: there is no file there (is the path right?)",
    ],
    [
      "manifests that hold no object",
      { "apps/web/empty.yaml": "# nothing yet\n---\n" },
      undefined,
      "no objects in apps/web: 1 manifest file (apps/web/empty.yaml) holds no object",
    ],
    [
      "manifests left out by include",
      { "apps/web/cm.yaml": configMapYaml("web", {}) },
      ["*.yml"],
      "no manifests in apps/web: the target's include/exclude/recursive leave out all 1 manifest file (apps/web/cm.yaml)",
    ],
  ])("says why when it is %s", async (_, files, include, expected) => {
    // Prepare
    const { readTree } = repository(files);
    const target = aTarget("web", { name: "web", path: "apps/web", ...(include ? { include } : {}) });

    // Act
    const refused = await rejection(loadTargetObjects({ readTree, capabilities: noCapabilities }, target));

    // Assess
    expect((refused as Error).message).toContain(expected);
  });
});

describe("settings the engine never reads, under render: auto", () => {
  it("refuses `include` once the directory turns out to be a Kustomize overlay, before rendering", async () => {
    // Prepare
    const { readTree } = repository({ "apps/web/kustomization.yaml": "resources: [cm.yaml]\n" });
    const target = aTarget("web", { name: "web", path: "apps/web", include: ["*.yaml"] });
    const renders: unknown[] = [];
    const renderer: Renderer = {
      render: async (request) => {
        renders.push(request);
        return { renderer: "none", text: "", objects: [], hooks: [], notes: [], inputs: [] };
      },
    };

    // Act
    const refused = await rejection(
      loadTargetObjects({ readTree, renderer, capabilities: noCapabilities }, target),
    );

    // Assess
    expect(refused).toBeInstanceOf(ConfigError);
    expect((refused as Error).message).toBe(
      "target web: include: only plain targets read `include`, and apps/web is rendered with Kustomize: remove `include` from the target, or set its `render`",
    );
    expect(renders).toEqual([]);
  });

  it("refuses a `helm` block on a directory of plain manifests", async () => {
    // Prepare
    const { readTree } = repository({ "apps/web/cm.yaml": configMapYaml("web", {}) });
    const target = aTarget("web", {
      name: "web",
      path: "apps/web",
      helm: { releaseName: "web", valuesFiles: [], values: {} },
    });

    // Act
    const refused = await rejection(loadTargetObjects({ readTree, capabilities: noCapabilities }, target));

    // Assess
    expect((refused as Error).message).toMatch(
      /^target web: helm: only Helm targets read `helm`, and apps\/web is rendered as plain manifests/,
    );
  });
});

describe("an overlay's bases, for a target without a targets file", () => {
  const files = {
    "apps/web/overlays/prod/kustomization.yaml":
      "resources:\n  - ../../base\ncomponents:\n  - ../../../../../outside/tracing\n",
    "apps/web/base/kustomization.yaml":
      "resources:\n  - cm.yaml\n  - ../../../shared/common\n  - https://example.com/remote.yaml\n",
    "apps/web/base/cm.yaml": configMapYaml("web", {}),
    "shared/common/kustomization.yaml": "resources: [cm.yaml]\n",
    "shared/common/cm.yaml": configMapYaml("common", {}),
    "apps/web/overlays/staging/kustomization.yaml": "resources: [../../base]\n",
    "unrelated/big.yaml": "x: 1\n",
  };

  it("are found from the kustomizations, through the bases' own references, and nothing else", () => {
    // Prepare
    const selected = (paths: readonly string[]) =>
      new Map([...aFileTree(files)].filter(([path]) => inAnyDirectory(paths, path)));
    const overlay = ["apps/web/overlays/prod"];
    const withBase = [...overlay, "apps/web/base"];

    // Act
    const first = kustomizationReferences(selected(overlay), overlay);
    const second = kustomizationReferences(selected(withBase), withBase);

    // Assess: `../../../../../outside/tracing` leaves the repository (the renderer refuses it by name).
    expect(first).toEqual(["apps/web/base"]);
    expect(second).toEqual(["shared/common"]);
  });

  it("are read with the path, through the same reader, and reported as the watch a target needs", async () => {
    // Prepare
    const { readTree, reads } = repository(files);
    const target = aTarget("web", { name: "web", path: "apps/web/overlays/prod" });
    let seen: ReadonlyMap<string, Uint8Array> | undefined;
    const renderer: Renderer = {
      render: async (request) => {
        seen = request.files;
        return {
          renderer: "test",
          text: "",
          objects: [{ yaml: configMapYaml("prod-web", {}), source: { file: "apps/web/base/cm.yaml" } }],
          hooks: [],
          notes: [],
          inputs: [],
        };
      },
    };

    // Act
    const loaded = await loadTargetObjects({ readTree, renderer, capabilities: noCapabilities }, target, {
      discoverWatch: true,
    });

    // Assess
    expect(reads).toEqual([
      ["apps/web/overlays/prod"],
      ["apps/web/overlays/prod", "apps/web/base"],
      ["apps/web/overlays/prod", "apps/web/base", "shared/common"],
    ]);
    expect([...(seen?.keys() ?? [])].sort()).toEqual([
      "apps/web/base/cm.yaml",
      "apps/web/base/kustomization.yaml",
      "apps/web/overlays/prod/kustomization.yaml",
      "shared/common/cm.yaml",
      "shared/common/kustomization.yaml",
    ]);
    expect(loaded.discoveredWatch).toEqual(["apps/web/base", "shared/common"]);
  });

  it("are not looked for when the target declares its watch (as the worker reads it)", async () => {
    // Prepare
    const { readTree, reads } = repository(files);
    const target = aTarget("web", { name: "web", path: "apps/web/overlays/prod", watch: ["apps/web/base"] });
    const renderer: Renderer = {
      render: async () => ({
        renderer: "test",
        text: "",
        objects: [{ yaml: configMapYaml("w", {}), source: { file: "apps/web/base/cm.yaml" } }],
        hooks: [],
        notes: [],
        inputs: [],
      }),
    };

    // Act
    const loaded = await loadTargetObjects({ readTree, renderer, capabilities: noCapabilities }, target);

    // Assess
    expect(reads).toEqual([["apps/web/overlays/prod", "apps/web/base"]]);
    expect(loaded.discoveredWatch).toEqual([]);
  });
});
