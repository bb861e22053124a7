/**
 * What a job concluded, and the one mapping from that to what the reporter posts (commit status
 * and check run), the metrics the job emits and the outcome it logs. The runners decide; this
 * file only describes, so every result is reported the same way whichever path produced it.
 */
import type { Target } from "../config/targets.ts";
import { ConfigError, describeError, PullbridgeError } from "../errors.ts";
import { formatPlanMarkdown } from "../lifecycle/describe-plan.ts";
import type { LifecyclePlan } from "../lifecycle/plan-lifecycle.ts";
import type { FinishReport, ReportKind } from "../reporting/commit-reporter.ts";
import { formatOutcomeSummary } from "../reporting/format-check-run.ts";
import {
  formatDriftDescription,
  formatFailureDescription,
  formatPreviewTitle,
  formatSupersededDescription,
  formatSyncDescription,
} from "../reporting/format-description.ts";
import {
  DRIFT_ALERT_LEAD,
  failureAnnotations,
  failureState,
  formatAlreadySynced,
  formatDriftCorrected,
  formatFailureSummary,
  formatGaveUp,
  formatGaveUpSummary,
  formatSkippedFiles,
  formatSupersededPreviewSummary,
  formatSupersededSyncSummary,
  withSkippedCount,
} from "../reporting/format-job-report.ts";
import type { SkippedFile } from "../source/git-source.ts";
import type { SyncResult } from "../sync/sync-result.ts";
import type { EmittedMetric } from "../telemetry/emitted-metric.ts";
import { PreviewMetric, SyncMetric } from "../telemetry/metric-names.ts";
import { changedObjects, diffTextOf, outcomesOf } from "./report-sync-result.ts";

/** The outcome names a job report carries (logs, the handler, tests). */
export type JobOutcome =
  | "synced"
  | "no-changes"
  | "drift-corrected"
  | "drift-detected"
  | "superseded-and-synced"
  | "previewed"
  | "preview-rejected"
  | "preview-superseded"
  | "skipped"
  | "already-synced"
  | "resolved"
  /** The target waits for its `dependsOn`: the job was put back on the queue for a later re-check. */
  | "waiting"
  | "failed";

/** One conclusion a runner reached; each maps to at most one `finish` on one commit. */
export type Conclusion =
  | {
      type: "unknown-target";
      repo: string;
      target: string;
      /** Drift checks name no commit, so there is nothing to report on. */
      sha: string | undefined;
      kind: ReportKind;
      message: string;
    }
  | { type: "superseded"; target: Target; sha: string; head: string }
  | {
      type: "drift-detected";
      target: Target;
      head: string;
      result: SyncResult;
      skipped: readonly SkippedFile[];
    }
  | {
      type: "synced";
      target: Target;
      head: string;
      result: SyncResult;
      durationMs: number;
      /** A drift check: a no-op posts nothing (a status every 10 minutes would be noise). */
      scheduled: boolean;
      /** Files under the target path that were not read (symlinks, unsupported extensions). */
      skipped: readonly SkippedFile[];
    }
  | { type: "preview-superseded"; target: Target; sha: string; head: string; pullRequest: number }
  | { type: "preview-skipped"; message: string }
  /** The ApplySet parent records a successful sync of this head: nothing fetched, nothing posted. */
  | { type: "already-synced"; head: string }
  | {
      type: "previewed";
      target: Target;
      sha: string;
      result: SyncResult;
      durationMs: number;
      skipped: readonly SkippedFile[];
      /** The commit's steps when it has hooks or several waves: the preview lists them in order. */
      lifecycle?: LifecyclePlan | undefined;
    }
  | { type: "failed"; target: Target; sha: string; kind: ReportKind; error: unknown }
  /** The last attempt of a retryable failure: the message goes to the dead-letter queue next. */
  | { type: "gave-up"; target: Target; sha: string; kind: ReportKind; error: unknown; attempts: number };

/** What a conclusion posts, emits and logs. */
export type Described = {
  /** The final report for the commit; undefined for conclusions that stay quiet. */
  finish: FinishReport | undefined;
  metrics: EmittedMetric[];
  outcome: JobOutcome;
  message: string;
};

const count = (name: string, value: number): EmittedMetric => ({ name, value, unit: "Count" });
const millis = (name: string, value: number): EmittedMetric => ({ name, value, unit: "Milliseconds" });

/** Counters that only matter when non-zero are emitted only then (each metric costs money per month). */
function nonZero(metrics: EmittedMetric[]): EmittedMetric[] {
  return metrics.filter((m) => m.value !== 0);
}

/** The summary with the skipped-files section after it, when there is one. */
function withSkipped(summary: string, skipped: readonly SkippedFile[]): string {
  const section = formatSkippedFiles(skipped);
  return section === "" ? summary : `${summary}\n\n${section}`;
}

function refOf(target: Target, sha: string, kind: ReportKind) {
  return { repo: target.repo, target: target.name, kind, sha };
}

function describeSynced(c: Extract<Conclusion, { type: "synced" }>): Described {
  const { result } = c;
  const counts = result.counts;
  const description = formatSyncDescription(counts, c.durationMs);
  const quiet = c.scheduled && !result.changed;
  const finish: FinishReport | undefined = quiet
    ? undefined
    : {
        ...refOf(c.target, c.head, "sync"),
        state: "success",
        description: withSkippedCount(
          result.drift ? formatDriftCorrected(description) : description,
          c.skipped.length,
        ),
        summary: withSkipped(formatOutcomeSummary(outcomesOf(result)), c.skipped),
        text: diffTextOf(result),
      };
  const metrics = [
    count(SyncMetric.Succeeded, 1),
    millis(SyncMetric.Duration, c.durationMs),
    ...nonZero([
      count(SyncMetric.ObjectsCreated, counts.created),
      count(SyncMetric.ObjectsUpdated, counts.updated),
      count(SyncMetric.ObjectsPruned, counts.pruned),
      count(SyncMetric.DriftCorrected, result.drift ? changedObjects(result).length : 0),
      count(SyncMetric.DryRunFallbacks, result.dryRunFallbacks),
    ]),
    count(SyncMetric.ObjectsUnchanged, counts.unchanged),
    count(SyncMetric.ApiRequests, result.requests.reads + result.requests.writes + result.requests.dryRuns),
  ];
  const outcome = result.drift ? "drift-corrected" : result.changed ? "synced" : "no-changes";
  return { finish, metrics, outcome, message: description };
}

