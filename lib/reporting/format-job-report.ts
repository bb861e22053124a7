/**
 * The wording of what a job posts on a commit besides the object lists: pending lines, the
 * superseded and drift texts, and the failure summary with its annotations. Pure.
 */
import {
  formatLocation,
  ManifestSetError,
  PartialSyncError,
  type SyncRefusal,
  SyncRefusedError,
} from "../errors.ts";
import type { FinalState, ReportAnnotation, ReportKind } from "./commit-reporter.ts";
import { manifestAnnotations } from "./format-check-run.ts";
import { fenceFor, truncateLine } from "./format-text.ts";

/** Which attempt a job is on; the first one says nothing. */
export type Attempt = { number: number; of: number } | undefined;

const attemptSuffix = (attempt: Attempt) =>
  attempt === undefined || attempt.number <= 1 ? "" : ` (attempt ${attempt.number} of ${attempt.of})`;

/** The pending status of a sync: `syncing deploy to team-a`, `… (attempt 2 of 5)` on a retry. */
export function formatSyncPending(path: string, namespace: string, attempt?: Attempt): string {
  return `syncing ${path} to ${namespace}${attemptSuffix(attempt)}`;
}

/** The pending status of a preview: `previewing PR #12 against the live cluster`, `… (attempt 2 of 5)` on a retry. */
export function formatPreviewPending(pullRequest: number, attempt?: Attempt): string {
  return `previewing PR #${pullRequest} against the live cluster${attemptSuffix(attempt)}`;
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

/** Why a push job did nothing: its head is what the cluster was last synced to. */
export function formatAlreadySynced(head: string): string {
  return `already synced to ${head.slice(0, 7)}`;
}

/** The lead paragraph of an `alert`-mode drift report. */
export const DRIFT_ALERT_LEAD =
  "The cluster differs from this commit, which it was synced to. Drift policy is `alert`: nothing was changed. Revert the edit in the cluster, or commit it.";

/** A sync's description when it took back an edit made in the cluster. */
export function formatDriftCorrected(description: string): string {
  return `drift corrected: ${description}`;
}

/** A status while the job waits for its next attempt: `retrying: attempt 2 of 5 — <reason>`. */
export function formatRetrying(nextAttempt: number, attempts: number, reason: string): string {
  return truncateLine(`retrying: attempt ${nextAttempt} of ${attempts} — ${reason.split("\n", 1)[0] ?? ""}`);
}

/** The status after the last attempt failed: `failed after 5 attempts — <reason>`. */
export function formatGaveUp(attempts: number, reason: string): string {
  return truncateLine(
    `failed after ${attempts} attempt${attempts === 1 ? "" : "s"} — ${reason.split("\n", 1)[0] ?? ""}`,
  );
}

/** The check run summary after the last attempt failed: the job now sits in the dead-letter queue. */
export function formatGaveUpSummary(attempts: number, reason: string): string {
  return `pullbridge tried ${attempts} time${attempts === 1 ? "" : "s"} and each attempt failed with an error that is normally temporary; the job is now in the dead-letter queue (an operator can redrive it). A newer push is synced as usual.\n\nLast error:\n\n${fenceFor(reason)}\n${reason}\n${fenceFor(reason)}`;
}

/** The check run section listing files under the target path that were not read; empty when none. */
export function formatSkippedFiles(skipped: readonly { path: string; reason: string }[]): string {
  if (skipped.length === 0) return "";
  const lines = skipped.map((f) => `- \`${f.path}\`: ${f.reason}`);
  return `### Skipped files (${skipped.length})\n\n${lines.join("\n")}`;
}

/** A status description with the number of skipped files appended: `1 created in 0.4s; 2 files skipped`. */
export function withSkippedCount(description: string, skipped: number): string {
  if (skipped === 0) return description;
  return truncateLine(`${description}; ${skipped} file${skipped === 1 ? "" : "s"} skipped`);
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

const objectList = (title: string, objects: readonly string[]) =>
  objects.length === 0 ? [] : [`**${title} (${objects.length})**`, ...objects.map((o) => `- \`${o}\``)];

/**
 * What the next sync does about a partial one. Every write is in the inventory (the parent is
 * widened first, and no manifest can overwrite it), so nothing is orphaned; but only a transient
 * cause goes away by itself — a refused object is refused again until someone fixes it.
 */
function convergence(error: PartialSyncError): string {
  return error.retryable
    ? "Every write is in the inventory: the next sync converges."
    : "Every write is in the inventory, so nothing is orphaned; the next sync converges once the cause below is fixed.";
}

/** A failure after writes began: what was written and what was not, then the error. Never "nothing was changed". */
function formatPartialSummary(error: PartialSyncError, message: string): string {
  const { writes } = error;
  const lines = [
    ...objectList("Applied", writes.applied),
    ...objectList("Pruned", writes.pruned),
    ...objectList("Not applied", writes.notApplied),
    ...objectList("Not pruned", writes.notPruned),
  ];
  const where =
    error.object === undefined
      ? ""
      : ` at \`${error.object}\`${error.source === undefined ? "" : ` (\`${formatLocation(error.source)}\`)`}`;
  return [
    `The sync failed after writes began${where}: ${writes.applied.length + writes.pruned.length} write(s) went through, ${writes.notApplied.length + writes.notPruned.length} did not. ${convergence(error)}`,
    lines.join("\n"),
    `${fenceFor(message)}\n${message}\n${fenceFor(message)}`,
  ]
    .filter((part) => part !== "")
    .join("\n\n");
}

/** Who refused an object, as a summary or an annotation names them. */
const REFUSED_BY = {
  policy: "the target's policy",
  inventory: "the inventory guard",
  cluster: "the cluster",
} as const;

/** `the target's policy and the cluster`: who refused, each once, in the order they appear. */
function refusedBy(refusals: readonly SyncRefusal[]): string {
  return [...new Set(refusals.map((r) => REFUSED_BY[r.by ?? "cluster"]))].join(" and ");
}

/** The check run summary of a permanent failure: what happened, then one line per problem. */
export function formatFailureSummary(kind: ReportKind, error: unknown, message: string): string {
  if (error instanceof PartialSyncError) return formatPartialSummary(error, message);
  const what =
    error instanceof ManifestSetError
      ? `${error.errors.length} manifest problem(s).`
      : error instanceof SyncRefusedError && error.refusals.length > 0
        ? `${error.refusals.length} object(s) refused (by ${refusedBy(error.refusals)}).`
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
  // A failure after writes began points at the same things a refusal does: refused objects, else the failed one.
  if (!(error instanceof SyncRefusedError || error instanceof PartialSyncError)) return [];
  const refusals = error.refusals.flatMap((r) =>
    r.source === undefined
      ? []
      : [
          {
            file: r.source.file,
            ...located(r.source),
            title: `refused by ${REFUSED_BY[r.by ?? "cluster"]}: ${r.object}`,
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
