/**
 * Image intake Lambda (composition root): the EventBridge rule for `ECR Image Action` pushes
 * invokes it; it routes the event by the targets file's image policies and queues image jobs.
 * Its role may only send to the image queue: no GitHub, no cluster.
 */
import { SQSClient } from "@aws-sdk/client-sqs";
import { loadImageIntakeEnv } from "../../lib/config/images-env.ts";
import { loadOptionalStateStoreEnv } from "../../lib/config/state-env.ts";
import { createSqsImageJobQueue } from "../../lib/jobs/adapters/sqs-image-job-queue.ts";
import { createServiceLogger } from "../../lib/telemetry/adapters/powertools-logger.ts";
import { createServiceMetrics } from "../../lib/telemetry/adapters/powertools-metrics.ts";
import { ServiceName } from "../../lib/telemetry/metric-names.ts";
import { composeConfigSource } from "../state/compose-config-source.ts";
import { createImageIntakeHandler } from "./create-handler.ts";

const env = loadImageIntakeEnv();

const { current } = composeConfigSource(env.targets, loadOptionalStateStoreEnv());

export const handler = createImageIntakeHandler({
  targets: env.targets.targets,
  ...(env.targets.configRepository === undefined
    ? {}
    : { currentTargets: async () => (await current.targets()).targets }),
  queue: createSqsImageJobQueue({
    client: new SQSClient(env.sqsEndpoint ? { endpoint: env.sqsEndpoint } : {}),
    queueUrl: env.imageQueueUrl,
  }),
  logger: createServiceLogger(ServiceName.Images),
  metrics: createServiceMetrics(ServiceName.Images),
});
