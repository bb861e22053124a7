/**
 * The `pullbridge` CLI as a user installs it: `npm pack` (which bundles the bin with esbuild in
 * `prepack`), the tarball installed into an empty directory, and the installed bin run through
 * `npx` against the shared kube-apiserver — nothing from this checkout on the module path.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { promisify } from "node:util";
import { CoreV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { configMapYaml } from "../../factories/manifest-text.ts";
import { withoutProgress } from "../../support/cli-process.ts";
import { createGitRepo } from "../../support/git-repo.ts";
import { createTestNamespace, grantWorker, kubeConfigFor } from "../../support/kube.ts";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..", "..", "..");
// Node 24 (the one running the tests) first, then the machine's own PATH — but not this
// checkout's node_modules/.bin, so the bin must come from the installed package.
const PATH = [
  dirname(process.execPath),
  ...(process.env.PATH ?? "").split(delimiter).filter((p) => !p.startsWith(join(root, "node_modules"))),
].join(delimiter);

let work: string;
let app: string;

type CliRun = { code: number; stdout: string; stderr: string };

/**
 * The user's environment — CA bundles (`NODE_EXTRA_CA_CERTS`: behind a TLS-inspecting proxy npm
 * fails with SELF_SIGNED_CERT_IN_CHAIN without it), proxies, HOME — with the PATH above, minus the
 * `npm_*` variables an enclosing `npm test` sets for its own scripts.
 */
const userEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.toLowerCase().startsWith("npm_"))),
  PATH,
  HOME: process.env.HOME ?? tmpdir(),
  npm_config_update_notifier: "false",
};

/** Runs a command in the install directory; never rejects (a non-zero exit is a result). */
function inApp(command: string, args: string[], cwd = app): Promise<CliRun> {
  const env = userEnv;
  return new Promise((resolve) => {
    execFile(command, args, { cwd, env, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      const code = error && typeof error.code === "number" ? error.code : error ? 1 : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "pullbridge-pack-"));
  app = join(work, "app");
  await run("npm", ["pack", "--silent", "--pack-destination", work], { cwd: root, maxBuffer: 16 << 20 });
  const [tarball] = (await readdir(work)).filter((f) => f.endsWith(".tgz"));
  if (!tarball) throw new Error(`npm pack wrote no tarball into ${work}`);
  await run("mkdir", [app]);
  await writeFile(join(app, "package.json"), JSON.stringify({ name: "empty", private: true }));
  const install = await inApp("npm", [
    "install",
    "--prefer-offline",
    // npm waits 5 minutes on a stalled registry connection by default (the whole hook's budget,
    // seen once on a fresh machine): give up on one after 30 s and retry it instead.
    "--fetch-timeout=30000",
    "--fetch-retries=4",
    "--no-audit",
    "--no-fund",
    join(work, tarball),
  ]);
  if (install.code !== 0) throw new Error(`npm install of ${tarball} failed:\n${install.stderr}`);
}, 300_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe("pullbridge installed from its npm package", () => {
  it("ships only the bundled bin", async () => {
    // Act
    const files = await readdir(join(app, "node_modules", "pullbridge"), { recursive: true });

    // Assess
    expect(files.sort()).toEqual(["README.md", "dist", "dist/cli.mjs", "package.json"]);
  });

  it("prints its help through npx", async () => {
    // Act
    const help = await inApp("npx", ["--no-install", "pullbridge", "--help"]);

    // Assess
    expect(help.stderr).toBe("");
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("pullbridge diff <dir>");
  });

  it("plans a directory against the live cluster (exit 2, nothing created)", async () => {
    // Prepare
    const namespace = await createTestNamespace("clipkg");
    await grantWorker(namespace);
    const repo = await createGitRepo();
    await repo.commitFiles({ "deploy/app.yaml": configMapYaml("app", { color: "blue" }) }, "manifests");
    const kubeconfig = join(inject("controlPlane").dir, "worker.kubeconfig");
    const bin = join(app, "node_modules", ".bin", "pullbridge");

    // Act
    const diff = await inApp(
      bin,
      ["diff", "deploy", "-n", namespace, "--target", "web", "--kubeconfig", kubeconfig],
      repo.dir,
    );

    // Assess
    expect(withoutProgress(diff.stderr)).toBe("");
    expect(diff.code).toBe(2);
    expect(diff.stdout).toContain(`+ ConfigMap ${namespace}/app  deploy/app.yaml:1`);
    expect(diff.stdout).toContain("Plan: 1 to create, 0 unchanged");
    const live = await kubeConfigFor("admin").makeApiClient(CoreV1Api).listNamespacedConfigMap({ namespace });
    expect(live.items.map((c) => c.metadata?.name)).not.toContain("app");
  });
});
