/**
 * Queues as infra/ deploys them — each with a dead-letter queue and a redrive policy — created on
 * whatever SQS endpoint runs outside AWS (fauxqs): local mode's, the test bridge's and the
 * benchmarks'. The job and image queues are FIFO (infra/queue.yml); the health queue is standard
 * (infra/health-queue.yml), because only standard queues honour a per-message DelaySeconds.
 */
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from "@aws-sdk/client-sqs";

export type QueueWithDlq = { queueUrl: string; queueArn: string; dlqUrl: string };

async function queueArn(sqs: SQSClient, queueUrl: string): Promise<string> {
  const answer = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }),
  );
  const arn = answer.Attributes?.QueueArn;
  if (arn === undefined) throw new Error(`the SQS endpoint reported no QueueArn for ${queueUrl}`);
  return arn;
}

/**
 * Creates `<name>` redriving to `<name>-dlq` after `maxReceiveCount` receives (`.fifo` appended to
 * both when `fifo`). Creating an existing queue with the same attributes returns it, as SQS does.
 */
export async function createQueueWithDlq(
  sqs: SQSClient,
  options: { name: string; fifo: boolean; maxReceiveCount: number; visibilityTimeoutSeconds: number },
): Promise<QueueWithDlq> {
  const suffix = options.fifo ? ".fifo" : "";
  const fifo = options.fifo ? { FifoQueue: "true" } : {};
  const dlq = await sqs.send(
    new CreateQueueCommand({ QueueName: `${options.name}-dlq${suffix}`, Attributes: fifo }),
  );
  const dlqUrl = dlq.QueueUrl ?? "";
  const main = await sqs.send(
    new CreateQueueCommand({
      QueueName: `${options.name}${suffix}`,
      Attributes: {
        ...fifo,
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
