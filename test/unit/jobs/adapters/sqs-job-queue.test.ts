import {
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { describe, expect, it } from "vitest";
import { DependencyError } from "../../../../lib/errors.ts";
import { createSqsJobQueue, jobDeduplicationId } from "../../../../lib/jobs/adapters/sqs-job-queue.ts";
import { decodeJob, jobSubject } from "../../../../lib/jobs/job-codec.ts";
import { aPreviewJob, aSyncJob } from "../../../factories/webhook-jobs.ts";

/** What the double answers: entries SQS accepted and rejected, or a transport error. */
type BatchAnswer = {
  Successful?: { Id: string | undefined; MessageId: string }[];
  Failed?: { Id: string | undefined; Code: string; SenderFault: boolean }[];
};
type Reply = (entries: SendMessageBatchRequestEntry[]) => BatchAnswer | Error;

/** An SQS client double that records SendMessageBatch entries and answers with `reply`. */
function fakeSqs(
  reply: Reply = (entries) => ({ Successful: entries.map((e) => ({ Id: e.Id, MessageId: `m-${e.Id}` })) }),
) {
  const batches: SendMessageBatchRequestEntry[][] = [];
  const client = {
    send: async (command: unknown) => {
      if (!(command instanceof SendMessageBatchCommand)) throw new Error("unexpected command");
      const entries = command.input.Entries ?? [];
      batches.push(entries);
      const answer = reply(entries);
      if (answer instanceof Error) throw answer;
      return answer;
    },
  } as unknown as SQSClient;
  return { client, batches };
}

const queueUrl = "http://sqs.local/000000000000/jobs.fifo";

describe("SQS job queue", () => {
  it("sends each job with its group and dedup id, as the codec encodes it", async () => {
    // Prepare
    const { client, batches } = fakeSqs();
    const jobs = [aSyncJob({ target: "web" }), aPreviewJob({ target: "api" })];

    // Act
    const result = await createSqsJobQueue({ client, queueUrl }).enqueue(jobs);

    // Assess
    expect(batches).toHaveLength(1);
    expect(batches[0]?.map((e) => [e.MessageGroupId, e.MessageDeduplicationId])).toEqual([
      ["web", `${jobs[0]?.deliveryId}:web`],
      ["preview:api", `${jobs[1]?.deliveryId}:api`],
    ]);
    expect(batches[0]?.map((e) => decodeJob(e.MessageBody ?? ""))).toEqual(jobs);
    expect(result.queued.map((q) => q.messageId)).toEqual(["m-0", "m-1"]);
  });

  it("sends in chunks of ten", async () => {
    // Prepare
    const { client, batches } = fakeSqs();
    const jobs = Array.from({ length: 23 }, (_, i) => aSyncJob({ target: `t${i}` }));

    // Act
    const result = await createSqsJobQueue({ client, queueUrl }).enqueue(jobs);

    // Assess
    expect(batches.map((b) => b.length)).toEqual([10, 10, 3]);
    expect(result.queued).toHaveLength(23);
  });

  it("retries only the failed entries, once", async () => {
    // Prepare
    let call = 0;
    const { client, batches } = fakeSqs((entries) => {
      call++;
      const failing = call === 1 ? entries.filter((e) => e.Id === "1") : [];
      return {
        Successful: entries
          .filter((e) => !failing.includes(e))
          .map((e) => ({ Id: e.Id, MessageId: `m${call}-${e.Id}` })),
        Failed: failing.map((e) => ({ Id: e.Id, Code: "InternalError", SenderFault: false })),
      };
    });
    const jobs = [aSyncJob({ target: "a" }), aSyncJob({ target: "b" }), aSyncJob({ target: "c" })];

    // Act
    const result = await createSqsJobQueue({ client, queueUrl }).enqueue(jobs);

    // Assess
    expect(batches.map((b) => b.map((e) => e.MessageGroupId))).toEqual([["a", "b", "c"], ["b"]]);
    expect(result.queued.map((q) => jobSubject(q.job)).sort()).toEqual(["a", "b", "c"]);
  });

  it("throws a retryable DependencyError when an entry fails twice", async () => {
    // Prepare
    const { client, batches } = fakeSqs((entries) => ({
      Successful: [],
      Failed: entries.map((e) => ({ Id: e.Id, Code: "ThrottlingException", SenderFault: false })),
    }));

    // Act
    const attempt = createSqsJobQueue({ client, queueUrl }).enqueue([aSyncJob()]);

    // Assess
    await expect(attempt).rejects.toThrow(DependencyError);
    await expect(attempt).rejects.toThrow(
      "1 job(s) not accepted by SQS after one retry (ThrottlingException)",
    );
    expect(batches).toHaveLength(2);
  });

  it("treats an entry SQS neither accepted nor rejected as failed", async () => {
    // Prepare
    const { client } = fakeSqs(() => ({ Successful: [], Failed: [] }));

    // Act
    const attempt = createSqsJobQueue({ client, queueUrl }).enqueue([aSyncJob()]);

    // Assess
    await expect(attempt).rejects.toThrow("1 job(s) not accepted by SQS after one retry (no result)");
  });

  it("wraps a transport failure in a retryable DependencyError", async () => {
    // Prepare
    const { client } = fakeSqs(() =>
      Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" }),
    );

    // Act
    const attempt = createSqsJobQueue({ client, queueUrl }).enqueue([aSyncJob()]);

    // Assess
    await expect(attempt).rejects.toMatchObject({
      name: "DependencyError",
      retryable: true,
      message: "job queue unreachable: Error: connect ECONNREFUSED 127.0.0.1:1",
    });
  });

  it("sends nothing for no jobs", async () => {
    // Prepare
    const { client, batches } = fakeSqs();

    // Act
    const result = await createSqsJobQueue({ client, queueUrl }).enqueue([]);

    // Assess
    expect(batches).toHaveLength(0);
    expect(result.queued).toEqual([]);
  });
});

describe("jobDeduplicationId", () => {
  it("is delivery id and target", () => {
    // Act
    const id = jobDeduplicationId({ deliveryId: "72d3162e-cc78-11e3-81ab-4c9367dc0958", target: "web" });

    // Assess
    expect(id).toBe("72d3162e-cc78-11e3-81ab-4c9367dc0958:web");
  });

  it("is hashed to 64 hex characters when it would exceed SQS's 128-character limit", () => {
    // Prepare
    const long = { deliveryId: "d".repeat(100), target: "a-rather-long-target-name-for-a-cluster" };

    // Act
    const id = jobDeduplicationId(long);

    // Assess
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(jobDeduplicationId(long)).toBe(id);
    expect(jobDeduplicationId({ ...long, target: "other" })).not.toBe(id);
  });
});
