/**
 * ImageRepo over GitHub's Git data API as the App installation (or a token with contents: write):
 * reads a branch's YAML files through trees and blobs, writes blob → tree → commit, then moves the
 * branch with `force: false`, so a concurrent push makes GitHub refuse the update (422 "not a fast
 * forward") instead of losing it.
 */
import type { Octokit } from "@octokit/rest";
import { GitHubError } from "../../errors.ts";
import type { BranchSnapshot, ImageRepo, RepoFile } from "../../images/image-repo.ts";
import { isImageAutomationFile } from "../../images/plan-image-update.ts";
import { isPathWithin } from "../../is-path-within.ts";
import { readGitHubFailure, toGitHubError } from "../github-failure.ts";
import { splitRepo } from "../split-repo.ts";

/** Most files (and bytes per file) one image job reads; above that the target path is too broad. */
const IMAGE_REPO_LIMITS = { maxFiles: 500, maxFileBytes: 1024 * 1024 } as const;

function statusOf(error: unknown): number | undefined {
  return readGitHubFailure(error)?.status;
}

/** Creates the adapter for one authenticated Octokit. */
export function createGitHubImageRepo(options: { octokit: Octokit }): ImageRepo {
  const { octokit } = options;
  return {
    async readBranch({ repo, branch, paths }) {
      const { owner, repo: name } = splitRepo(repo);
      let head: string;
      try {
        head = (await octokit.rest.git.getRef({ owner, repo: name, ref: `heads/${branch}` })).data.object.sha;
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw toGitHubError(error, `read branch ${branch} of ${repo}`);
      }
      try {
        const commit = await octokit.rest.git.getCommit({ owner, repo: name, commit_sha: head });
        const tree = commit.data.tree.sha;
        const listing = await octokit.rest.git.getTree({
          owner,
          repo: name,
          tree_sha: tree,
          recursive: "true",
        });
        if (listing.data.truncated) {
          throw new GitHubError(`the tree of ${repo}@${head} is too large for one Git data API listing`, {
            retryable: false,
          });
        }
        const wanted = listing.data.tree.filter(
          (e) =>
            e.type === "blob" &&
            e.path !== undefined &&
            isImageAutomationFile(e.path) &&
            paths.some((p) => isPathWithin(p, e.path ?? "")) &&
            (e.size ?? 0) <= IMAGE_REPO_LIMITS.maxFileBytes,
        );
        if (wanted.length > IMAGE_REPO_LIMITS.maxFiles) {
          throw new GitHubError(
            `${wanted.length} YAML files under ${paths.join(", ")} in ${repo}: more than ${IMAGE_REPO_LIMITS.maxFiles}; narrow the target path`,
            { retryable: false },
          );
        }
        const files = new Map<string, RepoFile>();
        for (const entry of wanted) {
          const blob = await octokit.rest.git.getBlob({ owner, repo: name, file_sha: entry.sha ?? "" });
          const text = Buffer.from(
            blob.data.content,
            blob.data.encoding === "base64" ? "base64" : "utf8",
          ).toString("utf8");
          files.set(entry.path ?? "", { path: entry.path ?? "", text, mode: entry.mode ?? "100644" });
        }
        const snapshot: BranchSnapshot = { head, tree, files };
        return snapshot;
      } catch (error) {
        if (error instanceof GitHubError) throw error;
        throw toGitHubError(error, `read ${repo}@${head}`);
      }
    },

    async createCommit({ repo, parent, baseTree, files, message, author }) {
      const { owner, repo: name } = splitRepo(repo);
      try {
        const entries = [];
        for (const file of files) {
          const blob = await octokit.rest.git.createBlob({
            owner,
            repo: name,
            content: Buffer.from(file.text, "utf8").toString("base64"),
            encoding: "base64",
          });
          entries.push({
            path: file.path,
            mode: file.mode as "100644",
            type: "blob" as const,
            sha: blob.data.sha,
          });
        }
        const tree = await octokit.rest.git.createTree({
          owner,
          repo: name,
          base_tree: baseTree,
          tree: entries,
        });
        const commit = await octokit.rest.git.createCommit({
          owner,
          repo: name,
          message,
          tree: tree.data.sha,
          parents: [parent],
          author,
          committer: author,
        });
        return commit.data.sha;
      } catch (error) {
        throw toGitHubError(error, `write a commit on ${repo}`);
      }
    },

    async fastForward({ repo, branch, sha }) {
      const { owner, repo: name } = splitRepo(repo);
      try {
        await octokit.rest.git.updateRef({ owner, repo: name, ref: `heads/${branch}`, sha, force: false });
        return "updated";
      } catch (error) {
        // GitHub answers 422 "Update is not a fast forward" (409 on some paths) when the branch moved.
        const status = statusOf(error);
        if (status === 422 || status === 409) return "not-fast-forward";
        throw toGitHubError(error, `move ${repo}@${branch} to ${sha}`);
      }
    },

    async createBranch({ repo, branch, sha }) {
      const { owner, repo: name } = splitRepo(repo);
      try {
        await octokit.rest.git.createRef({ owner, repo: name, ref: `refs/heads/${branch}`, sha });
        return "created";
      } catch (error) {
        if (statusOf(error) === 422) return "exists";
        throw toGitHubError(error, `create branch ${branch} on ${repo}`);
      }
    },

    async openPullRequest({ repo, head, base, title, body }) {
      const { owner, repo: name } = splitRepo(repo);
      try {
        const pr = await octokit.rest.pulls.create({ owner, repo: name, head, base, title, body });
        return { number: pr.data.number, url: pr.data.html_url, created: true };
      } catch (error) {
        if (statusOf(error) !== 422) throw toGitHubError(error, `open a pull request on ${repo}`);
        try {
          const open = await octokit.rest.pulls.list({
            owner,
            repo: name,
            head: `${owner}:${head}`,
            base,
            state: "open",
          });
          const existing = open.data[0];
          if (existing !== undefined)
            return { number: existing.number, url: existing.html_url, created: false };
        } catch (listError) {
          throw toGitHubError(listError, `list pull requests on ${repo}`);
        }
        throw toGitHubError(error, `open a pull request on ${repo}`);
      }
    },

    async commitMessage({ repo, sha }) {
      const { owner, repo: name } = splitRepo(repo);
      try {
        return (await octokit.rest.git.getCommit({ owner, repo: name, commit_sha: sha })).data.message;
      } catch (error) {
        if (statusOf(error) === 404 || statusOf(error) === 422) return undefined;
        throw toGitHubError(error, `read commit ${sha} of ${repo}`);
      }
    },
  };
}
