/**
 * Local mode's queues, created on whatever SQS endpoint local mode uses (fauxqs): the job queue —
 * SQS FIFO with a dead-letter queue and a redrive policy, as infra/queue.yml deploys it — and the
 * health queue, a standard queue (+ DLQ) as infra/health-queue.yml deploys it, because only
 * standard queues honour a per-message DelaySeconds.
 */
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from "@aws-sdk/client-sqs";

export type LocalQueues = { queueUrl: string; queueArn: string; dlqUrl: string };

async function queueArn(sqs: SQSClient, queueUrl: string): Promise<string> {
  const answer = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }),
  );
  const arn = answer.Attributes?.QueueArn;
  if (arn === undefined) throw new Error(`the SQS endpoint reported no QueueArn for ${queueUrl}`);
  return arn;
}

/** Creates `<base>.fifo` redriving to `<base>-dlq.fifo` after `maxReceiveCount` receives. */
export async function createLocalQueues(
  sqs: SQSClient,
  base: string,
  options: { maxReceiveCount: number; visibilityTimeoutSeconds: number },
): Promise<LocalQueues> {
  const dlq = await sqs.send(
    new CreateQueueCommand({ QueueName: `${base}-dlq.fifo`, Attributes: { FifoQueue: "true" } }),
  );
  const dlqUrl = dlq.QueueUrl ?? "";
  const main = await sqs.send(
    new CreateQueueCommand({
      QueueName: `${base}.fifo`,
      Attributes: {
        FifoQueue: "true",
        VisibilityTimeout: String(options.visibilityTimeoutSeconds),
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: await queueArn(sqs, dlqUrl),
          maxReceiveCount: options.maxReceiveCount,
        }),
      },
    }),
  );
  const queueUrl = main.QueueUrl ?? "";
  return { queueUrl, dlqUrl, queueArn: await queueArn(sqs, queueUrl) };
}

/** Creates the standard queue `<base>` redriving to `<base>-dlq` after `maxReceiveCount` receives. */
export async function createLocalStandardQueues(
  sqs: SQSClient,
  base: string,
  options: { maxReceiveCount: number; visibilityTimeoutSeconds: number },
): Promise<LocalQueues> {
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${base}-dlq` }));
  const dlqUrl = dlq.QueueUrl ?? "";
  const main = await sqs.send(
    new CreateQueueCommand({
      QueueName: base,
      Attributes: {
        VisibilityTimeout: String(options.visibilityTimeoutSeconds),
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: await queueArn(sqs, dlqUrl),
          maxReceiveCount: options.maxReceiveCount,
        }),
      },
    }),
  );
  const queueUrl = main.QueueUrl ?? "";
  return { queueUrl, dlqUrl, queueArn: await queueArn(sqs, queueUrl) };
}
