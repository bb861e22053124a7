/**
 * The port image automation writes Git through. The GitHub adapter uses the Git data API
 * (blobs, trees, commits, refs) and pulls; tests use it against the GitHub fake.
 */

/** A file image automation may edit: repo-relative path, text and git file mode. */
export type RepoFile = { path: string; text: string; mode: string };

/** A branch at one commit: head, its tree, and the YAML files under the requested paths. */
export type BranchSnapshot = { head: string; tree: string; files: ReadonlyMap<string, RepoFile> };

export type GitIdentity = { name: string; email: string };

/** Default author and committer of image-update commits (override per deployment). */
export const DEFAULT_IMAGE_COMMIT_IDENTITY: GitIdentity = {
  name: "pullbridge[bot]",
  email: "pullbridge[bot]@users.noreply.github.com",
};

export interface ImageRepo {
  /** Reads the branch head and the image-automation files under `paths`; undefined when the branch is missing. */
  readBranch(request: {
    repo: string;
    branch: string;
    paths: readonly string[];
  }): Promise<BranchSnapshot | undefined>;
  /** Writes a commit with `files` replaced on top of `parent` (whose tree is `baseTree`); returns its sha. Moves no ref. */
  createCommit(request: {
    repo: string;
    parent: string;
    baseTree: string;
    files: readonly RepoFile[];
    message: string;
    author: GitIdentity;
  }): Promise<string>;
  /** Moves `branch` to `sha` only if that is a fast-forward (never forced). */
  fastForward(request: {
    repo: string;
    branch: string;
    sha: string;
  }): Promise<"updated" | "not-fast-forward">;
  /** Creates `branch` at `sha`; "exists" when it already does. */
  createBranch(request: { repo: string; branch: string; sha: string }): Promise<"created" | "exists">;
  /** Opens a pull request, or finds the open one for the same head and base. */
  openPullRequest(request: {
    repo: string;
    head: string;
    base: string;
    title: string;
    body: string;
  }): Promise<{
    number: number;
    url: string;
    created: boolean;
  }>;
  /** The message of a commit, or undefined when the repository does not have it. */
  commitMessage(request: { repo: string; sha: string }): Promise<string | undefined>;
}
