import { sign } from "@octokit/webhooks-methods";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createDeliveryHandler } from "../../../lib/app/handle-delivery.ts";
import { DependencyError } from "../../../lib/errors.ts";
import { jobSubject } from "../../../lib/jobs/job-codec.ts";
import {
  OTHER_SECRET,
  pushPayload,
  signedDelivery,
  TEST_SECRET,
  webhookFixture,
} from "../../factories/webhook.ts";
import { deliveryDeps, FIXED_NOW, queueDown } from "../../factories/webhook-fakes.ts";

/** A push that queues `web` when (and only when) its signature is accepted. */
const webPush = () => pushPayload({ commits: [{ modified: ["apps/web/deployment.yaml"] }] });

describe("handleDelivery", () => {
  it("queues the routed jobs and answers 202 with the queued targets", async () => {
    // Prepare
    const { deps, queue, metrics, log } = deliveryDeps();
    const handle = createDeliveryHandler(deps);
    const request = await signedDelivery({ event: "push", payload: webPush() });

    // Act
    const response = await handle(request);

    // Assess
    expect(response.statusCode).toBe(202);
    expect(JSON.parse(response.body)).toEqual({ queued: ["web"] });
    expect(queue.jobs).toEqual([
      expect.objectContaining({
        v: 1,
        type: "sync",
        target: "web",
        deliveryId: request.deliveryId,
        receivedAt: FIXED_NOW.toISOString(),
      }),
    ]);
    expect(metrics.outcomes).toEqual([
      { event: "push", decision: "queued", jobsQueued: 1, signatureFailure: false, latencyMs: 0 },
    ]);
    expect(log.lines.at(-1)).toMatchObject({
      level: "info",
      message: "jobs queued",
      attributes: {
        deliveryId: request.deliveryId,
        event: "push",
        repo: "Codertocat/Hello-World",
        decision: "queued",
        queued: ["web"],
        secretIndex: 0,
      },
    });
  });

  it("accepts a base64-encoded body (API Gateway / Function URL binary mode)", async () => {
    // Prepare
    const { deps, queue } = deliveryDeps();
    const request = await signedDelivery({ event: "push", payload: webPush(), base64: true });

    // Act
    const response = await createDeliveryHandler(deps)(request);

    // Assess
    expect(response.statusCode).toBe(202);
    expect(queue.jobs.map(jobSubject)).toEqual(["web"]);
  });

  it("accepts a form-encoded delivery (`payload=` field), signed over the form body", async () => {
    // Prepare
    const { deps, queue } = deliveryDeps();
    const body = new URLSearchParams({ payload: JSON.stringify(webPush()) }).toString();
    const request = await signedDelivery({
      event: "push",
      body,
      contentType: "application/x-www-form-urlencoded",
    });

    // Act
    const response = await createDeliveryHandler(deps)(request);

    // Assess
    expect(response.statusCode).toBe(202);
    expect(queue.jobs.map(jobSubject)).toEqual(["web"]);
  });

  it("answers a ping with 200 and queues nothing", async () => {
    // Prepare
    const { deps, queue, metrics } = deliveryDeps();
    const request = await signedDelivery({ event: "ping", payload: webhookFixture("ping") });

    // Act
    const response = await createDeliveryHandler(deps)(request);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ queued: [], ignored: "ping" });
    expect(queue.calls).toBe(0);
    expect(metrics.outcomes[0]).toMatchObject({ event: "ping", decision: "ping" });
  });

  it("answers 202 with a JSON reason for an ignored delivery", async () => {
    // Prepare
    const { deps, queue, log } = deliveryDeps();
    const request = await signedDelivery({ event: "push", payload: webhookFixture("push-tag") });

    // Act
    const response = await createDeliveryHandler(deps)(request);

    // Assess
    expect(response.statusCode).toBe(202);
    expect(JSON.parse(response.body)).toEqual({ queued: [], ignored: "tag push (refs/tags/simple-tag)" });
    expect(queue.calls).toBe(0);
    expect(log.lines.at(-1)?.attributes).toMatchObject({ decision: "ignored", ignoreCode: "tag-push" });
  });

  it.each([
    ["missing", { secret: null }],
    ["made with another secret", { secret: OTHER_SECRET }],
    ["malformed", { signature: "sha1=abc" }],
  ] as const)("answers 401 to a %s signature without parsing or queueing", async (_name, options) => {
    // Prepare
    const { deps, queue, log, metrics } = deliveryDeps();
    const request = await signedDelivery({ event: "push", payload: webPush(), ...options });

    // Act
    const response = await createDeliveryHandler(deps)(request);

    // Assess
    expect(response.statusCode).toBe(401);
    expect(JSON.parse(response.body)).toEqual({ error: "signature does not match" });
    expect(queue.calls).toBe(0);
    expect(log.lines.at(-1)?.attributes).not.toHaveProperty("repo");
    expect(metrics.outcomes).toEqual([
      { event: "unverified", decision: "unauthorized", jobsQueued: 0, signatureFailure: true, latencyMs: 0 },
    ]);
  });

  it("accepts a rotated-out secret only while it is still listed", async () => {
    // Prepare
    const retired = "retired-webhook-secret-000";
    const whileRotating = deliveryDeps({ secrets: async () => [TEST_SECRET, retired] });
    const afterRotation = deliveryDeps({ secrets: async () => [TEST_SECRET] });
    const request = await signedDelivery({ event: "push", payload: webPush(), secret: retired });

    // Act
    const accepted = await createDeliveryHandler(whileRotating.deps)(request);
    const refused = await createDeliveryHandler(afterRotation.deps)(request);

    // Assess
    expect(accepted.statusCode).toBe(202);
    expect(whileRotating.log.lines.at(-1)?.attributes).toMatchObject({ secretIndex: 1 });
    expect(refused.statusCode).toBe(401);
    expect(afterRotation.queue.calls).toBe(0);
  });

  it("answers 413 over the body limit before looking at the signature", async () => {
    // Prepare
    let secretsRead = 0;
    const { deps, queue } = deliveryDeps({
      maxBodyBytes: 1024,
      secrets: async () => {
        secretsRead++;
        return [TEST_SECRET];
      },
    });
    const request = await signedDelivery({ event: "push", body: JSON.stringify({ pad: "x".repeat(2000) }) });
    const encoded = await signedDelivery({
      event: "push",
      body: JSON.stringify({ pad: "x".repeat(2000) }),
      base64: true,
    });

    // Act
    const plain = await createDeliveryHandler(deps)(request);
    const base64 = await createDeliveryHandler(deps)(encoded);

    // Assess
    expect([plain.statusCode, base64.statusCode]).toEqual([413, 413]);
    expect(secretsRead).toBe(0);
    expect(queue.calls).toBe(0);
  });

  it.each([
    ["the event header", { "x-github-event": "" }, "missing X-GitHub-Event header"],
    ["the delivery header", { "x-github-delivery": "" }, "missing X-GitHub-Delivery header"],
  ])("answers 400 when a signed delivery lacks %s", async (_name, headers, message) => {
    // Prepare
    const { deps, queue } = deliveryDeps();
    const request = await signedDelivery({ event: "push", payload: webPush(), extraHeaders: headers });

    // Act
    const response = await createDeliveryHandler(deps)(request);

    // Assess
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body)).toEqual({ error: message });
    expect(queue.calls).toBe(0);
  });

  it("answers 400 to a signed body that is not JSON", async () => {
    // Prepare
    const { deps, queue, metrics } = deliveryDeps();
    const request = await signedDelivery({ event: "push", body: "{not json" });

    // Act
    const response = await createDeliveryHandler(deps)(request);

    // Assess
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body)).toEqual({ error: "body is not valid JSON" });
    expect(queue.calls).toBe(0);
    expect(metrics.outcomes[0]).toMatchObject({ event: "push", decision: "bad_request" });
  });

  it("answers 400 to a signed push without the fields routing needs", async () => {
    // Prepare
    const { deps } = deliveryDeps();
    const request = await signedDelivery({ event: "push", payload: { ref: "refs/heads/master" } });

    // Act
    const response = await createDeliveryHandler(deps)(request);

    // Assess
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body).error).toMatch(/^push payload: /);
  });

  it("answers 503 with Retry-After when the queue is unreachable, so GitHub can redeliver", async () => {
    // Prepare
    const { deps, queue, metrics, log } = deliveryDeps();
    queue.failWith = queueDown();
    const request = await signedDelivery({ event: "push", payload: webPush() });

    // Act
    const response = await createDeliveryHandler(deps)(request);

    // Assess
    expect(response.statusCode).toBe(503);
    expect(response.headers["retry-after"]).toBe("30");
    expect(JSON.parse(response.body)).toEqual({ error: "job queue unavailable; redeliver later" });
    expect(metrics.outcomes[0]).toMatchObject({ decision: "queue_error", jobsQueued: 0 });
    expect(log.lines.at(-1)).toMatchObject({ level: "error", attributes: { targets: ["web"] } });
  });

  it("answers 503 when the secrets cannot be loaded, and never 401", async () => {
    // Prepare
    const { deps, queue } = deliveryDeps({
      secrets: async () => {
        throw new DependencyError("reading secret ssm:/pullbridge/webhook-secret failed");
      },
    });
    const request = await signedDelivery({ event: "push", payload: webPush() });

    // Act
    const response = await createDeliveryHandler(deps)(request);

    // Assess
    expect(response.statusCode).toBe(503);
    expect(queue.calls).toBe(0);
  });

  it("answers 503 for any enqueue failure, without its details", async () => {
    // Prepare
    const { deps } = deliveryDeps({
      queue: {
        enqueue: async () => {
          throw new TypeError("socket hang up at 10.0.0.1");
        },
      },
    });
    const request = await signedDelivery({ event: "push", payload: webPush() });

    // Act
    const response = await createDeliveryHandler(deps)(request);

    // Assess
    expect(response.statusCode).toBe(503);
    expect(response.body).not.toContain("socket");
  });

  it("answers 500 without details when a job fails its own schema (a bug), and queues nothing", async () => {
    // Prepare
    const { deps, queue, metrics } = deliveryDeps({
      targets: [
        {
          name: "Not A Valid Name",
          repo: "Codertocat/Hello-World",
          branch: "master",
          path: ".",
          preview: false,
        },
      ],
    });
    const request = await signedDelivery({ event: "push", payload: webPush() });

    // Act
    const response = await createDeliveryHandler(deps)(request);

    // Assess
    expect(response.statusCode).toBe(500);
    expect(JSON.parse(response.body)).toEqual({ error: "internal error" });
    expect(queue.calls).toBe(0);
    expect(metrics.outcomes[0]).toMatchObject({ decision: "error" });
  });

  it("never writes a secret or the signature into logs or responses", async () => {
    // Prepare
    const { deps, log } = deliveryDeps({ secrets: async () => [TEST_SECRET, OTHER_SECRET] });
    const handle = createDeliveryHandler(deps);
    const good = await signedDelivery({ event: "push", payload: webPush() });
    const bad = await signedDelivery({ event: "push", payload: webPush(), secret: "guess" });

    // Act
    const responses = [await handle(good), await handle(bad)];

    // Assess
    const written = `${log.text()}\n${responses.map((r) => r.body).join("\n")}`;
    for (const secret of [
      TEST_SECRET,
      OTHER_SECRET,
      good.headers["x-hub-signature-256"],
      bad.headers["x-hub-signature-256"],
    ]) {
      expect(written).not.toContain(secret);
    }
  });
});

