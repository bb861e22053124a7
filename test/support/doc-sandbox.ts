/**
 * Where documented commands run: a fresh git repository holding this checkout's files (tracked and
 * new, not ignored ones) with `node_modules` linked in — what a reader has after `git clone` and
 * `npm ci` — and an environment without a kubeconfig, so nothing a test runs can reach a cluster of
 * the person running it. Caches of built binaries (control plane, renderer) are shared.
 */
import { execFile as execFileCallback } from "node:child_process";
import { copyFile, mkdir, mkdtemp, rm, symlink } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { rendererBinDir } from "./renderer.ts";

const execFile = promisify(execFileCallback);
const ROOT = new URL("../../", import.meta.url).pathname;

export type DocSandbox = {
  /** The copy's root: documented commands run here, as in a fresh clone. */
  dir: string;
  /** The environment they run with. */
  env: Record<string, string>;
  remove(): Promise<void>;
};

/** Copies the checkout into a new git repository and prepares a kubeconfig-free environment. */
export async function createDocSandbox(): Promise<DocSandbox> {
  const base = await mkdtemp(join(tmpdir(), "pullbridge-docs-"));
  const dir = join(base, "pullbridge");
  const home = join(base, "home");
  await mkdir(home, { recursive: true });
  const { stdout } = await execFile("git", ["ls-files", "-z", "-co", "--exclude-standard"], {
    cwd: ROOT,
    maxBuffer: 16 * 1024 * 1024,
  });
  for (const file of stdout.split("\0").filter((f) => f !== "")) {
    await mkdir(dirname(join(dir, file)), { recursive: true });
    // A tracked file deleted in the working tree is not part of what is being tested.
    await copyFile(join(ROOT, file), join(dir, file)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "ENOENT") throw error;
    });
  }
  await symlink(join(ROOT, "node_modules"), join(dir, "node_modules"));
  const identity = ["-c", "user.name=pullbridge docs", "-c", "user.email=docs@pullbridge.invalid"];
  await execFile("git", ["init", "-q", "-b", "main"], { cwd: dir });
  await execFile("git", ["add", "-A"], { cwd: dir });
  await execFile("git", [...identity, "commit", "-q", "-m", "checkout under test"], { cwd: dir });

  const cache = process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache");
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && key !== "KUBECONFIG" && key !== "FORCE_COLOR") env[key] = value;
  }
  Object.assign(env, {
    // No ~/.kube/config: `npm start` must take the documented path for a machine without one.
    HOME: home,
    XDG_CACHE_HOME: cache,
    PULLBRIDGE_CACHE_DIR: process.env.PULLBRIDGE_CACHE_DIR ?? join(cache, "pullbridge"),
    // The helper built from this checkout's sources (build.sh caches one per source hash), not
    // whichever build last repointed the cache's `renderer/current`.
    PULLBRIDGE_RENDERER_PATH: join(rendererBinDir(), "pullbridge-renderer"),
    NO_COLOR: "1",
    CI: "true",
    npm_config_update_notifier: "false",
  });
  return { dir, env, remove: () => rm(base, { recursive: true, force: true }) };
}

/** Runs one documented command with bash in the sandbox; never rejects. */
export function runDocCommand(
  sandbox: Pick<DocSandbox, "dir" | "env">,
  command: string,
  extraEnv: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFileCallback(
      "bash",
      ["-c", command],
      {
        cwd: sandbox.dir,
        env: { ...sandbox.env, ...extraEnv },
        timeout: 300_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
