/**
 * GitSource over a local git repository (local mode): `git rev-parse` for the head, `git
 * archive` for the tree — the same streaming extraction and limits as the GitHub adapter — and
 * `git diff` for the files a change touches.
 */
import { execFile, spawn } from "node:child_process";
import type { Readable } from "node:stream";
import { promisify } from "node:util";
import { SourceError } from "../../errors.ts";
import { isPathWithin } from "../../is-path-within.ts";
import type {
  ChangedPaths,
  ChangedPathsRequest,
  CommitEntry,
  CommitRequest,
  CommitVerification,
  DirectoryList,
  FetchTreeRequest,
  GitSource,
  HeadShaRequest,
  ListDirectoriesRequest,
  PullRequestHeadRequest,
  ResolvedHead,
  ResolveHeadRequest,
  SourceTree,
  WalkCommitRequest,
} from "../git-source.ts";
import { commonDirectory } from "../tree-selection.ts";
import { chainStreams, extractTree, limitArchiveBytes, walkArchive } from "./extract-tree.ts";

const run = promisify(execFile);

export type LocalGitSourceOptions = {
  /** Working directory of the repository, or a function from `owner/name` to it. */
  directory: string | ((repo: string) => string);
  /** The `git` executable. */
  git?: string;
};

const SHA = /^[0-9a-f]{40}$/;

function stderrOf(error: unknown): string {
  if (typeof error === "object" && error !== null && "stderr" in error) {
    return String(error.stderr).trim().split("\n")[0] ?? "";
  }
  return error instanceof Error ? error.message : String(error);
}