describe("handleDelivery with bad signatures (property)", () => {
  const retired = "retired-webhook-secret-000";

  /** A request whose signature must not be accepted, for a body that would queue if it were. */
  const badRequest = fc.oneof(
    // No signature header at all.
    fc.record({ kind: fc.constant("missing" as const), base64: fc.boolean() }),
    // Signed with a secret that is not (or no longer) listed.
    fc.record({
      kind: fc.constant("other-secret" as const),
      secret: fc.oneof(
        fc.string({ minLength: 1, maxLength: 64 }).filter((s) => s !== TEST_SECRET),
        fc.constant(retired),
        fc.constant(`${TEST_SECRET} `),
        fc.constant(TEST_SECRET.slice(0, -1)),
      ),
      base64: fc.boolean(),
    }),
    // Signed correctly, then the body changed.
    fc.record({
      kind: fc.constant("altered" as const),
      at: fc.nat(),
      insert: fc.string({ minLength: 1, maxLength: 8 }),
      remove: fc.nat({ max: 8 }),
      base64: fc.boolean(),
    }),
    // Any header value at all: random text, or well-formed but random hex.
    fc.record({
      kind: fc.constant("random-header" as const),
      signature: fc.oneof(
        fc.string({ maxLength: 80 }),
        fc.stringMatching(/^sha256=[0-9a-f]{64}$/),
        fc.stringMatching(/^sha1=[0-9a-f]{40}$/),
      ),
      base64: fc.boolean(),
    }),
  );

  it("never enqueues anything over 10,000 random bad signatures", async () => {
    // Prepare
    const { deps, queue, metrics } = deliveryDeps({ secrets: async () => [TEST_SECRET] });
    const handle = createDeliveryHandler(deps);
    const body = JSON.stringify(webPush());
    const control = await handle(await signedDelivery({ event: "push", body }));
    queue.jobs.length = 0;
    queue.calls = 0;
    metrics.outcomes.length = 0;
    let statuses = new Set<number>();

    // Act
    await fc.assert(
      fc.asyncProperty(badRequest, async (bad) => {
        let request: Awaited<ReturnType<typeof signedDelivery>>;
        switch (bad.kind) {
          case "missing":
            request = await signedDelivery({ event: "push", body, secret: null, base64: bad.base64 });
            break;
          case "other-secret":
            request = await signedDelivery({ event: "push", body, secret: bad.secret, base64: bad.base64 });
            break;
          case "altered": {
            const at = bad.at % body.length;
            const altered = body.slice(0, at) + bad.insert + body.slice(at + bad.remove);
            fc.pre(altered !== body);
            request = await signedDelivery({
              event: "push",
              body: altered,
              signature: await sign(TEST_SECRET, body),
              base64: bad.base64,
            });
            break;
          }
          case "random-header":
            fc.pre(bad.signature !== (await sign(TEST_SECRET, body)));
            request = await signedDelivery({
              event: "push",
              body,
              signature: bad.signature,
              base64: bad.base64,
            });
            break;
        }
        const response = await handle(request);
        statuses = statuses.add(response.statusCode);
        return response.statusCode === 401 && queue.calls === 0;
      }),
      { numRuns: 10_000 },
    );

    // Assess
    expect(control.statusCode).toBe(202);
    expect(statuses).toEqual(new Set([401]));
    expect(queue.calls).toBe(0);
    expect(metrics.outcomes.length).toBeGreaterThanOrEqual(10_000);
    expect(metrics.outcomes.every((o) => o.signatureFailure && o.event === "unverified")).toBe(true);
  });
});
