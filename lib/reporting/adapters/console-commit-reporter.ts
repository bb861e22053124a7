/**
 * CommitReporter for local mode without GitHub credentials: prints what would have been
 * posted — the status line, then the check run's summary, diff and annotations.
 */
import {
  type CommitRef,
  type CommitReporter,
  checkRunName,
  type FinishReport,
  type FinishResult,
  type PendingReport,
  statusContext,
} from "../commit-reporter.ts";
import { truncateLine } from "../format-text.ts";

export type ConsoleCommitReporterOptions = {
  /** Where lines go; stdout by default. */
  write?: (text: string) => void;
};

const MARK = { pending: "…", success: "✔", failure: "✘", error: "!" } as const;

function head(ref: CommitRef, state: keyof typeof MARK, description: string): string {
  return `${MARK[state]} ${statusContext(ref.target, ref.kind)} ${ref.repo}@${ref.sha.slice(0, 7)} ${state}: ${truncateLine(description)}`;
}

/** Creates the console reporter. */
export function createConsoleCommitReporter(options: ConsoleCommitReporterOptions = {}): CommitReporter {
  const write = options.write ?? ((text: string) => process.stdout.write(`${text}\n`));
  return {
    checkRuns: false,
    async pending(report: PendingReport): Promise<void> {
      write(head(report, "pending", report.description));
    },
    async finish(report: FinishReport): Promise<FinishResult> {
      const lines = [
        head(report, report.state, report.description),
        "",
        `## ${checkRunName(report.target, report.kind)}`,
      ];
      if (report.title !== undefined) lines.push(report.title);
      lines.push("", report.summary);
      if (report.text !== undefined) lines.push("", report.text);
      const annotations = report.annotations ?? [];
      if (annotations.length > 0) {
        lines.push("", "Annotations:");
        for (const a of annotations)
          lines.push(`  ${a.path}:${a.line}${a.column === undefined ? "" : `:${a.column}`}: ${a.message}`);
      }
      if (report.targetUrl !== undefined) lines.push("", `Details: ${report.targetUrl}`);
      write(lines.join("\n"));
      return { warnings: [] };
    },
  };
}
