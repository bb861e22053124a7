/**
 * The bridge's functions composed outside AWS, exactly as Lambda composes them: the webhook handler
 * on the job queue, the worker (functions/worker/compose-worker.ts) and, when asked, the health
 * consumer (functions/health/compose-health.ts) and image automation, each queue with its
 * dead-letter queue on one SQS endpoint, and the drift schedule. Nothing runs here: local mode
 * (start-local-bridge.ts) polls the queues and serves the webhook over HTTP; the test bridge
 * (test/support/bridge.ts) drives each step itself. Both build the system here, so a test of the
 * bridge is a test of local mode's wiring.
 */
import type { Logger } from "@aws-lambda-powertools/logger";
import type { Metrics } from "@aws-lambda-powertools/metrics";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { deliveryConfigOf } from "../../lib/app/delivery-config.ts";
import { type DriftRunResult, driftInputs, enqueueDriftJobs } from "../../lib/app/enqueue-drift-jobs.ts";
import type { ImageJobResult } from "../../lib/app/run-image-job.ts";
import type { AwsCredentials, AwsCredentialsProvider } from "../../lib/cluster/adapters/eks-token.ts";
import type { KubeconfigEndpoint } from "../../lib/cluster/cluster-connector.ts";
import type { ClusterPort } from "../../lib/cluster/cluster-port.ts";
import type { SecretReader } from "../../lib/config/adapters/read-secrets.ts";
import { createCurrentConfigSource } from "../../lib/config/current-config.ts";
import type { Target, TargetsFile } from "../../lib/config/targets.ts";
import type { JobGitHubFactory } from "../../lib/github/job-github-ports.ts";
import { createSqsHealthCheckQueue } from "../../lib/health/adapters/sqs-health-check-queue.ts";
import type { HealthBackoff } from "../../lib/health/health-schedule.ts";
import type { ImageJob } from "../../lib/images/image-job.ts";
import { DEFAULT_IMAGE_COMMIT_IDENTITY, type ImageRepo } from "../../lib/images/image-repo.ts";
import type { SqsBatchHandler } from "../../lib/jobs/adapters/lambda-sqs-event-source.ts";
import { createSqsImageJobQueue } from "../../lib/jobs/adapters/sqs-image-job-queue.ts";
import { createSqsJobQueue } from "../../lib/jobs/adapters/sqs-job-queue.ts";
import type { JobQueue } from "../../lib/jobs/job-queue.ts";
import type { Renderer } from "../../lib/render/renderer-port.ts";
import { createRoutingReader } from "../../lib/routing/routing-store.ts";
import type { KeyRing, KmsDataKeys } from "../../lib/secrets/key-ring.ts";
import { DEFAULT_SOURCE_LIMITS } from "../../lib/source/git-source.ts";
import type { ObjectStore } from "../../lib/state/object-store.ts";
import type { FleetCounters } from "../../lib/telemetry/fleet-counters.ts";
import { ServiceName } from "../../lib/telemetry/metric-names.ts";
import { composeHealth } from "../health/compose-health.ts";
import type { LambdaHttpHandler } from "../http/serve-lambda-http.ts";
import { createImageIntakeHandler, createImageUpdaterHandler } from "../images/create-handler.ts";
import { createWebhookHandler } from "../webhook/create-handler.ts";
import type { AwsEndpoints } from "../worker/compose-cluster-connector.ts";
import { composeWorker } from "../worker/compose-worker.ts";
import { lambdaContext } from "./lambda-context.ts";
import { createQueueWithDlq, type QueueWithDlq } from "./local-queues.ts";

type Service = (typeof ServiceName)[keyof typeof ServiceName];

