/** The queue port: where jobs go. The SQS FIFO adapter implements it; tests use fakes. */
import type { QueueJob } from "./job-codec.ts";

/** One job accepted by the queue. */
export type QueuedJob = {
  readonly job: QueueJob;
  /** Queue-assigned message id (for logs). */
  readonly messageId: string;
};

export type EnqueueResult = { readonly queued: readonly QueuedJob[] };

/** Accepts validated jobs. Resolves when every job is durably queued; rejects with DependencyError otherwise. */
export interface JobQueue {
  enqueue(jobs: readonly QueueJob[]): Promise<EnqueueResult>;
}
