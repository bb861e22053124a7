/**
 * Symbolic links render as the stock tools render them from a checkout: a real git repository
 * with links, read through the local git source (an archive, as the worker reads GitHub's), the
 * target's directories kept and rendered through the real helper, compared byte for byte with
 * `helm template` / `kustomize build` run on the working tree (which follow links on disk).
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { RenderError } from "../../../lib/errors.ts";
import { renderDesired } from "../../../lib/render/render-desired.ts";
import { sourcePathsOf } from "../../../lib/render/target-source-paths.ts";
import { createLocalGitSource } from "../../../lib/source/adapters/local-git-source.ts";
import { DEFAULT_SOURCE_LIMITS } from "../../../lib/source/git-source.ts";
import { configMapYaml } from "../../factories/manifest-text.ts";
import { aTarget } from "../../factories/sync.ts";
import { createGitRepo, type GitRepo } from "../../support/git-repo.ts";
import {
  rendererBinDir,
  stockHelmTemplate,
  stockKustomizeBuild,
  testRenderer,
} from "../../support/renderer.ts";

const run = promisify(execFile);

beforeAll(() => {
  rendererBinDir();
}, 1_200_000);

/** Renders `target` at the repository's head as the worker does: fetch path ∪ watch, keep them, render. */
async function renderAtHead(repo: GitRepo, target: ReturnType<typeof aTarget>, sha: string) {
  const dirs = sourcePathsOf(target);
  const fetched = await createLocalGitSource({ directory: repo.dir }).fetchTree({
    repo: "acme/deploy",
    sha,
    paths: dirs,
    limits: DEFAULT_SOURCE_LIMITS,
  });
  return renderDesired(
    { renderer: testRenderer() },
    {
      files: fetched,
      target,
      capabilities: { kubeVersion: "v1.36.3", apiVersions: [] },
    },
  );
}

describe("symbolic links render as the stock tools render them", () => {
  it("a Helm chart with a symlinked template and a symlinked subchart directory", async () => {
    // Prepare
    const repo = await createGitRepo();
    await repo.write({
      "charts/app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 1.0.0\n",
      "charts/app/files/settings.yaml": configMapYaml("settings", { color: "blue" }),
      "charts/app/templates/own.yaml": configMapYaml("own", { a: "1" }),
      "common/lib/Chart.yaml": "apiVersion: v2\nname: lib\nversion: 0.1.0\n",
      "common/lib/templates/sa.yaml":
        "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {{ .Release.Name }}-lib\n",
    });
    await repo.symlink("charts/app/templates/settings.yaml", "../files/settings.yaml");
    await repo.symlink("charts/app/charts/lib", "../../../common/lib");
    const sha = await repo.commit("chart with links");
    const target = aTarget("ns", {
      name: "app",
      path: "charts/app",
      watch: ["common/lib"],
      render: "helm",
      helm: { releaseName: "app", valuesFiles: [], values: {} },
    });

    // Act
    const [ours, stock] = await Promise.all([
      renderAtHead(repo, target, sha),
      stockHelmTemplate([
        "app",
        join(repo.dir, "charts/app"),
        "--namespace",
        "ns",
        "--include-crds",
        "--no-hooks",
        "--kube-version",
        "v1.36.3",
      ]),
    ]);

    // Assess
    expect(ours.output?.text).toBe(stock);
    expect(
      ours.desired.map((d) => `${d.object.kind}/${d.object.metadata.name} ${d.source.file}`).sort(),
    ).toEqual([
      "ConfigMap/own charts/app/templates/own.yaml",
      "ConfigMap/settings charts/app/templates/settings.yaml",
      "ServiceAccount/app-lib charts/app/charts/lib/templates/sa.yaml",
    ]);
  });

  it("a Kustomize overlay with a symlinked resource in its directory and a symlinked base directory", async () => {
    // Prepare
    const repo = await createGitRepo();
    await repo.write({
      "apps/x/kustomization.yaml": "resources:\n  - cm.yaml\n  - ../base\nnamePrefix: x-\n",
      "apps/x/real/cm.yaml": configMapYaml("own", { a: "1" }),
      "shared/base/kustomization.yaml": "resources:\n  - settings.yaml\n",
      "shared/base/settings.yaml": configMapYaml("settings", { color: "blue" }),
    });
    await repo.symlink("apps/x/cm.yaml", "real/cm.yaml");
    await repo.symlink("apps/base", "../shared/base");
    const sha = await repo.commit("overlay with links");
    const target = aTarget("ns", {
      path: "apps/x",
      watch: ["apps/base", "shared/base"],
      render: "kustomize",
    });

    // Act
    const [ours, stock] = await Promise.all([
      renderAtHead(repo, target, sha),
      stockKustomizeBuild(join(repo.dir, "apps/x")),
    ]);

    // Assess
    expect(ours.output?.text).toBe(stock);
    expect(ours.desired.map((d) => d.object.metadata.name).sort()).toEqual(["x-own", "x-settings"]);
  });

  it("a link from a kustomization's directory to a file outside it is refused, as kustomize refuses it", async () => {
    // Prepare
    const repo = await createGitRepo();
    await repo.write({
      "apps/x/kustomization.yaml": "resources:\n  - cm.yaml\n",
      "shared/cm.yaml": configMapYaml("settings", { color: "blue" }),
    });
    await repo.symlink("apps/x/cm.yaml", "../../shared/cm.yaml");
    const sha = await repo.commit("link out of the kustomization's directory");
    const target = aTarget("ns", { path: "apps/x", watch: ["shared"], render: "kustomize" });

    // Act
    const ours = await renderAtHead(repo, target, sha).catch((e: unknown) => e);
    const stock = await run(join(rendererBinDir(), "kustomize"), ["build", join(repo.dir, "apps/x")]).catch(
      (e: { stderr: string }) => e.stderr,
    );

    // Assess
    expect(stock).toContain("security; file");
    expect(ours).toBeInstanceOf(RenderError);
    const message = (ours as RenderError).message;
    expect(message).toContain("security; file 'apps/x/cm.yaml' is not in or below 'apps/x'");
    expect(message).toContain(
      "(apps/x/cm.yaml is a symbolic link to shared/cm.yaml; Kustomize reads a kustomization's files only in or below its directory)",
    );
  });
});
