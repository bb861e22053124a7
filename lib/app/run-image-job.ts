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
import {
  FieldIgnoreCode,
  type IgnoredField,
  type ImageChange,
  type PushedImage,
  planImageUpdate,
} from "../images/plan-image-update.ts";

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

function under(path: string, dir: string): boolean {
  return dir === "." || path === dir || path.startsWith(`${dir}/`);
}

/** What one image job would write: the changes, what was left alone and why, the changed files. */
export type PlannedImageJob = { changes: TargetImageChange[]; ignored: IgnoredField[]; files: RepoFile[] };

/**
 * Fields the image would change in a target's `watch` paths, as reasons: a watch path is typically
 * a Kustomize base that other overlays (other targets, other environments) build too, so an edit
 * there on behalf of one target would deploy to all of them. Files under any job target's own path
 * are that target's to edit and are not reported.
 */
function watchPathFields(
  target: Target,
  jobPaths: readonly string[],
  files: ReadonlyMap<string, RepoFile>,
  image: PushedImage,
): IgnoredField[] {
  const watched = new Map(
    [...files]
      .filter(([path]) => target.watch.some((w) => under(path, w)) && !jobPaths.some((p) => under(path, p)))
      .map(([path, f]) => [path, f.text]),
  );
  if (watched.size === 0) return [];
  const seen = planImageUpdate(watched, target.images?.policies ?? [], image);
  return seen.changes.map((c) => ({
    file: c.file,
    line: c.line,
    code: FieldIgnoreCode.OutsideTargetPath,
    reason: `${c.file}:${c.line}: ${c.from} → ${c.to} not written: the file is in a watch path of target ${target.name}, not under its path ${target.path}, and a watch path (a shared base) may be built by other targets too; set the image in the target's own files (e.g. its kustomization.yaml \`images:\`)`,
  }));
}

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
  const jobPaths = targets.map((t) => t.path);
  for (const target of targets) {
    const texts = new Map(
      [...current].filter(([path]) => under(path, target.path)).map(([path, f]) => [path, f.text]),
    );
    // A later target sees an earlier one's edits, so two targets sharing a file never undo each other.
    const plan = planImageUpdate(texts, target.images?.policies ?? [], image);
    changes.push(...plan.changes.map((c) => ({ ...c, target: target.name })));
    ignored.push(...plan.ignored, ...watchPathFields(target, jobPaths, current, image));
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

/** Why nothing changed, in one line: the first reasons fields were left alone, or that none was found. */
function unchangedWhy(ignored: readonly IgnoredField[], paths: readonly string[]): string {
  if (ignored.length === 0)
    return `no marker or kustomization \`images:\` entry for this repository under ${paths.join(", ")}`;
  const shown = ignored.slice(0, 3).map((i) => i.reason);
  return `${shown.join("; ")}${ignored.length > shown.length ? `; and ${ignored.length - shown.length} more` : ""}`;
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

  // Watch paths are read too, only to say why a marker there is not edited.
  const paths = [...new Set(targets.flatMap((t) => [t.path, ...t.watch]))];
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
        reason: `nothing to change on ${job.repo}@${job.branch} for ${job.image.repository}:${job.image.tag}: ${unchangedWhy(planned.ignored, paths)}`,
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
