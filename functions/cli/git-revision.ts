/**
 * The revision `pullbridge sync` records on the ApplySet parent: the commit the directory is
 * at, marked `+dirty` when the directory has uncommitted changes (so the bridge never mistakes
 * a hand-run sync of edited files for a sync of that commit), or `local` outside git.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

/** `<sha>`, `<sha>+dirty` or `local`. */
export async function describeRevision(directory: string): Promise<string> {
  try {
    const { stdout: sha } = await run("git", ["rev-parse", "--verify", "HEAD"], { cwd: directory });
    const { stdout: status } = await run("git", ["status", "--porcelain", "--", "."], { cwd: directory });
    return `${sha.trim()}${status.trim() === "" ? "" : "+dirty"}`;
  } catch {
    return "local";
  }
}

/** The git top level holding `directory`, or undefined outside a git work tree. */
export async function gitTopLevel(directory: string): Promise<string | undefined> {
  try {
    const { stdout } = await run("git", ["rev-parse", "--show-toplevel"], { cwd: directory });
    return stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}
