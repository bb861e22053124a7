/**
 * The event-source loop local mode, the test bridge and the benchmarks share: receive → handler →
 * delete what succeeded, against the real SQS protocol (fauxqs) through the real SDK.
 */
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import type { SQSEvent } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { consumeQueue, type PollOnceResult } from "../../../lib/jobs/adapters/lambda-sqs-event-source.ts";
import { createFifoWithDlq, testSqsClient } from "../../support/sqs.ts";

const sqs = testSqsClient();

async function send(queueUrl: string, body: string) {
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: body,
      MessageGroupId: body,
      MessageDeduplicationId: body,
    }),
  );
}

describe("consumeQueue", () => {
  it("deletes what succeeded, retries what failed until the dead-letter queue, and stops when told", async () => {
    // Prepare
    const { queueUrl, dlqUrl } = await createFifoWithDlq(sqs, { maxReceiveCount: 2 });
    await send(queueUrl, "ok");
    await send(queueUrl, "poison");
    const seen: string[] = [];
    const handler = async (event: SQSEvent) => {
      seen.push(...event.Records.map((r) => r.body));
      return {
        batchItemFailures: event.Records.filter((r) => r.body === "poison").map((r) => ({
          itemIdentifier: r.messageId,
        })),
      };
    };
    const polls: PollOnceResult[] = [];

    // Act
    await consumeQueue({ sqs, queueUrl, waitTimeSeconds: 0, releaseFailuresImmediately: true }, handler, {
      until: (last) => last?.received === 0,
      onPoll: (result) => polls.push(result),
    });
    const dead: string[] = [];
    await consumeQueue(
      { sqs, queueUrl: dlqUrl, waitTimeSeconds: 0 },
      async (event) => {
        dead.push(...event.Records.map((r) => r.body));
        return undefined;
      },
      { until: (last) => last?.received === 0 },
    );

    // Assess
    expect(seen.sort()).toEqual(["ok", "poison", "poison"]);
    expect(polls.at(-1)).toEqual({ received: 0, succeeded: 0, failed: 0 });
    expect(polls.reduce((sum, p) => sum + p.succeeded, 0)).toBe(1);
    expect(dead).toEqual(["poison"]);
  });

  it("reports a failing receive and keeps polling until aborted; without onError it throws", async () => {
    // Prepare
    const missing = `${(await createFifoWithDlq(sqs)).queueUrl}-missing`;
    const stop = new AbortController();
    const errors: unknown[] = [];

    // Act
    await consumeQueue({ sqs, queueUrl: missing }, async () => undefined, {
      signal: stop.signal,
      onError: (error) => {
        errors.push(error);
        if (errors.length === 2) stop.abort();
      },
    });
    const thrown = await consumeQueue({ sqs, queueUrl: missing }, async () => undefined, {}).catch(
      (error: unknown) => error,
    );

    // Assess
    expect(errors).toHaveLength(2);
    expect(thrown).toBeInstanceOf(Error);
  });
});
