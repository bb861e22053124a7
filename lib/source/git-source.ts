/**
 * The Git source port: where a sync job reads the branch head and the manifests at a commit.
 * Adapters: GitHub (tarball of the exact sha over the REST API) and a local git repository.
 */

/** Caps on what one fetch may keep in memory; exceeding one is a permanent `SourceError` naming it. */
export type SourceLimits = {
  /** Most files kept under the target's directories. */
  maxFiles: number;
  /** Most bytes (uncompressed, summed over kept files). */
  maxBytes: number;
  /** Most bytes read from the archive as a whole (compressed on the wire), kept or not. */
  maxArchiveBytes?: number;
};

/** Defaults sized for a Lambda with 512 MB+: far above any sane manifest directory. */
export const DEFAULT_SOURCE_LIMITS: SourceLimits = {
  maxFiles: 2_000,
  maxBytes: 20 * 1024 * 1024,
  maxArchiveBytes: 200 * 1024 * 1024,
};

/** A file under the target path that the source did not keep, and why (listed in reports, never silent). */
export type SkippedFile = { readonly path: string; readonly reason: string };

/** Why a hard link in an archive is not read (git archives hold none; another tool's archive might). */
export const HARD_LINK_REASON = "hard link in the archive (not followed: git never writes one)";

/**
 * A symbolic link as the commit stores it: its path and its target, as written (relative to the
 * link's directory, or absolute). Sources record links without following them; the render phase
 * follows the ones that stay inside the fetched files (follow-symlinks.ts) and refuses the rest.
 */
export type SymbolicLink = { readonly path: string; readonly target: string };

/**
 * Files under a path at one commit: repo-root-relative path (`apps/web/deploy.yaml`) → content,
 * plus the symbolic links it holds and the files the source left out, when there were any.
 */
export type SourceTree = ReadonlyMap<string, Uint8Array> & {
  readonly skipped?: readonly SkippedFile[];
  readonly links?: readonly SymbolicLink[];
  /** Links already followed (their content is in the map): each with the repository path it resolves to. */
  readonly followed?: readonly SymbolicLink[];
};

/** The tree with its links and skipped files attached, when there are any. */
export function sourceTreeOf(
  files: Map<string, Uint8Array>,
  extras: { skipped?: readonly SkippedFile[] | undefined; links?: readonly SymbolicLink[] | undefined },
): SourceTree {
  const attached: { skipped?: readonly SkippedFile[]; links?: readonly SymbolicLink[] } = {};
  if (extras.skipped && extras.skipped.length > 0) attached.skipped = extras.skipped;
  if (extras.links && extras.links.length > 0) attached.links = extras.links;
  return Object.keys(attached).length === 0 ? files : Object.assign(files, attached);
}

export type HeadShaRequest = {
  /** `owner/name`. */
  repo: string;
  branch: string;
};

export type ResolveHeadRequest = HeadShaRequest & {
  /** The ETag of the last answer for this branch: GitHub answers 304 (free against its rate limit) when it still holds. */
  etag?: string | undefined;
};

/** A branch head lookup: unchanged since `etag`, or the head now and the ETag to send next time. */
export type ResolvedHead = { kind: "unchanged" } | { kind: "found"; sha: string; etag: string | undefined };

/** One entry of a commit's tree, as a whole-commit walk meets it (repo-root-relative `path`). */
export type CommitEntry =
  | { kind: "file"; path: string; content: Uint8Array }
  | { kind: "symlink"; path: string; target: string }
  /** Another archive's hard link (git never writes one): listed, never followed. */
  | { kind: "hardlink"; path: string };

export type WalkCommitRequest = {
  /** `owner/name`. */
  repo: string;
  /** Full 40-hex commit sha. */
  sha: string;
  /** Most bytes read from the archive (compressed on the wire); past it the walk fails permanently. */
  maxArchiveBytes?: number | undefined;
};

export type FetchTreeRequest = {
  /** `owner/name`. */
  repo: string;
  /** Full 40-hex commit sha (never a branch: the tree must be exactly the commit being reported on). */
  sha: string;
  /**
   * Directories inside the repository without leading/trailing slash (`.` for the whole
   * repository): a target's path and watch paths. Only their files are kept and counted.
   */
  paths: readonly string[];
  limits: SourceLimits;
};

export type ChangedPathsRequest = {
  /** `owner/name` (the base repository: a fork's commits are reachable from it through the pull ref). */
  repo: string;
  /** Commit the change is compared against (e.g. the pull request's base). */
  base: string;
  /** Commit whose changes are listed (e.g. the pull request's head). */
  head: string;
};

/** Files a change touches, from the merge base of `base` and `head` to `head` (three-dot, as a pull request shows). */
export type ChangedPaths = {
  /** Repo-root-relative paths; a rename lists both the old and the new path. */
  paths: readonly string[];
  /** False when the list is capped (GitHub lists at most 300 files): callers must then assume anything changed. */
  complete: boolean;
};

export type PullRequestHeadRequest = {
  /** `owner/name` of the base repository (where the pull request lives). */
  repo: string;
  number: number;
};

export type CommitRequest = {
  /** `owner/name`. */
  repo: string;
  sha: string;
};

/** What GitHub says of a commit's signature (`verification` of `GET /repos/{o}/{r}/commits/{sha}`). */
export type CommitVerification = {
  verified: boolean;
  /** GitHub's reason: `valid`, `unsigned`, `unknown_key`, `bad_email`, `unverified_email`, … */
  reason: string;
};

export type ListDirectoriesRequest = CommitRequest & {
  /** Only directories inside this one (`.` for all). */
  under: string;
};

/** Every directory below `under` at a commit (repository-relative paths), without file contents. */
export type DirectoryList = { directories: readonly string[] };

/** Reads commits from wherever the repository lives. Errors are `SourceError` (retryable or not). */
export interface GitSource {
  /** Current head commit sha of a branch. */
  headSha(request: HeadShaRequest): Promise<string>;
  /** Regular files under `paths` at `sha`, keyed by repo-root-relative path; symlinks are listed in `links`, not followed. */
  fetchTree(request: FetchTreeRequest): Promise<SourceTree>;
  /** Files changed between `base` and `head` (one API call on GitHub). */
  changedPaths(request: ChangedPathsRequest): Promise<ChangedPaths>;
  /** The pull request's current head sha; undefined where the source has no pull requests (a local repository without pull refs). */
  pullRequestHead(request: PullRequestHeadRequest): Promise<string | undefined>;
  /** Whether the commit's signature is verified (GitHub's `verification`; a local repository checks it with git). */
  commitVerification(request: CommitRequest): Promise<CommitVerification>;
  /** Directories at a commit (for `directories` generators): one Git trees call on GitHub, no file contents. */
  listDirectories(request: ListDirectoriesRequest): Promise<DirectoryList>;
  /** The branch head, asked conditionally (`etag`): the fleet cache's one lookup per branch. */
  resolveHead?(request: ResolveHeadRequest): Promise<ResolvedHead>;
  /**
   * Every entry of the commit in one streamed download, `visit` awaited before the next entry is
   * read (so a slow consumer holds back the download, never memory): fills the artifact cache.
   */
  walkCommit?(request: WalkCommitRequest, visit: (entry: CommitEntry) => Promise<void>): Promise<void>;
}
