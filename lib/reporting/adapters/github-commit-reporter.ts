/**
 * CommitReporter over the GitHub REST API. Per sync: one pending status, then (as an App) one
 * check run created already completed, then the final status linking to it — 2 or 3 calls,
 * plus one PATCH per extra 50 annotations. Previews (as an App) use an in-progress check run
 * that is completed on finish, and no status.
 */
import type { Octokit } from "@octokit/rest";
import { isRetryable } from "../../errors.ts";
import { toGitHubError } from "../../github/github-failure.ts";
import { splitRepo } from "../../github/split-repo.ts";
import {
  type CommitRef,
  type CommitReporter,
  checkRunName,
  type FinalState,
  type FinishReport,
  type FinishResult,
  type PendingReport,
  type ReportAnnotation,
  statusContext,
} from "../commit-reporter.ts";
import { batchAnnotations } from "../format-check-run.ts";
import { CHECK_RUN_TEXT_LIMIT, truncateLine, truncateMarkdown } from "../format-text.ts";

export type GitHubCommitReporterOptions = {
  octokit: Octokit;
  /** True when authenticated as a GitHub App installation (only Apps can write check runs). */
  checkRuns: boolean;
  now?: () => Date;
};

type CheckConclusion = "success" | "failure";

const CONCLUSION: Record<FinalState, CheckConclusion> = {
  success: "success",
  failure: "failure",
  error: "failure",
};

type GitHubAnnotation = {
  path: string;
  start_line: number;
  end_line: number;
  start_column?: number;
  end_column?: number;
  annotation_level: "notice" | "warning" | "failure";
  message: string;
  title?: string;
};

function toGitHubAnnotation(a: ReportAnnotation): GitHubAnnotation {
  const endLine = a.endLine ?? a.line;
  return {
    path: a.path,
    start_line: a.line,
    end_line: endLine,
    // GitHub accepts columns only on single-line annotations.
    ...(a.column !== undefined && endLine === a.line ? { start_column: a.column, end_column: a.column } : {}),
    annotation_level: a.level ?? "failure",
    message: truncateMarkdown(a.message, 64_000, "…"),
    ...(a.title === undefined ? {} : { title: truncateLine(a.title, 255) }),
  };
}

function refKey(ref: CommitRef): string {
  return `${ref.repo}@${ref.sha}#${ref.kind ?? "sync"}/${ref.target}`;
}

function shortRef(ref: CommitRef): string {
  return `${ref.repo}@${ref.sha.slice(0, 7)}`;
}

/** Creates the GitHub reporter for one authenticated client. */
export function createGitHubCommitReporter(options: GitHubCommitReporterOptions): CommitReporter {
  const { octokit } = options;
  const now = options.now ?? (() => new Date());
  /** In-progress preview check runs started by `pending`, completed by `finish`. */
  const openCheckRuns = new Map<string, number>();

  async function postStatus(
    ref: CommitRef,
    state: "pending" | FinalState,
    description: string,
    targetUrl: string | undefined,
  ): Promise<void> {
    const context = statusContext(ref.target, ref.kind);
    try {
      await octokit.rest.repos.createCommitStatus({
        ...splitRepo(ref.repo),
        sha: ref.sha,
        state,
        context,
        description: truncateLine(description),
        ...(targetUrl === undefined ? {} : { target_url: targetUrl }),
      });
    } catch (error) {
      throw toGitHubError(error, `posting status ${context} (${state}) on ${shortRef(ref)}`);
    }
  }

  async function completeCheckRun(report: FinishReport): Promise<string> {
    const { owner, repo } = splitRepo(report.repo);
    const name = checkRunName(report.target, report.kind);
    const [first = [], ...rest] = batchAnnotations((report.annotations ?? []).map(toGitHubAnnotation));
    const output = {
      title: truncateLine(report.title ?? report.description, 255),
      summary: truncateMarkdown(report.summary, CHECK_RUN_TEXT_LIMIT, "_…truncated._"),
      ...(report.text === undefined
        ? {}
        : { text: truncateMarkdown(report.text, CHECK_RUN_TEXT_LIMIT, "_…truncated._") }),
    };
    const completion = {
      status: "completed" as const,
      conclusion: CONCLUSION[report.state],
      completed_at: now().toISOString(),
      ...(report.targetUrl === undefined ? {} : { details_url: report.targetUrl }),
      output: { ...output, ...(first.length > 0 ? { annotations: first } : {}) },
    };
    const openId = openCheckRuns.get(refKey(report));
    try {
      const { data } =
        openId === undefined
          ? await octokit.rest.checks.create({ owner, repo, name, head_sha: report.sha, ...completion })
          : await octokit.rest.checks.update({ owner, repo, check_run_id: openId, ...completion });
      openCheckRuns.delete(refKey(report));
      // Annotations beyond the first 50 are appended by updating the run with the same output.
      for (const batch of rest) {
        await octokit.rest.checks.update({
          owner,
          repo,
          check_run_id: data.id,
          output: { ...output, annotations: batch },
        });
      }
      return data.html_url ?? "";
    } catch (error) {
      throw toGitHubError(error, `posting check run "${name}" on ${shortRef(report)}`);
    }
  }

  return {
    checkRuns: options.checkRuns,

    async pending(report: PendingReport): Promise<void> {
      if (report.kind === "preview" && options.checkRuns) {
        const { owner, repo } = splitRepo(report.repo);
        const name = checkRunName(report.target, report.kind);
        try {
          const { data } = await octokit.rest.checks.create({
            owner,
            repo,
            name,
            head_sha: report.sha,
            status: "in_progress",
            started_at: now().toISOString(),
            ...(report.targetUrl === undefined ? {} : { details_url: report.targetUrl }),
            output: {
              title: truncateLine(report.description, 255),
              summary: truncateLine(report.description, 1000),
            },
          });
          openCheckRuns.set(refKey(report), data.id);
        } catch (error) {
          throw toGitHubError(error, `starting check run "${name}" on ${shortRef(report)}`);
        }
        return;
      }
      await postStatus(report, "pending", report.description, report.targetUrl);
    },

    async finish(report: FinishReport): Promise<FinishResult> {
      const warnings: string[] = [];
      let checkRunUrl: string | undefined;
      if (options.checkRuns) {
        try {
          checkRunUrl = await completeCheckRun(report);
        } catch (error) {
          // A missing `checks: write` permission must not hide the result: fall back to the status.
          if (isRetryable(error)) throw error;
          warnings.push(error instanceof Error ? error.message : String(error));
        }
        if (report.kind === "preview" && checkRunUrl !== undefined) return { checkRunUrl, warnings };
      }
      await postStatus(report, report.state, report.description, checkRunUrl || report.targetUrl);
      return checkRunUrl ? { checkRunUrl, warnings } : { warnings };
    },
  };
}
