/**
 * Runs one image job: read the branch, plan the edits for every target the job names, write at
 * most one commit, and move the branch fast-forward only. When the branch moved in between (a
 * human push, another writer) the whole read → plan → commit is redone on the new head, a bounded
 * number of times; the ref is never forced. In pull-request mode the commit goes on its own branch
 * and a pull request is opened against the target branch instead.
 */
import type { Target } from "../config/targets.ts";
import { GitHubError } from "../errors.ts";
import type { ImageJob } from "../images/image-job.ts";
import {
  DEFAULT_IMAGE_COMMIT_IDENTITY,
  type GitIdentity,
  type ImageRepo,
  type RepoFile,
} from "../images/image-repo.ts";
import { type IgnoredField, type ImageChange, planImageUpdate } from "../images/plan-image-update.ts";
import { isPathWithin } from "../is-path-within.ts";

/** Trailer on every image-update commit; the loop guard looks for it. */
export const IMAGE_UPDATE_TRAILER = "Pullbridge-Image-Update";

export { DEFAULT_IMAGE_COMMIT_IDENTITY };

export type ImageJobDeps = {
  /** The targets file's targets (the job names them; unknown names are ignored with a reason). */
  targets: readonly Target[];
  repo: ImageRepo;
  identity?: GitIdentity;
  /** Read → plan → commit → fast-forward attempts before giving up (retryable). Default 5. */
  maxAttempts?: number;
};

/** A change with the target it belongs to. */
export type TargetImageChange = ImageChange & { target: string };

export type ImageJobResult =
  | {
      kind: "committed";
      sha: string;
      branch: string;
      attempts: number;
      changes: TargetImageChange[];
      ignored: IgnoredField[];
      message: string;
    }
  | {
      kind: "proposed";
      sha: string;
      branch: string;
      pullRequest: { number: number; url: string; created: boolean };
      changes: TargetImageChange[];
      ignored: IgnoredField[];
      message: string;
    }
  | { kind: "unchanged"; ignored: IgnoredField[]; reason: string }
  | { kind: "ignored"; code: "own-commit" | "no-targets" | "branch-missing"; reason: string };

function shortDigest(digest: string | undefined): string {
  return digest === undefined ? "" : ` ${digest.slice(0, digest.indexOf(":") + 13)}`;
}

/** `web: 1.4.1 → 1.4.2 (ECR push sha256:7f5b2640fe6f)` plus a body listing every field and the trailer. */
export function imageCommitMessage(job: ImageJob, changes: readonly TargetImageChange[]): string {
  const byPolicy = new Map<string, Set<string>>();
  for (const c of changes) {
    const froms = byPolicy.get(c.policy) ?? new Set<string>();
    froms.add(c.fromTag ?? "(untagged)");
    byPolicy.set(c.policy, froms);
  }
  const source = job.image.source === "ecr" ? "ECR push" : "GHCR publish";
  const subject = `${[...byPolicy].map(([policy, froms]) => `${policy}: ${[...froms].join(", ")} → ${job.image.tag}`).join("; ")} (${source}${shortDigest(job.image.digest)})`;
  const lines = [
    subject,
    "",
    `Image ${job.image.repository}:${job.image.tag}${job.image.digest === undefined ? "" : `@${job.image.digest}`} was pushed;`,
    "the image policies of the targets file accept it as newer than what this branch runs.",
    "",
    ...changes.map(
      (c) => `- ${c.file}:${c.line} (target ${c.target}, policy ${c.policy}): ${c.from} → ${c.to}`,
    ),
    "",
    `${IMAGE_UPDATE_TRAILER}: ${job.image.source} ${job.eventId}`,
  ];
  return `${lines.join("\n")}\n`;
}

/** Branch a pull-request-mode update is proposed on: one per target branch, policy set and tag. */
function proposalBranch(job: ImageJob, changes: readonly TargetImageChange[]): string {
  const policies = [...new Set(changes.map((c) => c.policy))].sort().join("+");
  return `pullbridge/images/${job.branch}/${policies}-${job.image.tag}`
    .replace(/[^A-Za-z0-9._/+-]/g, "-")
    .replace(/\.\.+/g, ".");
}

/** What one image job would write: the changes, what was left alone and why, the changed files. */
export type PlannedImageJob = { changes: TargetImageChange[]; ignored: IgnoredField[]; files: RepoFile[] };

