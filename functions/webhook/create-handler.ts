/**
 * The webhook Lambda handler, built from injected dependencies: API Gateway HTTP API (v2) and
 * Lambda Function URL events (same shape) in, `lib/app/handle-delivery` in the middle, middy with
 * Powertools Logger and Metrics (EMF) around it. Tests build it against fauxqs with this factory.
 */
import type { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import type { Metrics } from "@aws-lambda-powertools/metrics";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import middy from "@middy/core";
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
  LambdaFunctionURLEvent,
} from "aws-lambda";
import { createDeliveryHandler, type DeliveryConfig } from "../../lib/app/handle-delivery.ts";
import type { Target } from "../../lib/config/targets.ts";
import type { ImageJobQueue } from "../../lib/images/image-job-queue.ts";
import type { JobQueue } from "../../lib/jobs/job-queue.ts";
import type { RoutingReader } from "../../lib/routing/routing-store.ts";
import { createEmfDeliveryMetrics } from "../../lib/telemetry/adapters/emf-delivery-metrics.ts";
import { logFromPowertools } from "../../lib/telemetry/adapters/powertools-logger.ts";
import { DEFAULT_MAX_BODY_BYTES } from "../../lib/webhook/read-raw-body.ts";
import { derivedRoutesFrom } from "../../lib/webhook/route-push.ts";

export type WebhookEvent = APIGatewayProxyEventV2 | LambdaFunctionURLEvent;
export type WebhookResult = APIGatewayProxyStructuredResultV2;

export type WebhookHandlerDeps = {
  readonly queue: JobQueue;
  readonly targets: readonly Target[];
  /** Current webhook secrets; the provider caches (see lib/config/adapters/read-secrets.ts). */
  readonly secrets: () => Promise<readonly string[]>;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly maxBodyBytes?: number;
  readonly now?: () => Date;
  /** When set, GHCR `package` deliveries are routed to this image queue (image automation). */
  readonly imageQueue?: ImageJobQueue;
  /** Derived routing: the state bucket's `routing/` (read-only); without it a push routes by path and `watch`. */
  readonly routing?: RoutingReader;
  /** The config in force, read per delivery (a config repository's stored config); without it, `targets`. */
  readonly config?: () => Promise<DeliveryConfig>;
};

/** Builds the middy-wrapped Lambda handler. Call once per container. */
export function createWebhookHandler(deps: WebhookHandlerDeps) {
  const handleDelivery = createDeliveryHandler({
    secrets: deps.secrets,
    targets: deps.targets,
    queue: deps.queue,
    log: logFromPowertools(deps.logger),
    metrics: createEmfDeliveryMetrics(deps.metrics),
    maxBodyBytes: deps.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    now: deps.now ?? (() => new Date()),
    monotonicMs: () => performance.now(),
    ...(deps.imageQueue === undefined ? {} : { images: { queue: deps.imageQueue, targets: deps.targets } }),
    ...(deps.routing === undefined ? {} : { routing: derivedRoutesFrom(deps.routing) }),
    ...(deps.config === undefined ? {} : { config: deps.config }),
  });

  return middy<WebhookEvent, WebhookResult, Error, Context>()
    .use(injectLambdaContext(deps.logger, { resetKeys: true }))
    .use(logMetrics(deps.metrics, { captureColdStartMetric: true }))
    .handler(async (event: WebhookEvent): Promise<WebhookResult> => {
      const response = await handleDelivery({
        headers: event.headers ?? {},
        body: event.body,
        isBase64Encoded: event.isBase64Encoded,
        sourceIp: event.requestContext?.http?.sourceIp,
      });
      return { statusCode: response.statusCode, headers: { ...response.headers }, body: response.body };
    });
}
