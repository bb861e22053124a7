/**
 * `pullbridge render`, and `diff` / `sync` of a rendered directory, as a user runs them: a real
 * process against the real API server, with the real renderer helper and the stock CLIs.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { CoreV1Api } from "@kubernetes/client-node";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { createGitRepo } from "../../support/git-repo.ts";
import { createTestNamespace, grantWorker, kubeConfigFor } from "../../support/kube.ts";
import {
  RENDER_FIXTURE_REPO,
  rendererBinDir,
  stockHelmTemplate,
  stockKustomizeBuild,
} from "../../support/renderer.ts";

const CLI = new URL("../../../functions/cli/main.ts", import.meta.url).pathname;
let rendererPath: string;

beforeAll(() => {
  rendererPath = join(rendererBinDir(), "pullbridge-renderer");
}, 1_200_000);

function pullbridge(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: Record<string, string | undefined> = { ...process.env, PULLBRIDGE_RENDERER_PATH: rendererPath };
  delete env.FORCE_COLOR;
  delete env.NO_COLOR;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { cwd, env, maxBuffer: 32 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error && typeof error.code === "number" ? error.code : error ? 1 : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe("pullbridge render", () => {
  it("prints what `kustomize build` prints for an overlay", async () => {
    // Act
    const [ours, stock] = await Promise.all([
      pullbridge(["render", "apps/web/overlays/prod", "--root", "."], RENDER_FIXTURE_REPO),
      stockKustomizeBuild(join(RENDER_FIXTURE_REPO, "apps/web/overlays/prod")),
    ]);

    // Assess
    expect(ours.stderr).toBe(
      "note: read apps/web/base, apps/web/components/tracing outside apps/web/overlays/prod, as its kustomizations refer to them; a target for apps/web/overlays/prod needs watch: [apps/web/base, apps/web/components/tracing]\n",
    );
    expect(ours.code).toBe(0);
    expect(ours.stdout).toBe(stock);
  });

  it("prints what `helm template` prints for a chart (templates without a trailing newline, .Files, tpl, lookup) and nothing on stderr", async () => {
    // Act
    const [ours, stock] = await Promise.all([
      pullbridge(["render", "charts/tools", "--root", ".", "--kube-version", "v1.36.3"], RENDER_FIXTURE_REPO),
      stockHelmTemplate([
        "tools",
        join(RENDER_FIXTURE_REPO, "charts/tools"),
        "--include-crds",
        "--no-hooks",
        "--kube-version",
        "v1.36.3",
      ]),
    ]);

    // Assess
    expect(ours.stderr).toBe("");
    expect(ours.code).toBe(0);
    expect(ours.stdout).toBe(stock);
  });

  it("prints a chart with hooks as `helm template --no-hooks` does, the hooks only as notes on stderr (run by a sync; the test hook never)", async () => {
    // Act
    const [ours, stock] = await Promise.all([
      pullbridge(
        ["render", ".", "--targets", "targets.yaml", "--target", "shop", "--kube-version", "v1.36.3"],
        RENDER_FIXTURE_REPO,
      ),
      stockHelmTemplate([
        "shop",
        join(RENDER_FIXTURE_REPO, "charts/shop"),
        "--namespace",
        "shop",
        "-f",
        join(RENDER_FIXTURE_REPO, "charts/shop/values-prod.yaml"),
        "--include-crds",
        "--no-hooks",
        "--kube-version",
        "v1.36.3",
      ]),
    ]);

    // Assess
    expect(ours.code).toBe(0);
    expect(ours.stdout).toBe(stock);
    expect(
      ours.stderr
        .split("\n")
        .filter((line) => line !== "")
        .sort(),
    ).toEqual([
      expect.stringMatching(
        /^note: Helm hook Job shop-shop-migrate \(helm\.sh\/hook: pre-install,pre-upgrade\) from charts\/shop\/templates\/migrate-job\.yaml: not printed \(as --no-hooks\); a sync runs it as a hook/,
      ),
      expect.stringMatching(
        /^note: skipped Helm hook Pod shop-shop-test .*a test hook runs only with `helm test`/,
      ),
    ]);
  });

  it("lists a chart's hooks on stderr and, in JSON, its objects and apart its hooks with their templates", async () => {
    // Act
    const run = await pullbridge(
      [
        "render",
        ".",
        "--targets",
        "targets.yaml",
        "--target",
        "shop",
        "--kube-version",
        "v1.36.3",
        "--output",
        "json",
      ],
      RENDER_FIXTURE_REPO,
    );

    // Assess
    expect(run.code).toBe(0);
    expect(run.stderr).toContain("note: Helm hook Job shop-shop-migrate");
    const out = JSON.parse(run.stdout) as {
      engine: string;
      objects: Array<{ source: { file: string } }>;
      hooks: Array<{ source: { file: string } }>;
    };
    expect(out.engine).toBe("helm");
    expect(out.objects.map((o) => o.source.file)).toContain("charts/shop/templates/deployment.yaml");
    expect(out.objects.map((o) => o.source.file)).not.toContain("charts/shop/templates/migrate-job.yaml");
    expect(out.hooks.map((o) => o.source.file).sort()).toEqual([
      "charts/shop/templates/migrate-job.yaml",
      "charts/shop/templates/tests/test-connection.yaml",
    ]);
  });

  it("a render refusal exits 1 and names the kustomization", async () => {
    // Prepare
    const repo = await createGitRepo();
    await repo.commitFiles({ "app/kustomization.yaml": "resources:\n  - https://example.com/app.yaml\n" });

    // Act
    const run = await pullbridge(["render", "app"], repo.dir);

    // Assess
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("app/kustomization.yaml");
    expect(run.stderr).toContain("remote resource");
  });
});

describe("pullbridge diff / sync of an overlay", () => {
  it("reads only the overlay and its bases, as the worker does: a 25 MB file elsewhere in the repository is not read", async () => {
    // Prepare
    const namespace = await createTestNamespace("cli-select");
    await grantWorker(namespace);
    const repo = await createGitRepo();
    await repo.commitFiles({
      "apps/web/base/kustomization.yaml": "resources:\n  - cm.yaml\n",
      "apps/web/base/cm.yaml":
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  color: blue\n",
      "apps/web/overlays/prod/kustomization.yaml": "resources:\n  - ../../base\nnamePrefix: prod-\n",
      // Over the worker's maxBytes (20 MiB), beside the overlay and outside it.
      "apps/web/docs/recording.txt": "x".repeat(25 * 1024 * 1024),
      "assets/dump.txt": "x".repeat(25 * 1024 * 1024),
    });
    const kubeconfig = join(inject("controlPlane").dir, "worker.kubeconfig");
    const common = ["-n", namespace, "--kubeconfig", kubeconfig, "--target", "web"];
    const note =
      "note: read apps/web/base outside apps/web/overlays/prod, as its kustomizations refer to them; a target for apps/web/overlays/prod needs watch: [apps/web/base]\n";

    // Act
    const render = await pullbridge(["render", "apps/web/overlays/prod"], repo.dir);
    const diff = await pullbridge(["diff", "apps/web/overlays/prod", "--summary", ...common], repo.dir);
    const sync = await pullbridge(["sync", "apps/web/overlays/prod", ...common], repo.dir);
    const declared = await pullbridge(
      ["diff", "apps/web/overlays/prod", "--watch", "apps/web/base", ...common],
      join(repo.dir),
    );

    // Assess
    expect(render.stderr).toBe(note);
    expect(render.code).toBe(0);
    expect(render.stdout).toContain("name: prod-settings");
    expect(diff.stderr).toBe(note);
    expect(diff.code).toBe(2);
    expect(diff.stdout).toContain(`ConfigMap ${namespace}/prod-settings`);
    expect(sync.stderr).toBe(note);
    expect(sync.code).toBe(0);
    const cm = await kubeConfigFor("admin")
      .makeApiClient(CoreV1Api)
      .readNamespacedConfigMap({ namespace, name: "prod-settings" });
    expect(cm.data).toEqual({ color: "blue" });
    // With the watch declared (as in a targets file), the same selection and nothing to say.
    expect(declared.stderr).toBe("");
    expect(declared.code).toBe(0);
    expect(declared.stdout).toContain("No changes: 1 unchanged");
  });

  it("fails as the worker does when the overlay and its bases exceed the limits themselves", async () => {
    // Prepare
    const repo = await createGitRepo();
    await repo.commitFiles({
      "base/kustomization.yaml": "resources:\n  - cm.yaml\n",
      "base/cm.yaml": `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n  blob: ${"x".repeat(21 * 1024 * 1024)}\n`,
      "overlays/prod/kustomization.yaml": "resources:\n  - ../../base\n",
    });

    // Act
    const render = await pullbridge(["render", "overlays/prod"], repo.dir);

    // Assess
    expect(render.code).toBe(1);
    expect(render.stderr).toMatch(
      /files under `overlays\/prod`, `base` exceed 20971520 bytes \(limit maxBytes=20971520\)/,
    );
  });

  it("syncs the rendered overlay (its base read from the git top level) and diff --summary prints no diffs", async () => {
    // Prepare
    const namespace = await createTestNamespace("cli-render");
    await grantWorker(namespace);
    const repo = await createGitRepo();
    await repo.commitFiles({
      "base/kustomization.yaml": "resources:\n  - cm.yaml\n",
      "base/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  color: blue\n",
      "overlays/prod/kustomization.yaml": "resources:\n  - ../../base\nnamePrefix: prod-\n",
    });
    const kubeconfig = join(inject("controlPlane").dir, "worker.kubeconfig");
    const common = ["-n", namespace, "--kubeconfig", kubeconfig, "--target", "web"];

    // Act
    const sync = await pullbridge(["sync", "overlays/prod", ...common], repo.dir);
    await repo.commitFiles({
      "base/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  color: green\n",
    });
    const summary = await pullbridge(["diff", "overlays/prod", "--summary", ...common], repo.dir);
    const full = await pullbridge(["diff", "overlays/prod", ...common], repo.dir);

    // Assess
    expect(sync.code).toBe(0);
    const cm = await kubeConfigFor("admin")
      .makeApiClient(CoreV1Api)
      .readNamespacedConfigMap({ namespace, name: "prod-settings" });
    expect(cm.data).toEqual({ color: "blue" });
    expect(summary.code).toBe(2);
    expect(summary.stdout).toContain(`ConfigMap ${namespace}/prod-settings`);
    expect(summary.stdout).toContain("base/cm.yaml");
    expect(summary.stdout).not.toContain("+  color: green");
    expect(full.stdout).toContain("color: green");
  });
});
