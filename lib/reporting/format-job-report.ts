/**
 * The wording of what a job posts on a commit besides the object lists: pending lines, the
 * superseded and drift texts, and the failure summary with its annotations. Pure.
 */
import { formatLocation, ManifestSetError, SyncRefusedError } from "../errors.ts";
import type { FinalState, ReportAnnotation, ReportKind } from "./commit-reporter.ts";
import { manifestAnnotations } from "./format-check-run.ts";

/** The pending status of a sync: `syncing deploy to team-a`. */
export function formatSyncPending(path: string, namespace: string): string {
  return `syncing ${path} to ${namespace}`;
}

/** The pending status of a preview: `previewing PR #12 against the live cluster`. */
export function formatPreviewPending(pullRequest: number): string {
  return `previewing PR #${pullRequest} against the live cluster`;
}

/** The check run summary on a commit whose sync was replaced by the branch head's. */
export function formatSupersededSyncSummary(head: string, branch: string): string {
  return `A newer commit (${head}) is at the head of \`${branch}\`; pullbridge synced that instead of rolling the cluster back to this one.`;
}

/** The check run summary on a pull request commit whose preview was replaced by a newer push's. */
export function formatSupersededPreviewSummary(head: string, pullRequest: number): string {
  return `A newer commit (${head}) was pushed to pull request #${pullRequest}; its preview replaces this one. Nothing was planned for this commit.`;
}

/** Why a preview was not run: the pull request touches nothing the target reads. */
export function formatPreviewOutOfScope(pullRequest: number, path: string): string {
  return `pull request #${pullRequest} changes nothing under ${path}/`;
}

/** The lead paragraph of an `alert`-mode drift report. */
export const DRIFT_ALERT_LEAD =
  "The cluster differs from this commit, which it was synced to. Drift policy is `alert`: nothing was changed. Revert the edit in the cluster, or commit it.";

/** A sync's description when it took back an edit made in the cluster. */
export function formatDriftCorrected(description: string): string {
  return `drift corrected: ${description}`;
}

/** Why a job names a target this deployment cannot sync. */
export function formatUnknownTarget(
  job: { target: string; repo: string },
  target: { repo: string } | undefined,
): string {
  return target
    ? `target "${job.target}" reads ${target.repo}, not ${job.repo}`
    : `unknown target "${job.target}" (not in this deployment's targets file)`;
}

/** `failure`: the change is wrong (manifests, refused by the cluster). `error`: configuration or pullbridge. */
export function failureState(isConfigError: boolean): FinalState {
  return isConfigError ? "error" : "failure";
}

/** The failure's Markdown details: one line per manifest problem or refused object, else the message. */
function failureDetails(error: unknown, message: string): string {
  if (error instanceof ManifestSetError) return error.errors.map((e) => `- ${e.message}`).join("\n");
  if (error instanceof SyncRefusedError && error.refusals.length > 0) {
    return error.refusals
      .map(
        (r) =>
          `- \`${r.object}\`${r.source === undefined ? "" : ` (\`${formatLocation(r.source)}\`)`}: ${r.reason}`,
      )
      .join("\n");
  }
  return `\`\`\`\n${message}\n\`\`\``;
}

/** The check run summary of a permanent failure: what happened, then one line per problem. */
export function formatFailureSummary(kind: ReportKind, error: unknown, message: string): string {
  const what =
    error instanceof ManifestSetError
      ? `${error.errors.length} manifest problem(s).`
      : error instanceof SyncRefusedError && error.refusals.length > 0
        ? `${error.refusals.length} object(s) refused (by the target's policy or the cluster's server-side dry-run).`
        : "the sync was refused.";
  const lead = kind === "preview" ? "This change would be rejected" : "Nothing was changed in the cluster";
  return `${lead}: ${what}\n\n${failureDetails(error, message)}`;
}

const located = (source: { line?: number | undefined; column?: number | undefined }) => ({
  ...(source.line === undefined ? {} : { line: source.line }),
  ...(source.column === undefined ? {} : { column: source.column }),
});

/** Annotations for a permanent failure: manifest problems, and objects the policy or the dry-run refused. */
export function failureAnnotations(error: unknown): ReportAnnotation[] {
  if (error instanceof ManifestSetError) {
    return manifestAnnotations(
      error.errors.map((e) => ({ file: e.location.file, ...located(e.location), message: e.reason })),
    );
  }
  if (!(error instanceof SyncRefusedError)) return [];
  const refusals = error.refusals.flatMap((r) =>
    r.source === undefined
      ? []
      : [
          {
            file: r.source.file,
            ...located(r.source),
            title: `refused by ${r.by === "policy" ? "the target's policy" : "the cluster"}: ${r.object}`,
            message: r.reason,
          },
        ],
  );
  if (refusals.length > 0) return manifestAnnotations(refusals);
  if (error.source === undefined) return [];
  return manifestAnnotations([
    {
      file: error.source.file,
      ...located(error.source),
      title: error.object === undefined ? "refused" : `refused: ${error.object}`,
      message: error.message,
    },
  ]);
}