export type LocalCompositionOptions = {
  targets: TargetsFile;
  github: JobGitHubFactory;
  /** The SQS endpoint the queues are created on (fauxqs). */
  sqs: SQSClient;
  /** Queue names start with it: `<prefix>-jobs.fifo`, `<prefix>-health`, `<prefix>-images.fifo`. */
  queuePrefix: string;
  /** The secret deliveries must be signed with. */
  webhookSecret: string;
  /** Renders Kustomize and Helm targets (the Go helper); plain targets need none. */
  renderer?: Renderer | undefined;
  /** Receives before a message moves to its dead-letter queue (5 as deployed). */
  maxReceiveCount: number;
  /** The queues' visibility timeout: how long a failed job stays invisible before it is retried. */
  visibilityTimeoutSeconds: number;
  /** What a worker invocation may take (`getRemainingTimeInMillis` at its start). */
  workerTimeoutMs: number;
  /** Reads `ssm:` / `secretsmanager:` references. */
  secrets: SecretReader;
  /** Decrypts SOPS data keys with AWS KMS (tests: moto); the SDK's default (the caller's credentials) unless given. */
  kms?: KmsDataKeys | undefined;
  /** The worker's key rings (local mode: the caller's own keys, as the CLI's); the stack file's keys unless given. */
  keyRing?: ((target: Target) => KeyRing) | undefined;
  /** Signs EKS tokens; the AWS SDK's default chain unless given. */
  awsCredentials?: AwsCredentials | AwsCredentialsProvider;
  /** STS / EKS endpoints other than AWS's (tests: the emulators); the SDK's `AWS_ENDPOINT_URL_*` work too. */
  awsEndpoints?: AwsEndpoints | undefined;
  /** Region of EKS clusters that name none. */
  region?: string | undefined;
  /** The worker's and health consumer's clock (tests move it past a credential's expiry). */
  now?: (() => Date) | undefined;
  /** What a cluster with `source: default` reads; `~/.kube/config` unless given. */
  defaultKubeconfigPath?: string | undefined;
  /** How kubeconfig text becomes an endpoint (default: inline credentials only, as in Lambda). */
  kubeconfigEndpoint?: KubeconfigEndpoint | undefined;
  /** Each function's Powertools logger and metrics. */
  logger: (service: Service) => Logger;
  metrics: (service: Service) => Metrics;
  /**
   * Health gating: a standard health queue (+ DLQ) the worker queues delayed checks on, consumed by
   * the health handler, reading with `targets` (default: the worker's). Without it the worker
   * reports `success` once applied.
   */
  health?: { backoff: HealthBackoff; targets?: TargetsFile | undefined } | undefined;
  /** Image automation: an image queue (+ DLQ), the intake handler and the updater committing through `repoFor`. */
  images?:
    | {
        repoFor: (job: ImageJob) => Promise<ImageRepo>;
        onResult?: (job: ImageJob, result: ImageJobResult) => Promise<void>;
      }
    | undefined;
  /** Sees every cluster client the worker and the health handler connect (the test bridge counts requests). */
  onClusterClient?: { worker?: (client: ClusterPort) => void; health?: (client: ClusterPort) => void };
  /**
   * The state store (moto), given to the worker and the health handler: health verdicts for
   * `dependsOn`; with a `configRepository` in `targets`, every function also reads the stored
   * config as in Lambda and the worker installs it (without a store the config repository is off);
   * the worker's fleet caches and derived routing (issue 26; without it they are off).
   */
  stateStore?: ObjectStore | undefined;
  /** Counts the worker's cache hits and GitHub budget (the bench reads them). */
  fleetCounters?: FleetCounters | undefined;
};

/** A queue and the handler Lambda's event-source mapping would feed from it. */
export type LocalQueue = QueueWithDlq & { invoke: SqsBatchHandler };

export type LocalComposition = {
  /** The webhook function (what API Gateway invokes). */
  webhook: LambdaHttpHandler;
  jobs: LocalQueue;
  health?: (LocalQueue & { backoff: HealthBackoff }) | undefined;
  /** The image queue, and the intake function (what the ECR EventBridge rule invokes). */
  images?: (LocalQueue & { intake: (event: unknown) => Promise<unknown> }) | undefined;
  /** Queues one drift check per scheduled target (what each schedule tick does). */
  runDriftSchedule(): Promise<DriftRunResult>;
};

