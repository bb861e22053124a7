/**
 * Webhook Lambda entry point (composition root). Reads configuration and builds the adapters
 * once per container; warm invocations reuse them. No cluster credentials here.
 */
import { SQSClient } from "@aws-sdk/client-sqs";
import { deliveryConfigOf } from "../../lib/app/delivery-config.ts";
import { createParametersSecretReader, readSecretList } from "../../lib/config/adapters/read-secrets.ts";
import { loadOptionalStateStoreEnv } from "../../lib/config/state-env.ts";
import { loadWebhookEnv } from "../../lib/config/webhook-env.ts";
import { createSqsImageJobQueue } from "../../lib/jobs/adapters/sqs-image-job-queue.ts";
import { createSqsJobQueue } from "../../lib/jobs/adapters/sqs-job-queue.ts";
import { createRoutingReader } from "../../lib/routing/routing-store.ts";
import { createS3ObjectStore, lazyS3Client } from "../../lib/state/adapters/s3-object-store.ts";
import { createServiceLogger } from "../../lib/telemetry/adapters/powertools-logger.ts";
import { createServiceMetrics } from "../../lib/telemetry/adapters/powertools-metrics.ts";
import { ServiceName } from "../../lib/telemetry/metric-names.ts";
import { composeConfigSource } from "../state/compose-config-source.ts";
import { createWebhookHandler } from "./create-handler.ts";

const env = loadWebhookEnv();
const state = loadOptionalStateStoreEnv();

// GitHub gives up on a delivery after 10 s: fail fast enough to answer 503 inside that window.
const sqs = new SQSClient({
  ...(env.sqsEndpoint ? { endpoint: env.sqsEndpoint } : {}),
  maxAttempts: 3,
  requestHandler: { connectionTimeout: 1_000, requestTimeout: 3_000 },
});

const secretsSource = env.secrets;
const reader = createParametersSecretReader({ maxAgeSeconds: env.secretsMaxAgeSeconds });
const secrets =
  secretsSource.kind === "inline"
    ? async () => secretsSource.secrets
    : () => readSecretList(reader, secretsSource.refs);

// The stored config (a config repository): one conditional GET per delivery, two attempts at most,
// so a slow S3 still leaves time to answer 503 inside GitHub's 10 s.
const { current } = composeConfigSource(env.targets, state, { maxAttempts: 2 });

export const handler = createWebhookHandler({
  queue: createSqsJobQueue({ client: sqs, queueUrl: env.queueUrl }),
  targets: env.targets.targets,
  secrets,
  logger: createServiceLogger(ServiceName.Webhook),
  metrics: createServiceMetrics(ServiceName.Webhook),
  maxBodyBytes: env.maxBodyBytes,
  // Derived routing (read-only `routing/`); GitHub's 10 s budget: one attempt, short timeouts.
  ...(state === undefined
    ? {}
    : {
        routing: createRoutingReader(
          createS3ObjectStore({
            bucket: state.bucket,
            client: lazyS3Client({ endpoint: state.endpoint, region: state.region, maxAttempts: 2 }),
          }),
        ),
      }),
  ...(env.targets.configRepository === undefined ? {} : { config: deliveryConfigOf(env.targets, current) }),
  ...(env.imageQueueUrl === undefined
    ? {}
    : { imageQueue: createSqsImageJobQueue({ client: sqs, queueUrl: env.imageQueueUrl }) }),
});
