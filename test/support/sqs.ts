/** Test-side helpers for the shared SQS-protocol endpoint (fauxqs) driven by the real AWS SDK. */
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { inject } from "vitest";
import { uniqueName } from "./kube.ts";

/** An SQS client pointed at the test endpoint with dummy credentials. */
export function testSqsClient(endpoint: string = inject("sqsEndpoint")): SQSClient {
  return new SQSClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
}

export type FifoPair = { queueUrl: string; dlqUrl: string; dlqArn: string };

/** Creates a FIFO queue with a FIFO dead-letter queue, redriving after `maxReceiveCount` receives. */
export async function createFifoWithDlq(
  sqs: SQSClient,
  options: { maxReceiveCount?: number; visibilityTimeout?: number } = {},
): Promise<FifoPair> {
  const base = uniqueName("jobs");
  const dlq = await sqs.send(
    new CreateQueueCommand({ QueueName: `${base}-dlq.fifo`, Attributes: { FifoQueue: "true" } }),
  );
  const dlqUrl = dlq.QueueUrl ?? "";
  const attrs = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ["QueueArn"] }),
  );
  const dlqArn = attrs.Attributes?.QueueArn ?? "";
  const main = await sqs.send(
    new CreateQueueCommand({
      QueueName: `${base}.fifo`,
      Attributes: {
        FifoQueue: "true",
        VisibilityTimeout: String(options.visibilityTimeout ?? 30),
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: dlqArn,
          maxReceiveCount: options.maxReceiveCount ?? 5,
        }),
      },
    }),
  );
  return { queueUrl: main.QueueUrl ?? "", dlqUrl, dlqArn };
}

/** Creates a standard queue (per-message DelaySeconds work only there) with a standard dead-letter queue. */
export async function createStandardWithDlq(
  sqs: SQSClient,
  options: { maxReceiveCount?: number; visibilityTimeout?: number } = {},
): Promise<{ queueUrl: string; dlqUrl: string }> {
  const base = uniqueName("health");
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${base}-dlq` }));
  const dlqUrl = dlq.QueueUrl ?? "";
  const attrs = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ["QueueArn"] }),
  );
  const main = await sqs.send(
    new CreateQueueCommand({
      QueueName: base,
      Attributes: {
        VisibilityTimeout: String(options.visibilityTimeout ?? 30),
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: attrs.Attributes?.QueueArn ?? "",
          maxReceiveCount: options.maxReceiveCount ?? 5,
        }),
      },
    }),
  );
  return { queueUrl: main.QueueUrl ?? "", dlqUrl };
}