function describeDriftDetected(c: Extract<Conclusion, { type: "drift-detected" }>): Described {
  const objects = changedObjects(c.result);
  const description = formatDriftDescription(objects);
  return {
    finish: {
      ...refOf(c.target, c.head, "sync"),
      state: "failure",
      description: withSkippedCount(description, c.skipped.length),
      summary: withSkipped(formatOutcomeSummary(outcomesOf(c.result), { lead: DRIFT_ALERT_LEAD }), c.skipped),
      text: diffTextOf(c.result),
    },
    metrics: [count(SyncMetric.DriftDetected, objects.length)],
    outcome: "drift-detected",
    message: description,
  };
}

function describePreviewed(c: Extract<Conclusion, { type: "previewed" }>): Described {
  const title = formatPreviewTitle(c.result.counts);
  return {
    finish: {
      ...refOf(c.target, c.sha, "preview"),
      state: "success",
      description: withSkippedCount(title, c.skipped.length),
      title,
      summary: withSkipped(
        `${c.lifecycle ? `${formatPlanMarkdown(c.lifecycle)}\n\n` : ""}${formatOutcomeSummary(outcomesOf(c.result), { kind: "preview" })}`,
        c.skipped,
      ),
      text: diffTextOf(c.result),
    },
    metrics: [count(PreviewMetric.Run, 1), millis(PreviewMetric.Duration, c.durationMs)],
    outcome: "previewed",
    message: title,
  };
}

/** The message a permanent failure is reported with. */
export function failureMessage(error: unknown): string {
  return error instanceof PullbridgeError ? error.message : describeError(error);
}

function describeFailed(c: Extract<Conclusion, { type: "failed" }>): Described {
  const message = failureMessage(c.error);
  const annotations = failureAnnotations(c.error);
  const preview = c.kind === "preview";
  return {
    finish: {
      ...refOf(c.target, c.sha, c.kind),
      state: failureState(c.error instanceof ConfigError),
      description: formatFailureDescription(message),
      summary: formatFailureSummary(c.kind, c.error, message),
      ...(annotations.length > 0 ? { annotations } : {}),
    },
    // A rejected preview still ran.
    metrics: preview
      ? [count(PreviewMetric.Run, 1), count(PreviewMetric.Failed, 1)]
      : [count(SyncMetric.Failed, 1)],
    outcome: preview ? "preview-rejected" : "failed",
    message,
  };
}

function describeGaveUp(c: Extract<Conclusion, { type: "gave-up" }>): Described {
  const message = failureMessage(c.error);
  return {
    finish: {
      ...refOf(c.target, c.sha, c.kind),
      state: "failure",
      description: formatGaveUp(c.attempts, message),
      summary: formatGaveUpSummary(c.attempts, message),
    },
    // Not counted as SyncFailed: the DLQ's own alarm reports it (SyncFailed counts permanent failures).
    metrics: [],
    outcome: "failed",
    message,
  };
}

/** Maps a conclusion to what is posted on the commit, emitted and logged. */
export function describeConclusion(c: Conclusion): Described {
  switch (c.type) {
    case "unknown-target":
      return {
        finish:
          c.sha === undefined
            ? undefined
            : {
                repo: c.repo,
                sha: c.sha,
                target: c.target,
                kind: c.kind,
                state: "error",
                description: formatFailureDescription(c.message),
                summary: c.message,
              },
        metrics: [count(SyncMetric.Failed, 1)],
        outcome: "failed",
        message: c.message,
      };
    case "superseded":
      return {
        finish: {
          ...refOf(c.target, c.sha, "sync"),
          state: "success",
          description: formatSupersededDescription(c.head),
          summary: formatSupersededSyncSummary(c.head, c.target.branch),
        },
        metrics: [count(SyncMetric.Superseded, 1)],
        outcome: "superseded-and-synced",
        message: formatSupersededDescription(c.head),
      };
    case "preview-superseded":
      return {
        finish: {
          ...refOf(c.target, c.sha, "preview"),
          state: "success",
          description: formatSupersededDescription(c.head),
          summary: formatSupersededPreviewSummary(c.head, c.pullRequest),
        },
        metrics: [],
        outcome: "preview-superseded",
        message: formatSupersededDescription(c.head),
      };
    case "preview-skipped":
      return { finish: undefined, metrics: [], outcome: "skipped", message: c.message };
    case "already-synced":
      return {
        finish: undefined,
        metrics: [],
        outcome: "already-synced",
        message: formatAlreadySynced(c.head),
      };
    case "drift-detected":
      return describeDriftDetected(c);
    case "synced":
      return describeSynced(c);
    case "previewed":
      return describePreviewed(c);
    case "failed":
      return describeFailed(c);
    case "gave-up":
      return describeGaveUp(c);
  }
}

/** The age metric every job emits first: from the webhook's receipt to the worker's start. */
export function jobAgeMetric(startedAt: Date, receivedAt: string): EmittedMetric {
  return millis(SyncMetric.JobAge, Math.max(0, startedAt.getTime() - Date.parse(receivedAt)));
}
