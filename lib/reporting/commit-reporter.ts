/**
 * The reporting port: what a job tells the commit it worked on. A sync reports a commit status
 * `pullbridge/<target>` (pending → final) and, when authenticated as a GitHub App, a check run
 * `pullbridge / <target>` with the per-object outcomes and the diff. A preview reports a check
 * run `pullbridge preview / <target>` (or, with a token only, a status `pullbridge preview/<target>`).
 */

/** Syncs change the cluster; previews only show what a pull request would change. */
export type ReportKind = "sync" | "preview";

/** Final states, as GitHub commit statuses name them: `failure` = the change is wrong, `error` = pullbridge or the cluster failed. */
export type FinalState = "success" | "failure" | "error";

/** A file:line in the repository (path relative to the repository root) that a problem points at. */
export type ReportAnnotation = {
  path: string;
  line: number;
  endLine?: number;
  column?: number;
  level?: "failure" | "warning" | "notice";
  title?: string;
  message: string;
};

export type CommitRef = {
  /** `owner/name`. */
  repo: string;
  /** The commit being reported on (40 hex). */
  sha: string;
  /** Target name; part of the status context and check run name. */
  target: string;
  /** Defaults to `sync`. */
  kind?: ReportKind;
};

export type PendingReport = CommitRef & {
  /** One line; truncated to 140 characters. */
  description: string;
  /** Link for the pending status (e.g. the logs). */
  targetUrl?: string;
};

export type FinishReport = CommitRef & {
  state: FinalState;
  /** One line for the status (≤ 140 characters, truncated with an ellipsis). */
  description: string;
  /** Check run title; defaults to `description`. */
  title?: string;
  /** Markdown: per-object outcomes (see `formatOutcomeSummary`). */
  summary: string;
  /** Markdown: the readable diff (see `formatDiffText`); truncated below 65,535 characters. */
  text?: string;
  /** Manifest problems at file:line; sent 50 per request as GitHub requires. */
  annotations?: readonly ReportAnnotation[];
  /** Where the status links when there is no check run (e.g. the logs). */
  targetUrl?: string;
};

export type FinishResult = {
  /** Web URL of the check run, when one was created. */
  checkRunUrl?: string;
  /** Degradations worth logging (e.g. the App lacks `checks: write`, so only the status was posted). */
  warnings: readonly string[];
};

/** Posts a job's progress and result on its commit. Errors are `GitHubError` (retryable or not). */
export interface CommitReporter {
  /** Whether this reporter can create check runs (GitHub App auth); tokens get statuses only. */
  readonly checkRuns: boolean;
  pending(report: PendingReport): Promise<void>;
  finish(report: FinishReport): Promise<FinishResult>;
}

/** `pullbridge/<target>` for syncs, `pullbridge preview/<target>` for previews. */
export function statusContext(target: string, kind: ReportKind = "sync"): string {
  return kind === "sync" ? `pullbridge/${target}` : `pullbridge preview/${target}`;
}

/** `pullbridge / <target>` for syncs, `pullbridge preview / <target>` for previews. */
export function checkRunName(target: string, kind: ReportKind = "sync"): string {
  return kind === "sync" ? `pullbridge / ${target}` : `pullbridge preview / ${target}`;
}
