/**
 * Rendering is safe by construction: each refusal of the renderer, through the real helper and
 * the real adapter, with the file it names. Nothing here reaches the network or the host's
 * files: the trees are built in memory (or read from a real git repository for symlinks).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { RenderError } from "../../../lib/errors.ts";
import type { RenderEngine, RenderLimits } from "../../../lib/render/renderer-port.ts";
import { createLocalGitSource } from "../../../lib/source/adapters/local-git-source.ts";
import { DEFAULT_SOURCE_LIMITS } from "../../../lib/source/git-source.ts";
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
  limits: Partial<RenderLimits> = {},
): Promise<RenderError> {
  const renderer = testRenderer(limits);
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

  it("a symlink pointing out of the repository is not followed", async () => {
    // Prepare
    const repo = await createGitRepo();
    await repo.write({
      "apps/x/kustomization.yaml": "resources:\n  - leaked.yaml\n",
      "outside-secret.yaml": DEPLOYMENT.replace("value", "SECRET-FROM-OUTSIDE"),
    });
    await repo.symlink("apps/x/leaked.yaml", "/etc/hostname");
    const sha = await repo.commit("symlink out");
    const files = await createLocalGitSource({ directory: repo.dir }).fetchTree({
      repo: "acme/deploy",
      sha,
      paths: ["."],
      limits: DEFAULT_SOURCE_LIMITS,
    });

    // Act
    const error = await renderFailure(files, "apps/x", "kustomize");

    // Assess
    expect(files.has("apps/x/leaked.yaml")).toBe(false);
    expect(error.code).toBe("render");
    expect(error.message).toContain("leaked.yaml");
    expect(error.file).toMatch(/^apps\/x\//);
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

describe("bounded", () => {
  it("a render that runs past the time limit is stopped with a timeout", async () => {
    // Act
    const error = await renderFailure(
      tree({
        "charts/slow/Chart.yaml": "apiVersion: v2\nname: slow\nversion: 1.0.0\n",
        "charts/slow/templates/loop.yaml":
          "{{- range $i := until 20000 }}{{- range $j := until 20000 }}{{- end }}{{- end }}\n",
      }),
      "charts/slow",
      "helm",
      { timeoutMs: 500 },
    );

    // Assess
    expect(error.code).toBe("timeout");
    expect(error.message).toContain("500 ms");
  });

  it("output above the size limit is refused", async () => {
    // Act
    const error = await renderFailure(
      tree({
        "charts/big/Chart.yaml": "apiVersion: v2\nname: big\nversion: 1.0.0\n",
        "charts/big/templates/cms.yaml":
          '{{- range $i := until 500 }}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{{ $i }}\ndata:\n  pad: {{ repeat 200 "x" | quote }}\n{{- end }}\n',
      }),
      "charts/big",
      "helm",
      { maxOutputBytes: 10_000 },
    );

    // Assess
    expect(error.code).toBe("output-too-large");
    expect(error.message).toContain("10000");
  });

  it("a render that uses more memory than allowed is stopped", async () => {
    // Act
    const error = await renderFailure(
      tree({
        "charts/hungry/Chart.yaml": "apiVersion: v2\nname: hungry\nversion: 1.0.0\n",
        "charts/hungry/templates/cm.yaml":
          '{{- $s := repeat 40000000 "x" }}{{- $t := print $s $s $s }}{{- $u := print $t $t }}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  n: {{ len $u | quote }}\n',
      }),
      "charts/hungry",
      "helm",
      { maxMemoryBytes: 64 * 1024 * 1024 },
    );

    // Assess
    expect(error.code).toBe("memory");
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
});
