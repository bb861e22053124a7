/**
 * ImageRepo over local git repositories (local mode): the same blob → tree → commit → fast-forward
 * steps as the Git data API, with git plumbing. A branch that is checked out is advanced with
 * `git merge --ff-only`, so the working tree follows and uncommitted edits are never overwritten
 * (git refuses; the job fails with git's reason). Pull-request mode creates the branch only.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SourceError } from "../../errors.ts";
import type { ImageRepo, RepoFile } from "../../images/image-repo.ts";
import { isImageAutomationFile } from "../../images/plan-image-update.ts";

type BaseEnv = Readonly<Record<string, string | undefined>>;

function git(
  dir: string,
  args: readonly string[],
  options: { input?: string; env?: Record<string, string>; base?: BaseEnv } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      "git",
      [...args],
      { cwd: dir, env: { ...options.base, ...options.env }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) =>
        error
          ? reject(
              new SourceError(`git ${args[0] ?? ""} in ${dir}: ${stderr.trim() || error.message}`, {
                retryable: false,
                cause: error,
              }),
            )
          : resolve(stdout),
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/**
 * `directory(repo)` maps `owner/name` to its checkout (throws for unknown repositories); `env` is
 * the environment git runs with (the composition root passes the process's: PATH, HOME, git config).
 */
export function createLocalGitImageRepo(options: {
  directory: (repo: string) => string;
  env: BaseEnv;
}): ImageRepo {
  const { directory } = options;
  const run = (
    dir: string,
    args: readonly string[],
    extra: { input?: string; env?: Record<string, string> } = {},
  ) => git(dir, args, { ...extra, base: options.env });
  const ok = async (dir: string, args: readonly string[]) =>
    run(dir, args).then(
      () => true,
      () => false,
    );
  return {
    async readBranch({ repo, branch, paths }) {
      const dir = directory(repo);
      const head = (
        await run(dir, ["rev-parse", "--verify", "--quiet", `refs/heads/${branch}`]).catch(() => "")
      ).trim();
      if (head === "") return undefined;
      const tree = (await run(dir, ["rev-parse", `${head}^{tree}`])).trim();
      const listing = await run(dir, [
        "ls-tree",
        "-r",
        "-z",
        head,
        "--",
        ...paths.map((p) => (p === "." ? "." : p)),
      ]);
      const files = new Map<string, RepoFile>();
      for (const line of listing.split("\0").filter((l) => l !== "")) {
        const [meta = "", path = ""] = line.split("\t");
        const [mode = "", type = "", sha = ""] = meta.split(" ");
        if (type !== "blob" || !isImageAutomationFile(path)) continue;
        files.set(path, { path, mode, text: await run(dir, ["cat-file", "blob", sha]) });
      }
      return { head, tree, files };
    },
    async createCommit({ repo, parent, baseTree, files, message, author }) {
      const dir = directory(repo);
      const scratch = await mkdtemp(join(tmpdir(), "pullbridge-image-index-"));
      const env = { GIT_INDEX_FILE: join(scratch, "index") };
      try {
        await run(dir, ["read-tree", baseTree], { env });
        for (const file of files) {
          const sha = (await run(dir, ["hash-object", "-w", "--stdin"], { input: file.text })).trim();
          await run(dir, ["update-index", "--add", "--cacheinfo", `${file.mode},${sha},${file.path}`], {
            env,
          });
        }
        const tree = (await run(dir, ["write-tree"], { env })).trim();
        const identity = {
          GIT_AUTHOR_NAME: author.name,
          GIT_AUTHOR_EMAIL: author.email,
          GIT_COMMITTER_NAME: author.name,
          GIT_COMMITTER_EMAIL: author.email,
        };
        return (
          await run(dir, ["commit-tree", tree, "-p", parent, "-F", "-"], { input: message, env: identity })
        ).trim();
      } finally {
        await rm(scratch, { recursive: true, force: true });
      }
    },
    async fastForward({ repo, branch, sha }) {
      const dir = directory(repo);
      const current = (await run(dir, ["rev-parse", `refs/heads/${branch}`])).trim();
      if (!(await ok(dir, ["merge-base", "--is-ancestor", current, sha]))) return "not-fast-forward";
      const checkedOut =
        (await run(dir, ["symbolic-ref", "-q", "HEAD"]).catch(() => "")).trim() === `refs/heads/${branch}`;
      if (checkedOut) {
        await run(dir, ["merge", "--ff-only", "--quiet", sha]);
        return "updated";
      }
      // Compare-and-swap: refused if the branch moved since `current` was read.
      return (await ok(dir, ["update-ref", `refs/heads/${branch}`, sha, current]))
        ? "updated"
        : "not-fast-forward";
    },
    async createBranch({ repo, branch, sha }) {
      return (await ok(directory(repo), ["update-ref", `refs/heads/${branch}`, sha, ""]))
        ? "created"
        : "exists";
    },
    async openPullRequest({ head }) {
      // No pull requests without GitHub: the proposal is the branch itself.
      return { number: 0, url: `branch ${head}`, created: true };
    },
    async commitMessage({ repo, sha }) {
      const raw = await run(directory(repo), ["cat-file", "commit", sha]).catch(() => undefined);
      return raw === undefined ? undefined : raw.slice(raw.indexOf("\n\n") + 2);
    },
  };
}
