/**
 * Builds the real webhook Lambda handler (middy + Powertools) against the test SQS endpoint,
 * and drives it with API Gateway events, for integration tests and the benchmark.
 */
import { createServer } from "node:net";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { Context } from "aws-lambda";
import { lambdaContext as sharedLambdaContext } from "../../functions/local/lambda-context.ts";
import { createWebhookHandler, type WebhookHandlerDeps } from "../../functions/webhook/create-handler.ts";
import type { Target } from "../../lib/config/targets.ts";
import { createSqsImageJobQueue } from "../../lib/jobs/adapters/sqs-image-job-queue.ts";
import { createSqsJobQueue } from "../../lib/jobs/adapters/sqs-job-queue.ts";
import { METRIC_NAMESPACE, ServiceName } from "../../lib/telemetry/metric-names.ts";
import { TEST_SECRET, webhookTargets } from "./webhook.ts";

/** A Lambda context for direct invocations (the webhook's by default). */
export function lambdaContext(
  requestId = "00000000-0000-4000-8000-000000000000",
  options: { functionName?: string; remainingMs?: number } = {},
): Context {
  return sharedLambdaContext({
    functionName: options.functionName ?? "pullbridge-test-webhook",
    requestId,
    remainingMs: options.remainingMs ?? 10_000,
    memoryLimitInMB: 256,
    region: "us-east-1",
    logStreamName: "test",
  });
}

/** An SQS client for `endpoint` with dummy credentials and no retries (tests want failures fast). */
export function sqsClientFor(endpoint: string, maxAttempts = 3): SQSClient {
  return new SQSClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts,
  });
}

/** A localhost URL nothing listens on (a port that was free a moment ago). */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 1;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

export type WebhookLambdaOptions = {
  sqs: SQSClient;
  queueUrl: string;
  targets?: readonly Target[];
  secrets?: readonly string[];
  maxBodyBytes?: number;
  /** Image automation queue: GHCR package deliveries are routed there when set. */
  imageQueueUrl?: string;
  /** Powertools log level; silent by default to keep test output readable. */
  logLevel?: "SILENT" | "INFO" | "DEBUG";
};

/** The real webhook handler, wired like functions/webhook/handler.ts but from injected parts. */
export function webhookLambda(options: WebhookLambdaOptions) {
  const deps: WebhookHandlerDeps = {
    queue: createSqsJobQueue({ client: options.sqs, queueUrl: options.queueUrl }),
    targets: options.targets ?? webhookTargets(),
    secrets: async () => options.secrets ?? [TEST_SECRET],
    logger: new Logger({ serviceName: ServiceName.Webhook, logLevel: options.logLevel ?? "SILENT" }),
    metrics: new Metrics({ namespace: METRIC_NAMESPACE, serviceName: ServiceName.Webhook }),
    ...(options.maxBodyBytes === undefined ? {} : { maxBodyBytes: options.maxBodyBytes }),
    ...(options.imageQueueUrl === undefined
      ? {}
      : { imageQueue: createSqsImageJobQueue({ client: options.sqs, queueUrl: options.imageQueueUrl }) }),
  };
  return createWebhookHandler(deps);
}
