/** Fakes for the webhook use case's ports: a recording queue, log and metrics. */
import type { DeliveryHandlerDeps } from "../../lib/app/handle-delivery.ts";
import { DependencyError } from "../../lib/errors.ts";
import type { QueueJob } from "../../lib/jobs/job-codec.ts";
import type { EnqueueResult, JobQueue } from "../../lib/jobs/job-queue.ts";
import type { DeliveryMetrics, DeliveryOutcome } from "../../lib/telemetry/delivery-metrics.ts";
import type { Log, LogAttributes } from "../../lib/telemetry/log.ts";
import { TEST_SECRET, webhookTargets } from "./webhook.ts";

/** A queue that records what it was given (or fails, to play an unreachable queue). */
export class RecordingQueue implements JobQueue {
  readonly jobs: QueueJob[] = [];
  calls = 0;
  failWith: Error | undefined;
  async enqueue(jobs: readonly QueueJob[]): Promise<EnqueueResult> {
    this.calls++;
    if (this.failWith) throw this.failWith;
    this.jobs.push(...jobs);
    return { queued: jobs.map((job, i) => ({ job, messageId: `m-${this.calls}-${i}` })) };
  }
}

export type LogLine = { level: keyof Log; message: string; attributes: LogAttributes };

class RecordingLog implements Log {
  readonly lines: LogLine[] = [];
  debug(message: string, attributes: LogAttributes = {}) {
    this.lines.push({ level: "debug", message, attributes });
  }
  info(message: string, attributes: LogAttributes = {}) {
    this.lines.push({ level: "info", message, attributes });
  }
  warn(message: string, attributes: LogAttributes = {}) {
    this.lines.push({ level: "warn", message, attributes });
  }
  error(message: string, attributes: LogAttributes = {}) {
    this.lines.push({ level: "error", message, attributes });
  }
  /** Everything logged, serialised: for "never logs X" assertions. */
  text(): string {
    return this.lines.map((l) => `${l.message} ${JSON.stringify(l.attributes)}`).join("\n");
  }
}

class RecordingMetrics implements DeliveryMetrics {
  readonly outcomes: DeliveryOutcome[] = [];
  record(outcome: DeliveryOutcome) {
    this.outcomes.push(outcome);
  }
}

export const FIXED_NOW = new Date("2025-11-22T10:00:00.000Z");

/** Use-case deps with fakes; override what the test is about. */
export function deliveryDeps(overrides: Partial<DeliveryHandlerDeps> = {}) {
  const queue = new RecordingQueue();
  const log = new RecordingLog();
  const metrics = new RecordingMetrics();
  const deps: DeliveryHandlerDeps = {
    secrets: async () => [TEST_SECRET],
    targets: webhookTargets(),
    queue,
    log,
    metrics,
    maxBodyBytes: 1024 * 1024,
    now: () => FIXED_NOW,
    monotonicMs: () => 0,
    ...overrides,
  };
  return { deps, queue, log, metrics };
}

/** The error an unreachable queue adapter throws. */
export function queueDown(): DependencyError {
  return new DependencyError("job queue unreachable: connect ECONNREFUSED 127.0.0.1:9");
}
