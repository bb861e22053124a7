/** Local mode: the webhook Lambda handler served over real HTTP by functions/http, queueing to fauxqs. */
import { ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type ServedLambda, serveLambdaHttp } from "../../../functions/http/serve-lambda-http.ts";
import { decodeJob } from "../../../lib/jobs/job-codec.ts";
import { pushPayload, signedDelivery } from "../../factories/webhook.ts";
import { webhookLambda } from "../../factories/webhook-lambda.ts";
import { createFifoWithDlq, testSqsClient } from "../../support/sqs.ts";

const sqs = testSqsClient();
let served: ServedLambda | undefined;

beforeEach(() => {
  vi.stubEnv("POWERTOOLS_METRICS_DISABLED", "true");
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await served?.close();
  served = undefined;
});

async function post(url: string, request: Awaited<ReturnType<typeof signedDelivery>>) {
  const headers = Object.fromEntries(
    Object.entries(request.headers).filter((e): e is [string, string] => e[1] !== undefined),
  );
  const response = await fetch(`${url}/webhook`, { method: "POST", headers, body: request.body ?? "" });
  return {
    status: response.status,
    body: (await response.json()) as unknown,
    type: response.headers.get("content-type"),
  };
}

describe("serveLambdaHttp", () => {
  it("serves the webhook handler: a signed push over HTTP lands on the queue", async () => {
    // Prepare
    const { queueUrl } = await createFifoWithDlq(sqs);
    served = await serveLambdaHttp(webhookLambda({ sqs, queueUrl }));
    const request = await signedDelivery({
      event: "push",
      payload: pushPayload({ commits: [{ modified: ["apps/web/configmap.yaml"] }] }),
    });

    // Act
    const response = await post(served.url, request);

    // Assess
    expect(response).toEqual({
      status: 202,
      body: { queued: ["web"] },
      type: "application/json; charset=utf-8",
    });
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 0 }),
    );
    expect(Messages.map((m) => decodeJob(m.Body ?? "").deliveryId)).toEqual([request.deliveryId]);
  });

  it("passes the exact bytes through, so a bad signature is refused", async () => {
    // Prepare
    const { queueUrl } = await createFifoWithDlq(sqs);
    served = await serveLambdaHttp(webhookLambda({ sqs, queueUrl }));
    const request = await signedDelivery({ event: "push", payload: pushPayload(), secret: "wrong-secret" });

    // Act
    const response = await post(served.url, request);

    // Assess
    expect(response.status).toBe(401);
  });

  it("refuses a body over its own limit before invoking the handler", async () => {
    // Prepare
    let invoked = 0;
    served = await serveLambdaHttp(
      async () => {
        invoked++;
        return { statusCode: 200, body: "{}" };
      },
      { maxBodyBytes: 1024 },
    );

    // Act
    const response = await fetch(`${served.url}/webhook`, { method: "POST", body: "x".repeat(4096) });

    // Assess
    expect(response.status).toBe(413);
    expect(invoked).toBe(0);
  });

  it("answers 502 when the handler throws, as Lambda does", async () => {
    // Prepare
    vi.spyOn(console, "error").mockImplementation(() => {});
    served = await serveLambdaHttp(async () => {
      throw new Error("boom");
    });

    // Act
    const response = await fetch(`${served.url}/webhook`, { method: "POST", body: "{}" });

    // Assess
    expect(response.status).toBe(502);
  });
});
