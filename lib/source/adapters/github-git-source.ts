/**
 * GitSource over the GitHub REST API: the branch head from `GET /git/ref/heads/{branch}`, the
 * tree from the tarball of the exact sha, streamed (gunzip → tar) so that only the files under
 * the target's directories are ever held in memory. Previews also ask for a pull request's head
 * (`GET /pulls/{number}`) and the files it changes (`GET /compare/{base}...{head}`).
 */
import { Readable } from "node:stream";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { createGunzip } from "node:zlib";
import type { Octokit } from "@octokit/rest";
import { SourceError } from "../../errors.ts";
import {
  classifyGitHubFailure,
  isRetryableGitHubFailure,
  readGitHubFailure,
} from "../../github/github-failure.ts";
import { splitRepo } from "../../github/split-repo.ts";
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
import { chainStreams, extractTree, limitArchiveBytes, walkArchive } from "./extract-tree.ts";

export type GitHubGitSourceOptions = {
  octokit: Octokit;
  /** The tarball download may take longer than an API call; it gets its own timeout. */
  downloadTimeoutMs?: number;
};

const SHA = /^[0-9a-f]{40}$/;

/** GitHub lists at most this many files in a comparison, without saying it stopped. */
const COMPARE_FILE_CAP = 300;

/** Maps a failed call to a SourceError: 404 is permanent (missing or no access), 5xx/429/network retryable. */
function toSourceError(error: unknown, action: string, notFound: string): SourceError {
  if (error instanceof SourceError) return error;
  const failure = readGitHubFailure(error);
  if (failure === undefined) {
    const reason = error instanceof Error ? error.message : String(error);
    return new SourceError(`${action} failed: ${reason}`, { retryable: true, cause: error });
  }
  if (classifyGitHubFailure(failure) === "not-found") {
    return new SourceError(`${action}: ${notFound}`, { retryable: false, cause: error });
  }
  const status = failure.status === undefined ? "network error" : `HTTP ${failure.status}`;
  return new SourceError(`${action} failed (${status}): ${failure.message}`, {
    retryable: isRetryableGitHubFailure(failure),
    cause: error,
  });
}

