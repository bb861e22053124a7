/**
 * A real git repository in a temp directory, driven with the `git` CLI: tests write and
 * delete files, commit, and get shas back. The GitHub fake serves tarballs and branch heads
 * from it; the local-git source reads it directly.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Isolated from the user's git config so commits work on any machine (CI has no identity). */
const GIT_ENV = {
  ...process.env,
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_AUTHOR_NAME: "pullbridge test",
  GIT_AUTHOR_EMAIL: "test@pullbridge.invalid",
  GIT_COMMITTER_NAME: "pullbridge test",
  GIT_COMMITTER_EMAIL: "test@pullbridge.invalid",
};

/** File contents to write (string or bytes); `null` deletes the file. */
export type FileChanges = Readonly<Record<string, string | Uint8Array | null>>;

export type GitRepo = {
  /** Working directory (also the repository). */
  dir: string;
  /** Runs `git <args>` in the repository and returns trimmed stdout. */
  git(...args: string[]): Promise<string>;
  /** Writes/deletes files in the working tree (parent directories created). */
  write(files: FileChanges): Promise<void>;
  /** Creates a symlink `path` → `target` in the working tree. */
  symlink(path: string, target: string): Promise<void>;
  /** Stages everything and commits on the current branch; returns the new sha. */
  commit(message?: string): Promise<string>;
  /** `write` then `commit`. */
  commitFiles(files: FileChanges, message?: string): Promise<string>;
  /** Switches to `branch`, creating it from the current commit when missing. */
  checkout(branch: string): Promise<void>;
  /** Head sha of a branch (the current one by default). */
  head(branch?: string): Promise<string>;
  /** Removes the directory. */
  remove(): Promise<void>;
};

/** Initialises an empty repository whose first branch is `branch` (default `main`). */
export async function createGitRepo(options: { branch?: string } = {}): Promise<GitRepo> {
  const dir = await mkdtemp(join(tmpdir(), "pullbridge-repo-"));
  const git = async (...args: string[]) => (await run("git", args, { cwd: dir, env: GIT_ENV })).stdout.trim();
  await git("init", "--quiet", `--initial-branch=${options.branch ?? "main"}`);

  const repo: GitRepo = {
    dir,
    git,
    async write(files) {
      for (const [path, content] of Object.entries(files)) {
        const full = join(dir, path);
        if (content === null) {
          await rm(full, { force: true });
        } else {
          await mkdir(dirname(full), { recursive: true });
          await writeFile(full, content);
        }
      }
    },
    async symlink(path, target) {
      const full = join(dir, path);
      await mkdir(dirname(full), { recursive: true });
      await symlink(target, full);
    },
    async commit(message = "change") {
      await git("add", "--all");
      await git("commit", "--quiet", "--allow-empty", "-m", message);
      return git("rev-parse", "HEAD");
    },
    async commitFiles(files, message) {
      await repo.write(files);
      return repo.commit(message);
    },
    async checkout(branch) {
      const exists = await git("branch", "--list", branch);
      await git("checkout", "--quiet", ...(exists ? [branch] : ["-b", branch]));
    },
    async head(branch) {
      return git("rev-parse", branch === undefined ? "HEAD" : `refs/heads/${branch}`);
    },
    async remove() {
      await rm(dir, { recursive: true, force: true });
    },
  };
  return repo;
}
