/**
 * SQS FIFO adapter for image jobs: MessageGroupId = `repo/branch` (one writer per branch),
 * MessageDeduplicationId from the event id, so a redelivered registry event collapses.
 */
import {
  SendMessageBatchCommand,
  type SendMessageBatchCommandOutput,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { DependencyError, describeError } from "../../errors.ts";
import { encodeImageJob, type ImageJob, imageJobDedupId, imageJobGroupId } from "../../images/image-job.ts";
import type { ImageJobQueue } from "../../images/image-job-queue.ts";

/** SQS allows at most 10 entries per SendMessageBatch. */
const SQS_BATCH_SIZE = 10;

/** Builds the SQS FIFO implementation of the ImageJobQueue port. */
export function createSqsImageJobQueue(options: { client: SQSClient; queueUrl: string }): ImageJobQueue {
  return {
    async enqueue(jobs) {
      const messageIds: string[] = [];
      for (let start = 0; start < jobs.length; start += SQS_BATCH_SIZE) {
        const chunk: ImageJob[] = jobs.slice(start, start + SQS_BATCH_SIZE);
        let output: SendMessageBatchCommandOutput;
        try {
          output = await options.client.send(
            new SendMessageBatchCommand({
              QueueUrl: options.queueUrl,
              Entries: chunk.map((job, i) => {
                const { v: _version, type: _type, ...rest } = job;
                return {
                  Id: String(i),
                  MessageBody: encodeImageJob(rest),
                  MessageGroupId: imageJobGroupId(job),
                  MessageDeduplicationId: imageJobDedupId(job),
                };
              }),
            }),
          );
        } catch (error) {
          throw new DependencyError(`image queue unreachable: ${describeError(error)}`, { cause: error });
        }
        if ((output.Failed ?? []).length > 0 || (output.Successful ?? []).length !== chunk.length) {
          const codes =
            [...new Set((output.Failed ?? []).map((f) => f.Code ?? "unknown"))].join(", ") || "no result";
          throw new DependencyError(
            `${chunk.length - (output.Successful ?? []).length} image job(s) not accepted by SQS (${codes})`,
          );
        }
        messageIds.push(...(output.Successful ?? []).map((s) => s.MessageId ?? ""));
      }
      return { messageIds };
    },
  };
}