/** Creates the GitHub-backed GitSource for one authenticated client. */
export function createGitHubGitSource(options: GitHubGitSourceOptions): GitSource {
  const { octokit } = options;
  const downloadTimeoutMs = options.downloadTimeoutMs ?? 120_000;

  /** `GET /git/ref/heads/{branch}`, conditional when an ETag is given (a 304 costs no rate limit). */
  async function resolveHead({ repo, branch, etag }: ResolveHeadRequest): Promise<ResolvedHead> {
    const action = `reading head of ${repo}@${branch}`;
    try {
      const response = await octokit.rest.git.getRef({
        ...splitRepo(repo),
        ref: `heads/${branch}`,
        ...(etag === undefined ? {} : { headers: { "if-none-match": etag } }),
      });
      const { data } = response;
      if (data.object.type !== "commit" || !SHA.test(data.object.sha)) {
        throw new SourceError(`${action}: ref points to a ${data.object.type}, not a commit`, {
          retryable: false,
        });
      }
      const answered = response.headers.etag;
      return {
        kind: "found",
        sha: data.object.sha,
        etag: typeof answered === "string" ? answered : undefined,
      };
    } catch (error) {
      if (etag !== undefined && readGitHubFailure(error)?.status === 304) return { kind: "unchanged" };
      throw toSourceError(
        error,
        action,
        "branch not found, or the GitHub App/token has no access to the repository",
      );
    }
  }

  /** The tarball of `sha`, gunzipped, as a stream (GitHub's 302 to codeload is followed by fetch). */
  async function openTarball(repo: string, sha: string, maxArchiveBytes: number | undefined) {
    const what = `${repo}@${sha.slice(0, 7)}`;
    // The body is not parsed: we stream it, so memory holds only what the consumer keeps.
    const response = await octokit.rest.repos.downloadTarballArchive({
      ...splitRepo(repo),
      ref: sha,
      request: { parseSuccessResponseBody: false, signal: AbortSignal.timeout(downloadTimeoutMs) },
    });
    const body: unknown = response.data;
    if (!(body instanceof ReadableStream)) {
      throw new SourceError(`fetching ${what}: tarball response has no body`, { retryable: true });
    }
    const compressed = Readable.fromWeb(body as WebReadableStream<Uint8Array>);
    return chainStreams([
      compressed,
      ...(maxArchiveBytes === undefined ? [] : [limitArchiveBytes(maxArchiveBytes, what)]),
      createGunzip(),
    ]);
  }

  return {
    async headSha({ repo, branch }: HeadShaRequest): Promise<string> {
      const head = await resolveHead({ repo, branch });
      if (head.kind !== "found")
        throw new SourceError(`reading head of ${repo}@${branch}: no answer`, { retryable: true });
      return head.sha;
    },

    resolveHead,

    async walkCommit(
      { repo, sha, maxArchiveBytes }: WalkCommitRequest,
      visit: (entry: CommitEntry) => Promise<void>,
    ): Promise<void> {
      const action = `fetching ${repo}@${sha.slice(0, 7)}`;
      if (!SHA.test(sha)) {
        throw new SourceError(`${action}: "${sha}" is not a full commit sha`, { retryable: false });
      }
      try {
        await walkArchive(await openTarball(repo, sha, maxArchiveBytes), { stripComponents: 1 }, visit);
      } catch (error) {
        throw toSourceError(error, action, "commit not found, or the GitHub App/token has no access to it");
      }
    },

    async fetchTree({ repo, sha, paths, limits }: FetchTreeRequest): Promise<SourceTree> {
      const what = `${repo}@${sha.slice(0, 7)}`;
      const action = `fetching ${what}`;
      if (!SHA.test(sha)) {
        throw new SourceError(`${action}: "${sha}" is not a full commit sha`, { retryable: false });
      }
      try {
        // Memory holds only the kept files, never the whole archive.
        const tar = await openTarball(repo, sha, limits.maxArchiveBytes);
        return await extractTree(tar, { paths, stripComponents: 1, limits, what });
      } catch (error) {
        throw toSourceError(error, action, "commit not found, or the GitHub App/token has no access to it");
      }
    },

    async changedPaths({ repo, base, head }: ChangedPathsRequest): Promise<ChangedPaths> {
      const action = `comparing ${repo}@${base.slice(0, 7)}...${head.slice(0, 7)}`;
      try {
        // Three dots: what `head` changes since it left `base`, i.e. what the pull request shows.
        const { data } = await octokit.rest.repos.compareCommitsWithBasehead({
          ...splitRepo(repo),
          basehead: `${base}...${head}`,
        });
        const files = data.files ?? [];
        const paths = files.flatMap((f) =>
          f.previous_filename === undefined ? [f.filename] : [f.filename, f.previous_filename],
        );
        // GitHub caps `files` silently; a full list is the only way to know nothing else changed.
        return { paths, complete: files.length < COMPARE_FILE_CAP };
      } catch (error) {
        throw toSourceError(error, action, "commit not found, or the GitHub App/token has no access to it");
      }
    },

    async commitVerification({ repo, sha }: CommitRequest): Promise<CommitVerification> {
      const action = `reading the verification of ${repo}@${sha.slice(0, 7)}`;
      try {
        const { data } = await octokit.rest.repos.getCommit({ ...splitRepo(repo), ref: sha });
        const verification = data.commit.verification;
        return { verified: verification?.verified === true, reason: verification?.reason ?? "unsigned" };
      } catch (error) {
        throw toSourceError(error, action, "commit not found, or the GitHub App/token has no access to it");
      }
    },

    async listDirectories({ repo, sha, under }: ListDirectoriesRequest): Promise<DirectoryList> {
      const action = `listing the directories of ${repo}@${sha.slice(0, 7)}`;
      try {
        const { data } = await octokit.rest.git.getTree({
          ...splitRepo(repo),
          tree_sha: sha,
          recursive: "1",
        });
        if (data.truncated) {
          // GitHub stops a recursive listing at 100,000 entries or 7 MB: an incomplete list would drop targets.
          throw new SourceError(
            `${action}: GitHub truncated the tree listing (over 100,000 entries); narrow the generator's glob to a smaller repository`,
            { retryable: false },
          );
        }
        const directories = data.tree.flatMap((entry) =>
          entry.type === "tree" && typeof entry.path === "string" && isPathWithin(under, entry.path)
            ? [entry.path]
            : [],
        );
        return { directories };
      } catch (error) {
        throw toSourceError(error, action, "commit not found, or the GitHub App/token has no access to it");
      }
    },

    async pullRequestHead({ repo, number }: PullRequestHeadRequest): Promise<string | undefined> {
      const action = `reading pull request ${repo}#${number}`;
      try {
        const { data } = await octokit.rest.pulls.get({ ...splitRepo(repo), pull_number: number });
        if (!SHA.test(data.head.sha)) {
          throw new SourceError(`${action}: head "${data.head.sha}" is not a commit sha`, {
            retryable: false,
          });
        }
        return data.head.sha;
      } catch (error) {
        throw toSourceError(
          error,
          action,
          "pull request not found, or the GitHub App/token cannot read pull requests",
        );
      }
    },
  };
}
