/**
 * The renderer helper and the stock CLIs for tests: built (once per version, cached) by
 * infra/renderer/build.sh, plus a reader for the fixture repository and runners for
 * `kustomize build` / `helm template` to compare against.
 */
import { execFile, execFileSync } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { promisify } from "node:util";
import { createProcessRenderer } from "../../lib/render/adapters/process-renderer.ts";
import type { Renderer, RenderLimits } from "../../lib/render/renderer-port.ts";

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, "..", "..");

/** The fixture repository of test/fixtures/render/repo. */
export const RENDER_FIXTURE_REPO = join(ROOT, "test", "fixtures", "render", "repo");

let binDir: string | undefined;

/** Directory with `pullbridge-renderer`, `kustomize` and `helm` (builds them the first time). */
export function rendererBinDir(): string {
  binDir ??= execFileSync("bash", [join(ROOT, "infra", "renderer", "build.sh")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  })
    .trim()
    .split("\n")
    .pop() as string;
  return binDir;
}

/** The real helper behind the real adapter. */
export function testRenderer(limits: Partial<RenderLimits> = {}): Renderer {
  return createProcessRenderer({ binaryPath: join(rendererBinDir(), "pullbridge-renderer"), limits });
}

/** Every regular file under `dir`, keyed by `/`-separated path relative to it. */
export async function readTree(dir: string): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  const walk = async (current: string): Promise<void> => {
    for (const entry of await readdir(current, { withFileTypes: true })) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) files.set(relative(dir, path).split(sep).join("/"), await readFile(path));
    }
  };
  await walk(dir);
  return files;
}

/** `kustomize build <dir>` with the stock CLI at the pinned version. */
export async function stockKustomizeBuild(dir: string): Promise<string> {
  const { stdout } = await run(join(rendererBinDir(), "kustomize"), ["build", dir], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

/** `helm template` with the stock CLI at the pinned version (isolated from any user config). */
export async function stockHelmTemplate(args: readonly string[]): Promise<string> {
  const { stdout } = await run(join(rendererBinDir(), "helm"), ["template", ...args], {
    maxBuffer: 64 * 1024 * 1024,
    env: { PATH: process.env.PATH ?? "", HOME: "/nonexistent", HELM_CONFIG_HOME: "/nonexistent" },
  });
  return stdout;
}
