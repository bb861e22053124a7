/** Test-side helpers for the shared SQS-protocol endpoint (fauxqs) driven by the real AWS SDK. */
import { SQSClient } from "@aws-sdk/client-sqs";
import { inject } from "vitest";
import { createQueueWithDlq, type QueueWithDlq } from "../../functions/local/local-queues.ts";
import { uniqueName } from "./kube.ts";

/** An SQS client pointed at the test endpoint with dummy credentials. */
export function testSqsClient(endpoint: string = inject("sqsEndpoint")): SQSClient {
  return new SQSClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
}

/** A fresh FIFO job queue with a FIFO dead-letter queue, redriving after `maxReceiveCount` receives (default 5). */
export async function createFifoWithDlq(
  sqs: SQSClient,
  options: { maxReceiveCount?: number } = {},
): Promise<QueueWithDlq> {
  return await createQueueWithDlq(sqs, {
    name: uniqueName("jobs"),
    fifo: true,
    maxReceiveCount: options.maxReceiveCount ?? 5,
    visibilityTimeoutSeconds: 30,
  });
}
