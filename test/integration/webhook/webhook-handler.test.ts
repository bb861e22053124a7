/**
 * The real webhook Lambda handler (middy + Powertools + SQS adapter) against a real
 * SQS-protocol server (fauxqs), fed real GitHub payloads signed in the test.
 */
import { type Message, ReceiveMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { sign } from "@octokit/webhooks-methods";
import type { APIGatewayProxyEventV2, LambdaFunctionURLEvent } from "aws-lambda";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, inject, it, vi } from "vitest";
import { decodeJob, jobSubject } from "../../../lib/jobs/job-codec.ts";
import { METRIC_NAMESPACE, WebhookMetric } from "../../../lib/telemetry/metric-names.ts";
import {
  branchDeletionPayload,
  httpApiEvent,
  OTHER_SECRET,
  pullRequestPayload,
  pushPayload,
  sha,
  signedDelivery,
  TEST_SECRET,
  webhookFixture,
} from "../../factories/webhook.ts";
import { closedPortUrl, lambdaContext, sqsClientFor, webhookLambda } from "../../factories/webhook-lambda.ts";
import { createFifoWithDlq, testSqsClient } from "../../support/sqs.ts";

const sqs = testSqsClient();

/** Every message on the queue (received, and left in flight). */
async function drain(client: SQSClient, queueUrl: string): Promise<Message[]> {
  const all: Message[] = [];
  for (let i = 0; i < 10; i++) {
    const { Messages = [] } = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: 60,
        MessageSystemAttributeNames: ["MessageGroupId", "MessageDeduplicationId"],
      }),
    );
    if (Messages.length === 0) break;
    all.push(...Messages);
  }
  return all;
}

function summarize(messages: Message[]) {
  return messages
    .map((m) => {
      const job = decodeJob(m.Body ?? "");
      return {
        type: job.type,
        target: jobSubject(job),
        group: m.Attributes?.MessageGroupId,
        dedup: m.Attributes?.MessageDeduplicationId,
      };
    })
    .sort((a, b) => a.group?.localeCompare(b.group ?? "") ?? 0);
}

type Env = {
  queueUrl: string;
  invoke: (
    event: APIGatewayProxyEventV2 | LambdaFunctionURLEvent,
  ) => Promise<{ statusCode: number; body: unknown }>;
};

async function setup(options: { maxBodyBytes?: number; secrets?: string[] } = {}): Promise<Env> {
  const { queueUrl } = await createFifoWithDlq(sqs);
  const handler = webhookLambda({ sqs, queueUrl, ...options });
  return {
    queueUrl,
    invoke: async (event) => {
      const result = await handler(event, lambdaContext());
      return { statusCode: result.statusCode ?? 0, body: JSON.parse(result.body ?? "null") };
    },
  };
}

async function deliver(env: Env, options: Parameters<typeof signedDelivery>[0]) {
  const request = await signedDelivery(options);
  return { ...(await env.invoke(httpApiEvent(request))), deliveryId: request.deliveryId };
}

