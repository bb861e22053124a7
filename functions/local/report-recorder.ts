/**
 * Local mode keeps every final report the worker posts, so `npm run demo` and the tests can wait
 * for "the status of commit X" the way a user watches GitHub.
 */
import type { CommitReporter, FinishReport } from "../../lib/reporting/commit-reporter.ts";

/** A final commit status the worker reported (printed, and posted to GitHub in token mode). */
export type RecordedReport = FinishReport & { at: Date };

export type ReportRecorder = {
  /** Wraps a reporter so each final report it posts is recorded. */
  wrap(inner: CommitReporter): CommitReporter;
  reports(): readonly RecordedReport[];
  /** Resolves with the first report (already recorded or future) that matches; rejects after `timeoutMs`. */
  waitFor(match: (report: RecordedReport) => boolean, timeoutMs?: number): Promise<RecordedReport>;
};

type Waiter = { match: (r: RecordedReport) => boolean; resolve: (r: RecordedReport) => void };

/** An empty recorder. */
export function createReportRecorder(now: () => Date = () => new Date()): ReportRecorder {
  const recorded: RecordedReport[] = [];
  const waiters = new Set<Waiter>();
  const record = (report: FinishReport) => {
    const entry = { ...report, at: now() };
    recorded.push(entry);
    for (const waiter of [...waiters]) {
      if (waiter.match(entry)) {
        waiters.delete(waiter);
        waiter.resolve(entry);
      }
    }
  };
  return {
    wrap: (inner) => ({
      checkRuns: inner.checkRuns,
      pending: (report) => inner.pending(report),
      async finish(report) {
        const result = await inner.finish(report);
        record(report);
        return result;
      },
    }),
    reports: () => [...recorded],
    waitFor(match, timeoutMs = 60_000) {
      const found = recorded.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const waiter: Waiter = {
          match,
          resolve: (report) => {
            clearTimeout(timer);
            resolve(report);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no matching status within ${timeoutMs / 1000}s`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
  };
}
