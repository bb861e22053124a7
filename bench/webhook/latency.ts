/**
 * In-process webhook latency: the real handler (middy + Powertools Logger and Metrics + verify +
 * route + SQS adapter) invoked directly, enqueueing to fauxqs running in the same process.
 * Run by run.ts with stdout discarded (the handler logs and emits EMF there, as in Lambda);
 * writes its results as JSON to the file named by argv[2].
 */
import { writeFileSync } from "node:fs";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { PurgeQueueCommand, SQSClient } from "@aws-sdk/client-sqs";
import { startFauxqs } from "fauxqs";
import { createQueueWithDlq } from "../../functions/local/local-queues.ts";
import { createWebhookHandler } from "../../functions/webhook/create-handler.ts";
import { createSqsJobQueue } from "../../lib/jobs/adapters/sqs-job-queue.ts";
import { METRIC_NAMESPACE, ServiceName } from "../../lib/telemetry/metric-names.ts";
import { httpApiEvent, pushPayload, signedDelivery, webhookTargets } from "../../test/factories/webhook.ts";
import { lambdaContext } from "../../test/factories/webhook-lambda.ts";

const outFile = process.argv[2] ?? "latency.json";
const DELIVERIES = Number(process.env.BENCH_DELIVERIES ?? 10_000);
const WARMUP = 500;

export type Percentiles = { runs: number; p50: number; p90: number; p99: number; max: number; mean: number };

function percentiles(samples: number[]): Percentiles {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
  const round = (n: number) => Math.round(n * 1000) / 1000;
  return {
    runs: sorted.length,
    p50: round(at(0.5)),
    p90: round(at(0.9)),
    p99: round(at(0.99)),
    max: round(sorted.at(-1) ?? Number.NaN),
    mean: round(sorted.reduce((a, b) => a + b, 0) / sorted.length),
  };
}

const fauxqs = await startFauxqs({ port: 0, logger: false });
const sqs = new SQSClient({
  endpoint: fauxqs.address,
  region: "us-east-1",
  credentials: { accessKeyId: "bench", secretAccessKey: "bench" },
});
const { queueUrl } = await createQueueWithDlq(sqs, {
  name: "bench-jobs",
  fifo: true,
  maxReceiveCount: 5,
  visibilityTimeoutSeconds: 30,
});

const handler = createWebhookHandler({
  queue: createSqsJobQueue({ client: sqs, queueUrl }),
  targets: webhookTargets(),
  secrets: async () => ["bench-webhook-secret"],
  logger: new Logger({ serviceName: ServiceName.Webhook, logLevel: "INFO" }),
  metrics: new Metrics({ namespace: METRIC_NAMESPACE, serviceName: ServiceName.Webhook }),
});

type Scenario = { name: string; runs: number; make: () => ReturnType<typeof signedDelivery>; expect: number };

const scenarios: Scenario[] = [
  {
    name: "push → 1 sync job (verify + route + enqueue)",
    runs: DELIVERIES,
    make: () =>
      signedDelivery({
        event: "push",
        payload: pushPayload({
          commits: [{ modified: ["apps/web/deployment.yaml"] }, { modified: ["README.md"] }],
        }),
        secret: "bench-webhook-secret",
      }),
    expect: 202,
  },
  {
    name: "forced push → 3 sync jobs",
    runs: Math.ceil(DELIVERIES / 5),
    make: () =>
      signedDelivery({
        event: "push",
        payload: pushPayload({ forced: true }),
        secret: "bench-webhook-secret",
      }),
    expect: 202,
  },
  {
    name: "bad signature → 401",
    runs: Math.ceil(DELIVERIES / 5),
    make: () => signedDelivery({ event: "push", payload: pushPayload(), secret: "wrong-secret" }),
    expect: 401,
  },
];

const results: Record<string, Percentiles> = {};
for (const scenario of scenarios) {
  // Build and sign every request first: only the handler is timed.
  const events = await Promise.all(
    Array.from({ length: scenario.runs + WARMUP }, async () => httpApiEvent(await scenario.make())),
  );
  const context = lambdaContext();
  const samples: number[] = [];
  for (const [i, event] of events.entries()) {
    const started = performance.now();
    const result = await handler(event, context);
    const elapsed = performance.now() - started;
    if (result.statusCode !== scenario.expect) {
      throw new Error(
        `${scenario.name}: expected ${scenario.expect}, got ${result.statusCode} ${result.body}`,
      );
    }
    if (i >= WARMUP) samples.push(elapsed);
  }
  results[scenario.name] = percentiles(samples);
  await sqs.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));
}

writeFileSync(outFile, JSON.stringify(results, null, 2));
sqs.destroy();
await fauxqs.stop();
