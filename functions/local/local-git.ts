/**
 * The `git` operations local mode needs on a repository on disk: commit what changed, revert,
 * and list which files a range of commits touched (what GitHub puts in a push payload).
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

export const ZERO_SHA = "0".repeat(40);

/** Files a push changed, as GitHub lists them per commit. */
export type ChangedFiles = { added: string[]; modified: string[]; removed: string[] };

export type LocalGit = {
  dir: string;
  /** Runs `git <args>` in the repository; trimmed stdout. */
  git(...args: string[]): Promise<string>;
  /** Head sha of `branch`, or undefined when the branch has no commit yet. */
  head(branch: string): Promise<string | undefined>;
  /** Whether the working tree has uncommitted changes (tracked or untracked). */
  isDirty(): Promise<boolean>;
  /** Stages everything and commits; returns the new head. */
  commitAll(message: string): Promise<string>;
  /** `git revert --no-edit HEAD`; returns the new head. */
  revertHead(): Promise<string>;
  /** Files changed between two commits (`before` all zeros: everything in `after`). */
  changedFiles(before: string, after: string): Promise<ChangedFiles>;
  /** The parent of `sha`, or undefined for a root commit. */
  parentOf(sha: string): Promise<string | undefined>;
  /** The subject line of a commit. */
  subjectOf(sha: string): Promise<string>;
};

/**
 * Commits made by local mode carry a fixed identity when the repository has none, so the demo
 * works on CI machines and fresh containers where `user.name` is not configured.
 */
const FALLBACK_IDENTITY = ["-c", "user.name=pullbridge local", "-c", "user.email=local@pullbridge.invalid"];

/** Wraps an existing repository directory. */
export function localGit(dir: string): LocalGit {
  const git = async (...args: string[]) =>
    (await run("git", args, { cwd: dir, maxBuffer: 64 * 1024 * 1024 })).stdout.trim();
  const identity = async (): Promise<string[]> => {
    const email = await git("config", "user.email").catch(() => "");
    return email === "" ? FALLBACK_IDENTITY : [];
  };
  return {
    dir,
    git,
    async head(branch) {
      return await git("rev-parse", "--verify", "--quiet", `refs/heads/${branch}`).catch(() => undefined);
    },
    async isDirty() {
      return (await git("status", "--porcelain")) !== "";
    },
    async commitAll(message) {
      await git("add", "--all");
      await git(...(await identity()), "commit", "--quiet", "--no-verify", "--allow-empty", "-m", message);
      return await git("rev-parse", "HEAD");
    },
    async revertHead() {
      await git(...(await identity()), "revert", "--no-edit", "HEAD");
      return await git("rev-parse", "HEAD");
    },
    async changedFiles(before, after) {
      const out =
        before === ZERO_SHA
          ? (await git("ls-tree", "-r", "--name-only", after))
              .split("\n")
              .filter(Boolean)
              .map((path) => `A\t${path}`)
          : (await git("diff", "--no-renames", "--name-status", before, after)).split("\n").filter(Boolean);
      const files: ChangedFiles = { added: [], modified: [], removed: [] };
      for (const line of out) {
        const [status = "", path = ""] = line.split("\t");
        if (status.startsWith("A")) files.added.push(path);
        else if (status.startsWith("D")) files.removed.push(path);
        else files.modified.push(path);
      }
      return files;
    },
    async parentOf(sha) {
      return await git("rev-parse", "--verify", "--quiet", `${sha}^`).catch(() => undefined);
    },
    async subjectOf(sha) {
      return await git("log", "-1", "--format=%s", sha);
    },
  };
}

/** `git init` with `branch` as the first branch and a local identity (demo repositories only). */
export async function initRepository(dir: string, branch: string): Promise<LocalGit> {
  await run("git", ["init", "--quiet", `--initial-branch=${branch}`], { cwd: dir });
  const repo = localGit(dir);
  await repo.git("config", "user.name", "pullbridge demo");
  await repo.git("config", "user.email", "demo@pullbridge.invalid");
  await repo.git("config", "commit.gpgsign", "false");
  return repo;
}
