/**
 * What a running `npm start` tells `npm run send-push`: where it listens, the webhook secret,
 * and which repositories it reads from disk. Kept in `.pullbridge/` (gitignored), readable only
 * by the user, and removed on a clean stop.
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** `.pullbridge/` at the repository root (gitignored); `--state-dir` moves it (tests, several bridges). */
const DEFAULT_LOCAL_DIR = fileURLToPath(new URL("../../.pullbridge/", import.meta.url));

/** Where a bridge keeps its state file and demo repository. */
export function localPaths(dir: string = DEFAULT_LOCAL_DIR) {
  return { dir, stateFile: join(dir, "local-bridge.json"), demoRepo: join(dir, "demo-repo") };
}

export type LocalState = {
  pid: number;
  webhookUrl: string;
  webhookSecret: string;
  /** Targets served, with the repository and branch each tracks. */
  targets: Array<{ name: string; repo: string; branch: string; path: string }>;
  /** Repositories read from disk: `owner/name` → directory. */
  directories: Record<string, string>;
  /** Last head delivered per `repo@branch`, so the next push lists exactly the new changes. */
  delivered: Record<string, string>;
};

export async function writeLocalState(state: LocalState, file: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  await rename(temp, file);
}

export async function readLocalState(file: string): Promise<LocalState | undefined> {
  if (!existsSync(file)) return undefined;
  return JSON.parse(await readFile(file, "utf8")) as LocalState;
}

export async function removeLocalState(file: string): Promise<void> {
  await rm(file, { force: true });
}