describe("webhook handler against SQS FIFO", () => {
  beforeEach(() => {
    // EMF goes to stdout; keep the test output readable (one test turns it back on to read it).
    vi.stubEnv("POWERTOOLS_METRICS_DISABLED", "true");
  });
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it("turns a push into exactly the expected jobs, grouped by target and deduplicated by delivery", async () => {
    // Prepare
    const env = await setup();
    const payload = pushPayload({
      commits: [{ modified: ["apps/web/deployment.yaml"] }, { removed: ["platform/crd.yaml"] }],
      after: sha("merge"),
    });

    // Act
    const response = await deliver(env, { event: "push", payload });

    // Assess
    expect(response.statusCode).toBe(202);
    expect(response.body).toEqual({ queued: ["web", "platform"] });
    const messages = await drain(sqs, env.queueUrl);
    expect(summarize(messages)).toEqual([
      { type: "sync", target: "platform", group: "platform", dedup: `${response.deliveryId}:platform` },
      { type: "sync", target: "web", group: "web", dedup: `${response.deliveryId}:web` },
    ]);
    expect(decodeJob(messages[0]?.Body ?? "")).toMatchObject({
      v: 1,
      repo: "Codertocat/Hello-World",
      ref: "refs/heads/master",
      sha: sha("merge"),
      deliveryId: response.deliveryId,
      sender: "Codertocat",
      installationId: 1,
    });
  });

  it("collapses the same delivery sent twice (GitHub redelivery) into one job per target", async () => {
    // Prepare
    const env = await setup();
    const request = await signedDelivery({
      event: "push",
      payload: pushPayload({ commits: [{ modified: ["apps/api/service.yaml"] }] }),
    });

    // Act
    const first = await env.invoke(httpApiEvent(request));
    const second = await env.invoke(httpApiEvent(request));

    // Assess
    expect([first.statusCode, second.statusCode]).toEqual([202, 202]);
    expect(summarize(await drain(sqs, env.queueUrl)).map((m) => m.target)).toEqual(["api"]);
  });

  it("answers a ping with 200 and queues nothing", async () => {
    // Prepare
    const env = await setup();

    // Act
    const response = await deliver(env, { event: "ping", payload: webhookFixture("ping") });

    // Assess
    expect(response).toMatchObject({ statusCode: 200, body: { queued: [], ignored: "ping" } });
    expect(await drain(sqs, env.queueUrl)).toEqual([]);
  });

  it.each([
    ["a branch deletion", () => branchDeletionPayload("master"), "branch master deleted"],
    ["a tag push", () => webhookFixture("push-tag"), "tag push (refs/tags/simple-tag)"],
    [
      "an untracked repository",
      () => pushPayload({ repo: "someone/else", commits: [{ modified: ["apps/web/a.yaml"] }] }),
      "repository someone/else is not tracked",
    ],
    [
      "an untracked branch",
      () => pushPayload({ branch: "feature/x", commits: [{ modified: ["apps/web/a.yaml"] }] }),
      "branch feature/x of Codertocat/Hello-World is not tracked",
    ],
    [
      "a push outside every target path",
      () => pushPayload({ commits: [{ modified: ["docs/readme.md"] }] }),
      "no target path changed on master (apps/web, apps/api, platform)",
    ],
  ])("answers %s with 202 and a JSON reason, and queues nothing", async (_name, payload, reason) => {
    // Prepare
    const env = await setup();

    // Act
    const response = await deliver(env, { event: "push", payload: payload() });

    // Assess
    expect(response).toMatchObject({ statusCode: 202, body: { queued: [], ignored: reason } });
    expect(await drain(sqs, env.queueUrl)).toEqual([]);
  });

  it("answers another event with 202 and a reason", async () => {
    // Prepare
    const env = await setup();

    // Act
    const response = await deliver(env, { event: "issues", payload: { action: "opened" } });

    // Assess
    expect(response).toMatchObject({
      statusCode: 202,
      body: { queued: [], ignored: "event issues is not handled" },
    });
  });

  it("queues only the targets whose path changed", async () => {
    // Prepare
    const env = await setup();
    const payload = pushPayload({ commits: [{ added: ["apps/api/hpa.yaml"] }, { modified: ["README.md"] }] });

    // Act
    const response = await deliver(env, { event: "push", payload });

    // Assess
    expect(response.body).toEqual({ queued: ["api"] });
    expect(summarize(await drain(sqs, env.queueUrl)).map((m) => m.target)).toEqual(["api"]);
  });

  it.each([
    [
      "a truncated commit list",
      pushPayload({ commits: Array.from({ length: 20 }, () => ({ modified: ["README.md"] })) }),
    ],
    ["a commit list smaller than `size`", pushPayload({ commits: [{ modified: ["README.md"] }], size: 300 })],
    ["a forced push", pushPayload({ commits: [{ modified: ["README.md"] }], forced: true })],
  ])("queues every target on the branch for %s", async (_name, payload) => {
    // Prepare
    const env = await setup();

    // Act
    const response = await deliver(env, { event: "push", payload });

    // Assess
    expect(response.body).toEqual({ queued: ["web", "api", "platform"] });
    expect(summarize(await drain(sqs, env.queueUrl)).map((m) => m.target)).toEqual([
      "api",
      "platform",
      "web",
    ]);
  });

  it("queues preview jobs in their own message groups for a pull request", async () => {
    // Prepare
    const env = await setup();

    // Act
    const response = await deliver(env, {
      event: "pull_request",
      payload: pullRequestPayload({ number: 9 }),
    });

    // Assess
    expect(response.body).toEqual({ queued: ["web", "platform"] });
    expect(summarize(await drain(sqs, env.queueUrl))).toEqual([
      {
        type: "preview",
        target: "platform",
        group: "preview:platform",
        dedup: `${response.deliveryId}:platform`,
      },
      { type: "preview", target: "web", group: "preview:web", dedup: `${response.deliveryId}:web` },
    ]);
  });

  it("handles a Lambda Function URL event with a base64 body the same way", async () => {
    // Prepare
    const env = await setup();
    const request = await signedDelivery({
      event: "push",
      payload: pushPayload({ commits: [{ modified: ["apps/web/a.yaml"] }] }),
      base64: true,
    });
    const event = { ...httpApiEvent(request), routeKey: "$default", rawPath: "/" } as LambdaFunctionURLEvent;

    // Act
    const response = await env.invoke(event);

    // Assess
    expect(response).toEqual({ statusCode: 202, body: { queued: ["web"] } });
  });

  it("answers 413 to a body over the limit and queues nothing", async () => {
    // Prepare
    const env = await setup({ maxBodyBytes: 4096 });
    const payload = pushPayload({ commits: [{ modified: ["apps/web/a.yaml"] }] });

    // Act
    const response = await deliver(env, { event: "push", payload });

    // Assess
    expect(JSON.stringify(payload).length).toBeGreaterThan(4096);
    expect(response).toMatchObject({ statusCode: 413, body: { error: "body exceeds 4096 bytes" } });
    expect(await drain(sqs, env.queueUrl)).toEqual([]);
  });

  it("answers 5xx when the queue is unreachable, so GitHub shows a redeliverable failure", async () => {
    // Prepare
    const unreachable = sqsClientFor(await closedPortUrl(), 1);
    const handler = webhookLambda({
      sqs: unreachable,
      queueUrl: "http://127.0.0.1:1/000000000000/jobs.fifo",
    });
    const request = await signedDelivery({
      event: "push",
      payload: pushPayload({ commits: [{ modified: ["apps/web/a.yaml"] }] }),
    });

    // Act
    const result = await handler(httpApiEvent(request), lambdaContext());

    // Assess
    expect(result.statusCode).toBe(503);
    expect(JSON.parse(result.body ?? "")).toEqual({ error: "job queue unavailable; redeliver later" });
  });

  it("never enqueues a delivery with a bad signature (property, against the real queue)", async () => {
    // Prepare
    const env = await setup({ secrets: [TEST_SECRET] });
    const body = JSON.stringify(pushPayload({ commits: [{ modified: ["apps/web/a.yaml"] }] }));
    const goodSignature = await sign(TEST_SECRET, body);
    const bad = fc.oneof(
      fc.constant({ secret: null as string | null }),
      fc
        .string({ minLength: 1 })
        .map((secret) => ({ secret: secret === TEST_SECRET ? OTHER_SECRET : secret })),
      fc.record({ at: fc.nat({ max: body.length - 1 }), insert: fc.string({ minLength: 1, maxLength: 4 }) }),
      fc.stringMatching(/^sha256=[0-9a-f]{64}$/).map((signature) => ({ signature })),
    );
    const statuses = new Set<number>();

    // Act
    await fc.assert(
      fc.asyncProperty(bad, async (variant) => {
        let options: Parameters<typeof signedDelivery>[0];
        if ("at" in variant) {
          options = {
            event: "push",
            body: body.slice(0, variant.at) + variant.insert + body.slice(variant.at),
            signature: goodSignature,
          };
        } else if ("signature" in variant) {
          fc.pre(variant.signature !== goodSignature);
          options = { event: "push", body, signature: variant.signature };
        } else {
          options = { event: "push", body, secret: variant.secret };
        }
        const response = await deliver(env, options);
        statuses.add(response.statusCode);
      }),
      { numRuns: 300 },
    );

    // Assess
    expect(statuses).toEqual(new Set([401]));
    expect(await drain(sqs, env.queueUrl)).toEqual([]);
    const control = await deliver(env, { event: "push", body });
    expect(control.statusCode).toBe(202);
    expect(summarize(await drain(sqs, env.queueUrl)).map((m) => m.target)).toEqual(["web"]);
  });

  it("emits one EMF record per delivery with the webhook metrics", async () => {
    // Prepare
    vi.stubEnv("POWERTOOLS_METRICS_DISABLED", "false");
    vi.stubEnv("POWERTOOLS_DEV", "true");
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: unknown) => {
      lines.push(String(line));
    });
    const env = await setup();

    // Act
    await deliver(env, {
      event: "push",
      payload: pushPayload({ commits: [{ modified: ["apps/web/a.yaml"] }] }),
    });

    // Assess
    const records = lines
      .filter((l) => l.includes('"CloudWatchMetrics"'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((r) => WebhookMetric.Deliveries in r);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      _aws: { CloudWatchMetrics: [{ Namespace: METRIC_NAMESPACE }] },
      service: "pullbridge-webhook",
      event: "push",
      decision: "queued",
      [WebhookMetric.Deliveries]: 1,
      [WebhookMetric.JobsQueued]: 1,
      [WebhookMetric.SignatureFailures]: 0,
    });
    expect(typeof records[0]?.[WebhookMetric.HandlerLatency]).toBe("number");
    expect(inject("sqsEndpoint")).toMatch(/^http/);
  });
});
