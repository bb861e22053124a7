/**
 * SQS FIFO adapter for the job queue port. One SendMessageBatch per 10 jobs; entries that fail
 * are retried once on their own, then the whole enqueue fails with a DependencyError, so the
 * webhook answers 5xx and GitHub shows a failed delivery that can be redelivered (the dedup id
 * makes a partial first attempt harmless).
 */
import { createHash } from "node:crypto";
import {
  type BatchResultErrorEntry,
  SendMessageBatchCommand,
  type SendMessageBatchCommandOutput,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { DependencyError, describeError } from "../../errors.ts";
import { encodeJob, jobMessageGroupId, jobSubject, type QueueJob, type ResolveJob } from "../job-codec.ts";
import type { EnqueueResult, JobQueue, QueuedJob } from "../job-queue.ts";

/** SQS allows at most 10 entries per SendMessageBatch. */
const SQS_BATCH_SIZE = 10;
const MAX_DEDUP_ID_LENGTH = 128;

/**
 * `<deliveryId>:<target>` (a resolve job: `<deliveryId>:resolve:<repo>@<branch>`): a redelivered
 * webhook (same delivery id) collapses into the job it already queued. Hashed (sha256 hex) when
 * it would exceed SQS's 128-character limit.
 */
export function jobDeduplicationId(job: { deliveryId: string; target: string } | ResolveJob): string {
  const id = `${job.deliveryId}:${"target" in job ? job.target : jobSubject(job)}`;
  return id.length <= MAX_DEDUP_ID_LENGTH ? id : createHash("sha256").update(id).digest("hex");
}

export type SqsJobQueueOptions = {
  client: SQSClient;
  queueUrl: string;
};

type Pending = { entry: SendMessageBatchRequestEntry; job: QueueJob };

type BatchOutcome = { sent: QueuedJob[]; failed: Pending[]; errors: readonly BatchResultErrorEntry[] };

function describeFailures(count: number, errors: readonly BatchResultErrorEntry[]): string {
  const codes = [...new Set(errors.map((f) => f.Code ?? "unknown"))].join(", ") || "no result";
  return `${count} job(s) not accepted by SQS after one retry (${codes})`;
}

/** Builds the SQS FIFO implementation of the JobQueue port. */
export function createSqsJobQueue(options: SqsJobQueueOptions): JobQueue {
  const { client, queueUrl } = options;

  async function sendBatch(pending: readonly Pending[]): Promise<BatchOutcome> {
    let output: SendMessageBatchCommandOutput;
    try {
      output = await client.send(
        new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: pending.map((p) => p.entry) }),
      );
    } catch (error) {
      throw new DependencyError(`job queue unreachable: ${describeError(error)}`, { cause: error });
    }
    const messageIds = new Map((output.Successful ?? []).map((ok) => [ok.Id, ok.MessageId ?? ""]));
    const sent: QueuedJob[] = [];
    const failed: Pending[] = [];
    // An entry SQS neither accepted nor rejected is treated as failed: never assume it was queued.
    for (const p of pending) {
      const messageId = messageIds.get(p.entry.Id);
      if (messageId === undefined) failed.push(p);
      else sent.push({ job: p.job, messageId });
    }
    return { sent, failed, errors: output.Failed ?? [] };
  }

  return {
    async enqueue(jobs: readonly QueueJob[]): Promise<EnqueueResult> {
      const queued: QueuedJob[] = [];
      for (let start = 0; start < jobs.length; start += SQS_BATCH_SIZE) {
        const chunk = jobs.slice(start, start + SQS_BATCH_SIZE).map(
          (job, i): Pending => ({
            job,
            entry: {
              Id: String(i),
              MessageBody: encodeJob(job),
              MessageGroupId: jobMessageGroupId(job),
              MessageDeduplicationId: jobDeduplicationId(job),
            },
          }),
        );
        const first = await sendBatch(chunk);
        queued.push(...first.sent);
        if (first.failed.length === 0) continue;
        // Retry only what failed, once: throttling and transient internal errors usually clear.
        const retry = await sendBatch(first.failed);
        queued.push(...retry.sent);
        if (retry.failed.length > 0) {
          throw new DependencyError(describeFailures(retry.failed.length, retry.errors));
        }
      }
      return { queued };
    },
  };
}