/** Plans a job over a branch's files (pure): every target in turn, a later one seeing an earlier one's edits. */
export function planImageJob(
  job: ImageJob,
  targets: readonly Target[],
  files: ReadonlyMap<string, RepoFile>,
): PlannedImageJob {
  const current = new Map<string, RepoFile>(files);
  const changes: TargetImageChange[] = [];
  const ignored: IgnoredField[] = [];
  const changed = new Set<string>();
  const image = { repository: job.image.repository, tag: job.image.tag, digest: job.image.digest };
  for (const target of targets) {
    const texts = new Map(
      [...current].filter(([path]) => isPathWithin(target.path, path)).map(([path, f]) => [path, f.text]),
    );
    // A later target sees an earlier one's edits, so two targets sharing a file never undo each other.
    const plan = planImageUpdate(texts, target.images?.policies ?? [], image);
    changes.push(...plan.changes.map((c) => ({ ...c, target: target.name })));
    ignored.push(...plan.ignored);
    for (const [path, text] of plan.files) {
      const file = current.get(path);
      if (file === undefined) continue;
      current.set(path, { ...file, text });
      changed.add(path);
    }
  }
  const out = [...changed]
    .map((p) => current.get(p))
    .filter((f): f is RepoFile => f !== undefined && f.text !== files.get(f.path)?.text);
  return { changes, ignored, files: out };
}

/** The configured targets a job names that still have image policies on the job's repository branch. */
export function imageJobTargets(job: ImageJob, targets: readonly Target[]): Target[] {
  return targets.filter(
    (t) =>
      job.targets.includes(t.name) &&
      t.images !== undefined &&
      t.repo.toLowerCase() === job.repo.toLowerCase() &&
      t.branch === job.branch,
  );
}

/** Runs one image job to a commit, a pull request, or a reason why nothing was written. */
export async function runImageJob(job: ImageJob, deps: ImageJobDeps): Promise<ImageJobResult> {
  const identity = deps.identity ?? DEFAULT_IMAGE_COMMIT_IDENTITY;
  const maxAttempts = deps.maxAttempts ?? 5;
  const targets = imageJobTargets(job, deps.targets);
  if (targets.length === 0)
    return {
      kind: "ignored",
      code: "no-targets",
      reason: `none of ${job.targets.join(", ")} has image policies on ${job.repo}@${job.branch}`,
    };

  if (job.builtFrom !== undefined && job.builtFrom.repo.toLowerCase() === job.repo.toLowerCase()) {
    const message = await deps.repo.commitMessage({ repo: job.repo, sha: job.builtFrom.sha });
    if (message?.includes(`\n${IMAGE_UPDATE_TRAILER}: `)) {
      return {
        kind: "ignored",
        code: "own-commit",
        reason: `image was built from ${job.builtFrom.sha}, an image-update commit of pullbridge's own`,
      };
    }
  }

  const paths = [...new Set(targets.map((t) => t.path))];
  for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
    const snapshot = await deps.repo.readBranch({ repo: job.repo, branch: job.branch, paths });
    if (snapshot === undefined)
      return {
        kind: "ignored",
        code: "branch-missing",
        reason: `branch ${job.branch} does not exist in ${job.repo}`,
      };
    const planned = planImageJob(job, targets, snapshot.files);
    if (planned.files.length === 0) {
      return {
        kind: "unchanged",
        ignored: planned.ignored,
        reason: `nothing to change on ${job.repo}@${job.branch} for ${job.image.repository}:${job.image.tag}`,
      };
    }
    const message = imageCommitMessage(job, planned.changes);
    const sha = await deps.repo.createCommit({
      repo: job.repo,
      parent: snapshot.head,
      baseTree: snapshot.tree,
      files: planned.files,
      message,
      author: identity,
    });
    if (job.mode === "pull-request") {
      const branch = proposalBranch(job, planned.changes);
      await deps.repo.createBranch({ repo: job.repo, branch, sha });
      const pullRequest = await deps.repo.openPullRequest({
        repo: job.repo,
        head: branch,
        base: job.branch,
        title: message.split("\n")[0] ?? "",
        body: message,
      });
      return {
        kind: "proposed",
        sha,
        branch,
        pullRequest,
        changes: planned.changes,
        ignored: planned.ignored,
        message,
      };
    }
    const moved = await deps.repo.fastForward({ repo: job.repo, branch: job.branch, sha });
    if (moved === "updated")
      return {
        kind: "committed",
        sha,
        branch: job.branch,
        attempts: attempt,
        changes: planned.changes,
        ignored: planned.ignored,
        message,
      };
  }
  throw new GitHubError(
    `${job.repo}@${job.branch} moved under every one of ${maxAttempts} attempts to commit ${job.image.repository}:${job.image.tag}; retrying later`,
    { retryable: true },
  );
}