/** Creates the queues and composes every function on them; starts nothing. */
export async function composeLocalBridge(options: LocalCompositionOptions): Promise<LocalComposition> {
  const { sqs } = options;
  const queue = (name: string, fifo: boolean) =>
    createQueueWithDlq(sqs, {
      name: `${options.queuePrefix}-${name}`,
      fifo,
      maxReceiveCount: options.maxReceiveCount,
      visibilityTimeoutSeconds: options.visibilityTimeoutSeconds,
    });
  const context = (fn: string, remainingMs: number) =>
    lambdaContext({ functionName: `pullbridge-local-${fn}`, remainingMs });
  const jobQueue = await queue("jobs", true);
  const jobs = createSqsJobQueue({ client: sqs, queueUrl: jobQueue.queueUrl });
  // Each function builds its own reader in Lambda (its own container cache); one per function here too.
  const configStore = options.targets.configRepository === undefined ? undefined : options.stateStore;
  const configSource = () => createCurrentConfigSource(options.targets, configStore);
  const workerConfig = configSource();
  const health = options.health
    ? composeHealthLoop(options, options.health, await queue("health", false), jobs)
    : undefined;
  const worker = composeWorker({
    targets: options.targets,
    github: options.github,
    secrets: options.secrets,
    kms: options.kms,
    keyRing: options.keyRing,
    ...(options.awsCredentials === undefined ? {} : { awsCredentials: options.awsCredentials }),
    awsEndpoints: options.awsEndpoints,
    region: options.region,
    ...(options.now === undefined ? {} : { now: options.now }),
    sourceLimits: DEFAULT_SOURCE_LIMITS,
    renderer: options.renderer,
    maxReceiveCount: options.maxReceiveCount,
    localMode: true,
    defaultKubeconfigPath: options.defaultKubeconfigPath,
    kubeconfigEndpoint: options.kubeconfigEndpoint,
    logger: options.logger(ServiceName.Worker),
    metrics: options.metrics(ServiceName.Worker),
    ...(options.onClusterClient?.worker ? { onClusterClient: options.onClusterClient.worker } : {}),
    ...(health === undefined ? {} : { health: { queue: health.port, backoff: health.backoff } }),
    ...(configStore === undefined
      ? {}
      : { configRepository: { store: configStore, current: workerConfig, queue: jobs } }),
    stateStore: options.stateStore,
    fleetCounters: options.fleetCounters,
    jobQueue: jobs,
  });
  const routing = options.stateStore && createRoutingReader(options.stateStore);
  const images = options.images
    ? composeImages(options, options.images, await queue("images", true))
    : undefined;
  let ticks = 0;
  const driftConfig = configSource();
  return {
    webhook: createWebhookHandler({
      queue: jobs,
      targets: options.targets.targets,
      secrets: async () => [options.webhookSecret],
      logger: options.logger(ServiceName.Webhook),
      metrics: options.metrics(ServiceName.Webhook),
      ...(routing === undefined ? {} : { routing }),
      ...(configStore === undefined ? {} : { config: deliveryConfigOf(options.targets, configSource()) }),
    }),
    jobs: { ...jobQueue, invoke: (event) => worker(event, context("worker", options.workerTimeoutMs)) },
    health: health && {
      ...health.queue,
      backoff: health.backoff,
      invoke: (event) => health.handler(event, context("health", 60_000)),
    },
    images: images && {
      ...images.queue,
      intake: (event) => images.intake(event, context("images-intake", 10_000)),
      invoke: (event) => images.updater(event, context("images", 60_000)),
    },
    // Each run is its own schedule run (local ticks may come seconds apart).
    async runDriftSchedule() {
      const at = new Date();
      const { targets, expired } = await driftInputs(driftConfig, configStore, at);
      return await enqueueDriftJobs({
        targets,
        expired,
        queue: jobs,
        now: at,
        scheduleId: `local-${at.getTime().toString(36)}-${(ticks++).toString(36)}`,
      });
    },
  };
}

/** The health handler on its standard queue, which honours per-message DelaySeconds as SQS does. */
function composeHealthLoop(
  options: LocalCompositionOptions,
  health: NonNullable<LocalCompositionOptions["health"]>,
  queue: QueueWithDlq,
  jobs: JobQueue,
) {
  const { backoff } = health;
  const port = createSqsHealthCheckQueue({ client: options.sqs, queueUrl: queue.queueUrl });
  const handler = composeHealth({
    targets: health.targets ?? options.targets,
    github: options.github,
    secrets: options.secrets,
    ...(options.awsCredentials === undefined ? {} : { awsCredentials: options.awsCredentials }),
    awsEndpoints: options.awsEndpoints,
    region: options.region,
    ...(options.now === undefined ? {} : { now: options.now }),
    queue: port,
    jobs,
    stateStore: options.stateStore,
    backoff,
    localMode: true,
    defaultKubeconfigPath: options.defaultKubeconfigPath,
    kubeconfigEndpoint: options.kubeconfigEndpoint,
    logger: options.logger(ServiceName.Health),
    metrics: options.metrics(ServiceName.Health),
    ...(options.targets.configRepository === undefined || options.stateStore === undefined
      ? {}
      : {
          // The health function's own targets (its identity), with the stored config's added.
          currentConfig: (() => {
            const current = createCurrentConfigSource(health.targets ?? options.targets, options.stateStore);
            return () => current.targets();
          })(),
        }),
    ...(options.onClusterClient?.health ? { onClusterClient: options.onClusterClient.health } : {}),
  });
  return { queue, port, backoff, handler };
}

/** The intake handler queueing image jobs and the updater committing them. */
function composeImages(
  options: LocalCompositionOptions,
  images: NonNullable<LocalCompositionOptions["images"]>,
  queue: QueueWithDlq,
) {
  const logger = options.logger(ServiceName.Images);
  const current = options.targets.configRepository === undefined ? undefined : options.stateStore;
  const currentTargets =
    current === undefined
      ? undefined
      : (() => {
          const source = createCurrentConfigSource(options.targets, current);
          return async () => (await source.targets()).targets;
        })();
  const intake = createImageIntakeHandler({
    targets: options.targets.targets,
    currentTargets,
    queue: createSqsImageJobQueue({ client: options.sqs, queueUrl: queue.queueUrl }),
    logger,
    metrics: options.metrics(ServiceName.Images),
  });
  const updater = createImageUpdaterHandler({
    targets: options.targets.targets,
    currentTargets,
    repoFor: images.repoFor,
    identity: DEFAULT_IMAGE_COMMIT_IDENTITY,
    logger,
    metrics: options.metrics(ServiceName.Images),
    ...(images.onResult ? { onResult: images.onResult } : {}),
  });
  return { queue, intake, updater };
}