/** Creates a GitSource reading a repository on disk. Every failure is permanent: there is no transient network here. */
export function createLocalGitSource(options: LocalGitSourceOptions): GitSource {
  const git = options.git ?? "git";
  const dirFor = (repo: string) =>
    typeof options.directory === "string" ? options.directory : options.directory(repo);

  /** A full commit sha of `repo`, checked to exist, with how errors name it. */
  async function archiveOf(repo: string, sha: string): Promise<ArchivedCommit> {
    const what = `${repo}@${sha.slice(0, 7)}`;
    const action = `fetching ${what}`;
    if (!SHA.test(sha))
      throw new SourceError(`${action}: "${sha}" is not a full commit sha`, { retryable: false });
    const dir = dirFor(repo);
    await revParse(dir, sha, action);
    return { git, dir, sha, what, action };
  }

  async function revParse(dir: string, rev: string, action: string): Promise<string> {
    try {
      const { stdout } = await run(
        git,
        ["rev-parse", "--verify", "--quiet", "--end-of-options", `${rev}^{commit}`],
        {
          cwd: dir,
        },
      );
      return stdout.trim();
    } catch (error) {
      throw new SourceError(`${action}: ${stderrOf(error) || `${rev} not found`}`, {
        retryable: false,
        cause: error,
      });
    }
  }

  return {
    async headSha({ repo, branch }: HeadShaRequest): Promise<string> {
      return revParse(dirFor(repo), `refs/heads/${branch}`, `reading head of ${repo}@${branch}`);
    },

    async resolveHead({ repo, branch, etag }: ResolveHeadRequest): Promise<ResolvedHead> {
      // A local repository has no ETags: the head itself stands for one.
      const sha = await revParse(dirFor(repo), `refs/heads/${branch}`, `reading head of ${repo}@${branch}`);
      return etag === sha ? { kind: "unchanged" } : { kind: "found", sha, etag: sha };
    },

    async walkCommit(
      { repo, sha, maxArchiveBytes }: WalkCommitRequest,
      visit: (entry: CommitEntry) => Promise<void>,
    ): Promise<void> {
      const commit = await archiveOf(repo, sha);
      await readArchive(commit, { args: [], maxArchiveBytes }, (stream) =>
        walkArchive(stream, { stripComponents: 0 }, visit),
      );
    },

    async fetchTree({ repo, sha, paths, limits }: FetchTreeRequest): Promise<SourceTree> {
      const commit = await archiveOf(repo, sha);
      // One pathspec: `git archive` fails outright when any of several does not exist at `sha`
      // (a removed watch path), while the selection below tolerates it as the tarball does.
      const common = commonDirectory(paths);
      return await readArchive(
        commit,
        {
          args: common !== "." && common !== "" ? ["--", common] : [],
          maxArchiveBytes: limits.maxArchiveBytes,
          // `git archive sha -- path` fails when the path does not exist at that commit: an empty tree.
          tolerate: /did not match any files/,
        },
        (stream) => extractTree(stream, { paths, stripComponents: 0, limits, what: commit.what }),
      );
    },

    async changedPaths({ repo, base, head }: ChangedPathsRequest): Promise<ChangedPaths> {
      const action = `comparing ${repo}@${base.slice(0, 7)}...${head.slice(0, 7)}`;
      const dir = dirFor(repo);
      const [from, to] = [await revParse(dir, base, action), await revParse(dir, head, action)];
      try {
        // `--no-renames`: a file moved out of (or into) a path counts for both paths, as on GitHub.
        const { stdout } = await run(
          git,
          ["diff", "--name-only", "--no-renames", "-z", `${from}...${to}`, "--"],
          { cwd: dir, maxBuffer: 64 * 1024 * 1024 },
        );
        return { paths: stdout.split("\0").filter((p) => p !== ""), complete: true };
      } catch (error) {
        throw new SourceError(`${action} failed: ${stderrOf(error)}`, { retryable: false, cause: error });
      }
    },

    async commitVerification({ repo, sha }: CommitRequest): Promise<CommitVerification> {
      const action = `reading the signature of ${repo}@${sha.slice(0, 7)}`;
      const dir = dirFor(repo);
      const commit = await revParse(dir, sha, action);
      try {
        // %G?: G good, U good but untrusted key, N none, B bad, X/Y expired, R revoked, E cannot check.
        const { stdout } = await run(git, ["log", "-1", "--format=%G?", commit], { cwd: dir });
        const code = stdout.trim();
        const reasons: Record<string, string> = {
          G: "valid",
          U: "unknown_key",
          N: "unsigned",
          B: "bad_signature",
          X: "expired_key",
          Y: "expired_key",
          R: "revoked_key",
          E: "unknown_key",
        };
        return { verified: code === "G", reason: reasons[code] ?? "unsigned" };
      } catch (error) {
        throw new SourceError(`${action} failed: ${stderrOf(error)}`, { retryable: false, cause: error });
      }
    },

    async listDirectories({ repo, sha, under }: ListDirectoriesRequest): Promise<DirectoryList> {
      const action = `listing the directories of ${repo}@${sha.slice(0, 7)}`;
      const dir = dirFor(repo);
      const commit = await revParse(dir, sha, action);
      try {
        const { stdout } = await run(
          git,
          ["ls-tree", "-r", "-d", "-z", "--name-only", commit, ...(under === "." ? [] : ["--", under])],
          { cwd: dir, maxBuffer: 64 * 1024 * 1024 },
        );
        return { directories: stdout.split("\0").filter((p) => p !== "" && isPathWithin(under, p)) };
      } catch (error) {
        throw new SourceError(`${action} failed: ${stderrOf(error)}`, { retryable: false, cause: error });
      }
    },

    async pullRequestHead({ repo, number }: PullRequestHeadRequest): Promise<string | undefined> {
      // A clone that fetched GitHub's pull refs (`+refs/pull/*:refs/pull/*`, or a mirror) has them; others cannot tell.
      try {
        const { stdout } = await run(
          git,
          ["rev-parse", "--verify", "--quiet", "--end-of-options", `refs/pull/${number}/head^{commit}`],
          { cwd: dirFor(repo) },
        );
        return stdout.trim() || undefined;
      } catch {
        return undefined;
      }
    },
  };
}

type ArchivedCommit = { git: string; dir: string; sha: string; what: string; action: string };

/**
 * Streams `git archive <sha> [args]` through `consume` (bounded by `maxArchiveBytes`); a non-zero
 * exit fails unless its stderr matches `tolerate`. The child is killed if `consume` gives up.
 */
async function readArchive<T>(
  commit: ArchivedCommit,
  options: { args: readonly string[]; maxArchiveBytes: number | undefined; tolerate?: RegExp },
  consume: (stream: Readable) => Promise<T>,
): Promise<T> {
  const { git, dir, sha, what, action } = commit;
  const child = spawn(git, ["archive", "--format=tar", sha, ...options.args], {
    cwd: dir,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", resolve);
  });
  try {
    const { maxArchiveBytes } = options;
    const stdout = chainStreams([
      child.stdout,
      ...(maxArchiveBytes === undefined ? [] : [limitArchiveBytes(maxArchiveBytes, what)]),
    ]);
    const result = await consume(stdout);
    const code = await exited;
    if (code !== 0 && !(options.tolerate?.test(stderr) ?? false)) {
      throw new SourceError(`${action}: git archive exited with ${code}: ${stderr.trim()}`, {
        retryable: false,
      });
    }
    return result;
  } catch (error) {
    if (error instanceof SourceError) throw error;
    throw new SourceError(`${action} failed: ${stderrOf(error)}`, { retryable: false, cause: error });
  } finally {
    if (child.exitCode === null) child.kill();
    await exited.catch(() => undefined);
  }
}
