/** Runs the `pullbridge` CLI as a user does: a real process (`node functions/cli/main.ts`). */
import { execFile } from "node:child_process";

const CLI = new URL("../../functions/cli/main.ts", import.meta.url).pathname;

export type CliRun = { code: number; stdout: string; stderr: string };

/** Runs the CLI as a child process; never rejects (a non-zero exit is a result). Colour variables are cleared. */
export function pullbridge(
  args: string[],
  options: { cwd: string; env?: Record<string, string | undefined> },
): Promise<CliRun> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    FORCE_COLOR: undefined,
    NO_COLOR: undefined,
    ...options.env,
  };
  for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: options.cwd, env }, (error, stdout, stderr) => {
      const code = error && typeof error.code === "number" ? error.code : error ? 1 : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * stderr without the progress lines a sync or diff prints once it has run for a second
 * (`reading live state… 1 read (1s)`): how long a step takes depends on the machine's load, so a
 * test that wants "nothing else on stderr" removes exactly those lines and keeps everything else.
 */
export function withoutProgress(stderr: string): string {
  return stderr.replace(
    /^(?:reading live state|dry-running every change|applying|pruning|recording the ApplySet parent)… [^\n]* \(\d+s\)\n/gm,
    "",
  );
}
