/** The image queue port: where image jobs go (SQS FIFO in AWS and local mode; fakes in unit tests). */
import type { ImageJob } from "./image-job.ts";

export interface ImageJobQueue {
  /** Resolves when every job is durably queued; rejects with DependencyError otherwise. */
  enqueue(jobs: readonly ImageJob[]): Promise<{ messageIds: readonly string[] }>;
}
