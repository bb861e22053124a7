/**
 * SQS adapter of the health queue: a *standard* queue, because only standard queues honour a
 * per-message `DelaySeconds` (a FIFO queue delays the whole queue or nothing). Ordering and
 * exactly-once are not needed: a check is idempotent (it reads, and posts only a changed text),
 * and a duplicate delivery at worst posts the same verdict twice.
 */
import type { SQSClient } from "@aws-sdk/client-sqs";
import { DependencyError, describeError } from "../../errors.ts";
import type { JobInput } from "../../jobs/job-codec.ts";
import { encodeHealthCheck, encodeRelay, type HealthCheckInput } from "../health-check-codec.ts";
import type { HealthCheckQueue } from "../health-check-queue.ts";
import { MAX_SQS_DELAY_SECONDS } from "../health-schedule.ts";

/**
 * Builds the SQS implementation of the HealthCheckQueue port. `client` may be a function that
 * builds it: the worker passes one, so the SQS SDK loads with the first check it schedules
 * instead of at every cold start.
 */
export function createSqsHealthCheckQueue(options: {
  client: SQSClient | (() => Promise<SQSClient>);
  queueUrl: string;
}): HealthCheckQueue {
  const given = options.client;
  let client: Promise<SQSClient> | undefined;
  const send = async (body: string, delaySeconds: number): Promise<void> => {
    const delay = Math.max(0, Math.min(MAX_SQS_DELAY_SECONDS, Math.round(delaySeconds)));
    try {
      client ??= typeof given === "function" ? given() : Promise.resolve(given);
      const [sqs, { SendMessageCommand }] = await Promise.all([client, import("@aws-sdk/client-sqs")]);
      await sqs.send(
        new SendMessageCommand({ QueueUrl: options.queueUrl, MessageBody: body, DelaySeconds: delay }),
      );
    } catch (error) {
      throw new DependencyError(`health queue unreachable: ${describeError(error)}`, { cause: error });
    }
  };
  return {
    schedule: async (check: HealthCheckInput, delaySeconds: number) =>
      await send(encodeHealthCheck(check), delaySeconds),
    relay: async (job: JobInput, delaySeconds: number) => await send(encodeRelay(job), delaySeconds),
  };
}
