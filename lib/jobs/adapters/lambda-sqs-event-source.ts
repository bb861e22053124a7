/**
 * What Lambda's SQS event-source mapping does, for local mode and tests: receive a batch from
 * the FIFO queue, hand it to the worker handler as an `SQSEvent`, delete the records that
 * succeeded, and leave the ones reported in `batchItemFailures` (and anything after an
 * uncaught error) to be received again. Nothing in AWS's tooling emulates the mapping.
 */
import { setTimeout } from "node:timers/promises";
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";

export type SqsBatchHandler = (event: SQSEvent) => Promise<SQSBatchResponse | undefined>;

export type PollOnceResult = { received: number; succeeded: number; failed: number; handlerError?: unknown };

export type EventSourceOptions = {
  sqs: SQSClient;
  queueUrl: string;
  queueArn?: string;
  region?: string;
  batchSize?: number;
  /** Long-poll wait; 0 for tests that drive the loop step by step. */
  waitTimeSeconds?: number;
  /** Visibility timeout of received messages while the handler runs. */
  visibilityTimeout?: number;
  /**
   * Make failed records visible again at once instead of waiting out the visibility timeout
   * (Lambda waits; tests and local mode would only sleep). Their receive count still grows,
   * so the DLQ redrive happens exactly as in AWS.
   */
  releaseFailuresImmediately?: boolean;
};

function toRecord(message: Message, options: EventSourceOptions): SQSRecord {
  const a = message.Attributes ?? {};
  return {
    messageId: message.MessageId ?? "",
    receiptHandle: message.ReceiptHandle ?? "",
    body: message.Body ?? "",
    attributes: {
      ApproximateReceiveCount: a.ApproximateReceiveCount ?? "1",
      SentTimestamp: a.SentTimestamp ?? "0",
      SenderId: a.SenderId ?? "local",
      ApproximateFirstReceiveTimestamp: a.ApproximateFirstReceiveTimestamp ?? "0",
      ...(a.SequenceNumber ? { SequenceNumber: a.SequenceNumber } : {}),
      ...(a.MessageGroupId ? { MessageGroupId: a.MessageGroupId } : {}),
      ...(a.MessageDeduplicationId ? { MessageDeduplicationId: a.MessageDeduplicationId } : {}),
    },
    messageAttributes: {},
    md5OfBody: message.MD5OfBody ?? "",
    eventSource: "aws:sqs",
    eventSourceARN: options.queueArn ?? "arn:aws:sqs:us-east-1:000000000000:local.fifo",
    awsRegion: options.region ?? "us-east-1",
  };
}

/** Receives one batch, invokes the handler, deletes successes; returns what happened. */
export async function pollOnce(
  options: EventSourceOptions,
  handler: SqsBatchHandler,
): Promise<PollOnceResult> {
  const { sqs, queueUrl } = options;
  const received = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: options.batchSize ?? 10,
      WaitTimeSeconds: options.waitTimeSeconds ?? 0,
      VisibilityTimeout: options.visibilityTimeout ?? 60,
      MessageSystemAttributeNames: ["All"],
    }),
  );
  const messages = received.Messages ?? [];
  if (messages.length === 0) return { received: 0, succeeded: 0, failed: 0 };

  const records = messages.map((m) => toRecord(m, options));
  let failedIds: Set<string>;
  let handlerError: unknown;
  try {
    const response = await handler({ Records: records });
    failedIds = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
  } catch (error) {
    // An uncaught error fails the whole batch, as on Lambda.
    handlerError = error;
    failedIds = new Set(records.map((r) => r.messageId));
  }

  const succeeded = records.filter((r) => !failedIds.has(r.messageId));
  const failed = records.filter((r) => failedIds.has(r.messageId));
  if (succeeded.length > 0) {
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: succeeded.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
      }),
    );
  }
  if (failed.length > 0 && options.releaseFailuresImmediately) {
    await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: failed.map((r, i) => ({
          Id: String(i),
          ReceiptHandle: r.receiptHandle,
          VisibilityTimeout: 0,
        })),
      }),
    );
  }
  return {
    received: records.length,
    succeeded: succeeded.length,
    failed: failed.length,
    ...(handlerError === undefined ? {} : { handlerError }),
  };
}

export type ConsumeOptions = {
  /** Ends the loop when aborted (local mode's close); the batch in flight finishes first. */
  signal?: AbortSignal;
  /** Ends the loop once true; asked before every poll, with the last poll's result. */
  until?: (last: PollOnceResult | undefined) => boolean;
  /** Pause after a poll that received nothing, for short polling without a busy loop. */
  idleMs?: number;
  /** Every poll's result and its duration (receive, handler, delete). */
  onPoll?: (result: PollOnceResult, ms: number) => void;
  /** A failed receive or delete: reported, and polling resumes a second later; without it, it throws. */
  onError?: (error: unknown) => void;
};

/**
 * The event-source mapping over time: polls `options` into `handler` until aborted or `until`
 * holds. Local mode runs it for its life; the test bridge and benchmarks until a queue is empty
 * or a status is final.
 */
export async function consumeQueue(
  source: EventSourceOptions,
  handler: SqsBatchHandler,
  options: ConsumeOptions,
): Promise<void> {
  const { signal } = options;
  // The pause before the next poll ends early when the loop is stopped.
  const pause = (ms: number) => setTimeout(ms, undefined, { signal }).catch(() => undefined);
  let last: PollOnceResult | undefined;
  while (!signal?.aborted && !options.until?.(last)) {
    const started = performance.now();
    try {
      last = await pollOnce(source, handler);
    } catch (error) {
      if (!options.onError) throw error;
      options.onError(error);
      await pause(1000);
      continue;
    }
    options.onPoll?.(last, performance.now() - started);
    if (last.received === 0 && options.idleMs) await pause(options.idleMs);
  }
}
