/**
 * Rendering is safe by construction: each refusal of the renderer, through the real helper and
 * the real adapter, with the file it names. Nothing here reaches the network or the host's
 * files: the trees are built in memory (or read from a real git repository for symlinks).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { ManifestSetError, RenderError } from "../../../lib/errors.ts";
import { renderDesired } from "../../../lib/render/render-desired.ts";
import type { RenderEngine } from "../../../lib/render/renderer-port.ts";
import { createLocalGitSource } from "../../../lib/source/adapters/local-git-source.ts";
import { DEFAULT_SOURCE_LIMITS } from "../../../lib/source/git-source.ts";
import { aTarget } from "../../factories/sync.ts";
import { createGitRepo } from "../../support/git-repo.ts";
import { rendererBinDir, testRenderer } from "../../support/renderer.ts";

beforeAll(() => {
  rendererBinDir();
}, 1_200_000);

function tree(files: Record<string, string>): Map<string, Uint8Array> {
  return new Map(Object.entries(files).map(([path, text]) => [path, new TextEncoder().encode(text)]));
}

const DEPLOYMENT = `apiVersion: v1
kind: ConfigMap
metadata:
  name: app
data:
  key: value
`;

async function renderFailure(
  files: ReadonlyMap<string, Uint8Array>,
  path: string,
  engine: RenderEngine,
): Promise<RenderError> {
  const renderer = testRenderer();
  const error = await renderer
    .render({
      files,
      path,
      engine,
      helm:
        engine === "helm"
          ? { releaseName: "r", namespace: "default", valuesFiles: [], values: {}, apiVersions: [] }
          : undefined,
    })
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(error).toBeInstanceOf(RenderError);
  return error as RenderError;
}

describe("no file outside the tree", () => {
  it("a resource above the repository root is refused, naming the kustomization", async () => {
    // Act
    const error = await renderFailure(
      tree({ "apps/x/kustomization.yaml": "resources:\n  - ../../../../etc/hostname\n" }),
      "apps/x",
      "kustomize",
    );

    // Assess
    expect(error.code).toBe("outside-tree");
    expect(error.file).toBe("apps/x/kustomization.yaml");
    expect(error.message).toContain("outside the repository tree");
    expect(error.retryable).toBe(false);
  });

  it("a base above the root through a deeper path is refused the same way", async () => {
    // Act
    const error = await renderFailure(
      tree({
        "apps/x/kustomization.yaml": "resources:\n  - ../base\n",
        "apps/base/kustomization.yaml": "resources:\n  - ../../../outside\n",
      }),
      "apps/x",
      "kustomize",
    );

    // Assess
    expect(error.code).toBe("outside-tree");
    expect(error.file).toBe("apps/base/kustomization.yaml");
  });

  it("a base elsewhere inside the tree is allowed (../base)", async () => {
    // Act
    const out = await testRenderer().render({
      files: tree({
        "apps/x/kustomization.yaml": "resources:\n  - ../../shared/base\n",
        "shared/base/kustomization.yaml": "resources:\n  - cm.yaml\n",
        "shared/base/cm.yaml": DEPLOYMENT,
      }),
      path: "apps/x",
      engine: "kustomize",
    });

    // Assess
    expect(out.objects.map((o) => o.source.file)).toEqual(["shared/base/cm.yaml"]);
  });

  it("a symlink pointing out of the repository is never followed: the target is refused, naming the link", async () => {
    // Prepare
    const repo = await createGitRepo();
    await repo.write({ "apps/x/kustomization.yaml": "resources:\n  - leaked.yaml\n" });
    await repo.symlink("apps/x/leaked.yaml", "/etc/hostname");
    const sha = await repo.commit("symlink out");
    const files = await createLocalGitSource({ directory: repo.dir }).fetchTree({
      repo: "acme/deploy",
      sha,
      paths: ["."],
      limits: DEFAULT_SOURCE_LIMITS,
    });

    // Act
    const error = await renderDesired(
      { renderer: testRenderer() },
      { files, target: aTarget("x", { path: "apps/x", render: "kustomize" }) },
    ).catch((e: unknown) => e);

    // Assess
    expect(files.has("apps/x/leaked.yaml")).toBe(false);
    expect(error).toBeInstanceOf(ManifestSetError);
    expect((error as ManifestSetError).message).toBe(
      "apps/x/leaked.yaml: symbolic link to /etc/hostname points to an absolute path (/etc/hostname), which is never followed",
    );
  });

  it("a generator reading a file outside the tree names the kustomization and the field that asked for it", async () => {
    // Act
    const error = await renderFailure(
      tree({
        "apps/x/kustomization.yaml":
          "configMapGenerator:\n  - name: settings\n    files:\n      - app.properties\n      - pw=../../../../etc/passwd\n",
        "apps/x/app.properties": "a=b\n",
      }),
      "apps/x",
      "kustomize",
    );

    // Assess
    expect(error.code).toBe("outside-tree");
    expect(error.file).toBe("apps/x/kustomization.yaml");
    expect(error.message).toBe(
      "apps/x/kustomization.yaml: configMapGenerator[0].files[1] reads ../../../../etc/passwd, outside the repository tree: rendering reads only the files of the commit",
    );
  });

  it("a patch read from outside the tree names its kustomization and field", async () => {
    // Act
    const error = await renderFailure(
      tree({
        "apps/x/kustomization.yaml": "resources:\n  - ../base\n",
        "apps/base/kustomization.yaml": "resources:\n  - cm.yaml\npatches:\n  - path: ../../../p.yaml\n",
        "apps/base/cm.yaml": DEPLOYMENT,
      }),
      "apps/x",
      "kustomize",
    );

    // Assess
    expect(error).toMatchObject({ code: "outside-tree", file: "apps/base/kustomization.yaml" });
    expect(error.message).toContain("apps/base/kustomization.yaml: patches[0].path reads ../../../p.yaml");
  });
});

describe("no network", () => {
  it("a remote Git base is refused, naming the kustomization", async () => {
    // Act
    const error = await renderFailure(
      tree({ "apps/x/kustomization.yaml": "resources:\n  - github.com/acme/infra//base?ref=v1.0.0\n" }),
      "apps/x",
      "kustomize",
    );

    // Assess
    expect(error.code).toBe("remote");
    expect(error.file).toBe("apps/x/kustomization.yaml");
    expect(error.message).toContain("github.com/acme/infra//base?ref=v1.0.0");
  });

  it("a remote URL resource is refused", async () => {
    // Act
    const error = await renderFailure(
      tree({ "apps/x/kustomization.yaml": "resources:\n  - https://example.com/manifests/app.yaml\n" }),
      "apps/x",
      "kustomize",
    );

    // Assess
    expect(error.code).toBe("remote");
    expect(error.file).toBe("apps/x/kustomization.yaml");
  });

  it("a patch fetched over HTTP is refused by the renderer's disabled network", async () => {
    // Act
    const error = await renderFailure(
      tree({
        "apps/x/kustomization.yaml":
          "resources:\n  - cm.yaml\npatches:\n  - path: https://example.com/patch.yaml\n",
        "apps/x/cm.yaml": DEPLOYMENT,
      }),
      "apps/x",
      "kustomize",
    );

    // Assess
    expect(error.code).toBe("remote");
    expect(error.file).toBe("apps/x/kustomization.yaml");
    expect(error.message).toContain("https://example.com/patch.yaml");
  });

  it("a chart dependency that is not vendored in charts/ is refused, naming Chart.yaml", async () => {
    // Act
    const error = await renderFailure(
      tree({
        "charts/app/Chart.yaml":
          "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n  - name: redis\n    version: 18.0.0\n    repository: https://charts.example.com\n",
        "charts/app/templates/cm.yaml": DEPLOYMENT,
      }),
      "charts/app",
      "helm",
    );

    // Assess
    expect(error.code).toBe("remote");
    expect(error.file).toBe("charts/app/Chart.yaml");
    expect(error.message).toContain("redis");
    expect(error.message).toContain("helm dependency build");
  });
});

describe("no plugins", () => {
  it("an exec KRM function generator is refused", async () => {
    // Act
    const error = await renderFailure(
      tree({
        "apps/x/kustomization.yaml": "generators:\n  - gen.yaml\n",
        "apps/x/gen.yaml":
          "apiVersion: example.com/v1\nkind: Generator\nmetadata:\n  name: gen\n  annotations:\n    config.kubernetes.io/function: |\n      exec:\n        path: ./gen.sh\n",
        "apps/x/gen.sh": "#!/bin/sh\necho pwned\n",
      }),
      "apps/x",
      "kustomize",
    );

    // Assess
    expect(error.code).toBe("plugin");
    expect(error.file).toMatch(/^apps\/x\//);
  });

  it("a legacy (Go/exec) transformer plugin is refused", async () => {
    // Act
    const error = await renderFailure(
      tree({
        "apps/x/kustomization.yaml": "resources:\n  - cm.yaml\ntransformers:\n  - t.yaml\n",
        "apps/x/cm.yaml": DEPLOYMENT,
        "apps/x/t.yaml":
          "apiVersion: someteam.example.com/v1\nkind: SedTransformer\nmetadata:\n  name: sed\n",
      }),
      "apps/x",
      "kustomize",
    );

    // Assess
    expect(error.code).toBe("plugin");
  });

  it("helmCharts inside a kustomization is refused (it would run helm and pull the chart)", async () => {
    // Act
    const error = await renderFailure(
      tree({
        "apps/x/kustomization.yaml":
          "helmCharts:\n  - name: redis\n    repo: https://charts.example.com\n    version: 18.0.0\n",
      }),
      "apps/x",
      "kustomize",
    );

    // Assess
    expect(error.code).toBe("plugin");
    expect(error.file).toBe("apps/x/kustomization.yaml");
  });
});

describe("render errors name the file", () => {
  it("a template error names the template", async () => {
    // Act
    const error = await renderFailure(
      tree({
        "charts/bad/Chart.yaml": "apiVersion: v2\nname: bad\nversion: 1.0.0\n",
        "charts/bad/templates/cm.yaml":
          "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.missing.deep }}\n",
      }),
      "charts/bad",
      "helm",
    );

    // Assess
    expect(error.code).toBe("render");
    expect(error.file).toBe("charts/bad/templates/cm.yaml");
    expect(error.message).toContain("charts/bad/templates/cm.yaml");
  });

  it("a broken patch names the overlay", async () => {
    // Act
    const error = await renderFailure(
      tree({
        "apps/x/kustomization.yaml": "resources:\n  - cm.yaml\npatches:\n  - path: missing-patch.yaml\n",
        "apps/x/cm.yaml": DEPLOYMENT,
      }),
      "apps/x",
      "kustomize",
    );

    // Assess
    expect(error.code).toBe("render");
    expect(error.message).toContain("missing-patch.yaml");
    expect(error.file).toMatch(/^apps\/x\//);
  });

  it("an empty kustomization names its path", async () => {
    // Act
    const error = await renderFailure(
      tree({ "apps/x/kustomization.yaml": "resources:\n  - ../base\n", "apps/base/kustomization.yaml": "" }),
      "apps/x",
      "kustomize",
    );

    // Assess
    expect(error.file).toBe("apps/base/kustomization.yaml");
    expect(error.message).toMatch(/^apps\/base\/kustomization\.yaml: .*kustomization\.yaml is empty$/);
  });

  it("a values file outside the target's path and watch paths says it was not fetched and how to fix it", async () => {
    // Prepare: shared/values.yaml is in the repository, but the target fetches only charts/app.
    const files = tree({
      "charts/app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 1.0.0\n",
      "charts/app/values-prod.yaml": "a: 1\n",
      "charts/app/templates/cm.yaml": DEPLOYMENT,
    });
    // The targets schema refuses a values file outside path ∪ watch when the file is read; the
    // renderer says the same for a target built without it (defence in depth), so build one here.
    const target = (valuesFiles: string[]) => {
      const valid = aTarget("app", {
        path: "charts/app",
        render: "helm",
        helm: { valuesFiles: [], values: {} },
      });
      return { ...valid, helm: { values: {}, valuesFiles } };
    };
    const render = (valuesFiles: string[]) =>
      renderDesired({ renderer: testRenderer() }, { files, target: target(valuesFiles) }).catch(
        (e: unknown) => e as RenderError,
      );

    // Act
    const outside = await render(["charts/app/values-prod.yaml", "shared/values.yaml"]);
    const missing = await render(["charts/app/values-staging.yaml"]);

    // Assess
    expect(outside).toMatchObject({ code: "render", file: "shared/values.yaml" });
    expect((outside as RenderError).message).toBe(
      "values file shared/values.yaml (helm.valuesFiles[1]) is not among the target's files — shared/values.yaml is outside the target's path and watch paths (charts/app), so it was not fetched: add its directory to the target's `watch`",
    );
    expect((missing as RenderError).message).toBe(
      "values file charts/app/values-staging.yaml (helm.valuesFiles[0]) does not exist at this commit",
    );
  });

  it("a generator's file elsewhere in the repository but not fetched says to add it to watch", async () => {
    // Act
    const error = await renderDesired(
      { renderer: testRenderer() },
      {
        files: tree({
          "apps/x/kustomization.yaml":
            "configMapGenerator:\n  - name: c\n    files:\n      - ../shared/app.properties\n",
        }),
        target: aTarget("x", { path: "apps/x", render: "kustomize" }),
      },
    ).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(RenderError);
    expect((error as RenderError).file).toBe("apps/x/kustomization.yaml");
    expect((error as RenderError).message).toMatch(
      /^apps\/x\/kustomization\.yaml: .*'apps\/shared\/app\.properties' doesn't exist — apps\/shared\/app\.properties is outside the target's path and watch paths \(apps\/x\), so it was not fetched: add its directory to the target's `watch`$/,
    );
  });
});
