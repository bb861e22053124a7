import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from "@aws-sdk/client-sqs";
import { describe, expect, it } from "vitest";
import { createFifoWithDlq, testSqsClient } from "../../support/sqs.ts";

const sqs = testSqsClient();

async function receive(queueUrl: string, max = 10, visibilityTimeout = 30) {
  const res = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: max,
      VisibilityTimeout: visibilityTimeout,
      WaitTimeSeconds: 0,
      MessageSystemAttributeNames: ["MessageGroupId", "ApproximateReceiveCount"],
    }),
  );
  return res.Messages ?? [];
}

describe("SQS FIFO endpoint (fauxqs via @aws-sdk/client-sqs)", () => {
  it("collapses a duplicate MessageDeduplicationId", async () => {
    // Prepare
    const { queueUrl } = await createFifoWithDlq(sqs);
    const send = (body: string) =>
      sqs.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: body,
          MessageGroupId: "target-a",
          MessageDeduplicationId: "delivery-1:target-a",
        }),
      );

    // Act
    await send("first");
    await send("second");

    // Assess
    const messages = await receive(queueUrl);
    expect(messages.map((m) => m.Body)).toEqual(["first"]);
  });

  it("keeps a message group locked while one of its messages is in flight", async () => {
    // Prepare
    const { queueUrl } = await createFifoWithDlq(sqs);
    for (const [group, body] of [
      ["a", "a1"],
      ["a", "a2"],
      ["b", "b1"],
    ] as const) {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: body,
          MessageGroupId: group,
          MessageDeduplicationId: body,
        }),
      );
    }

    // Act: take a1 only, then ask for everything that is visible.
    const [a1] = await receive(queueUrl, 1);
    const whileA1InFlight = await receive(queueUrl);
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: a1?.ReceiptHandle }));
    const afterA1Deleted = await receive(queueUrl);

    // Assess
    expect(a1?.Body).toBe("a1");
    expect(whileA1InFlight.map((m) => m.Body)).toEqual(["b1"]);
    expect(afterA1Deleted.map((m) => m.Body)).toEqual(["a2"]);
  });

  it("moves a message that keeps failing to the DLQ after maxReceiveCount receives", async () => {
    // Prepare
    const { queueUrl, dlqUrl } = await createFifoWithDlq(sqs, { maxReceiveCount: 3 });
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: "poison",
        MessageGroupId: "t",
        MessageDeduplicationId: "poison",
      }),
    );

    // Act: receive and "fail" (make it visible again at once) until it is gone.
    const receiveCounts: string[] = [];
    for (let attempt = 0; attempt < 5; attempt++) {
      const [message] = await receive(queueUrl, 1);
      if (!message) break;
      receiveCounts.push(message.Attributes?.ApproximateReceiveCount ?? "?");
      await sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: queueUrl,
          ReceiptHandle: message.ReceiptHandle,
          VisibilityTimeout: 0,
        }),
      );
    }

    // Assess
    expect(receiveCounts).toEqual(["1", "2", "3"]);
    const dead = await receive(dlqUrl);
    expect(dead.map((m) => m.Body)).toEqual(["poison"]);
  });
});
