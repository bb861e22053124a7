/**
 * Verified commits: a project with `requireVerifiedCommits` syncs only commits GitHub marks
 * verified (`verification.verified` of `GET /repos/{o}/{r}/commits/{sha}`). An unverified head is
 * refused before any cluster work, naming GitHub's reason. pullbridge's own commits pass: image
 * updates are created through the Git data API as the GitHub App, and GitHub signs those.
 */
import { SyncRefusedError } from "../errors.ts";
import type { CommitVerification } from "../source/git-source.ts";
import type { JobContext } from "./worker-deps.ts";

/**
 * A commit's verification does not change once GitHub has recorded it, so it is asked once per
 * container (a drift check every ten minutes would otherwise cost a request per target each
 * time). A cache only: a miss asks again.
 */
const known = new Map<string, CommitVerification>();
const MAX_KNOWN = 1000;

/** Throws SyncRefusedError when the target's project requires verified commits and `sha` is not. */
export async function refuseUnverifiedHead(context: JobContext, sha: string): Promise<void> {
  const { target, deps, github } = context;
  const name = target.project;
  const project = name === undefined ? undefined : deps.config.projects[name];
  if (project?.requireVerifiedCommits !== true) return;
  const key = `${target.repo.toLowerCase()}@${sha}`;
  let verification = known.get(key);
  if (verification === undefined) {
    verification = await github.source.commitVerification({ repo: target.repo, sha });
    if (known.size >= MAX_KNOWN) known.clear();
    known.set(key, verification);
  }
  if (verification.verified) return;
  throw new SyncRefusedError(
    `commit ${sha.slice(0, 7)} is not verified by GitHub (${verification.reason}): project ${name} requires verified commits, so nothing was synced`,
  );
}
