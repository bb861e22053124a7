/**
 * The health function's composition root: configuration and the outside world (GitHub ports, AWS
 * credentials, secrets, the health queue, logger, metrics) → the health Lambda handler. The Lambda
 * entry point and the end-to-end test bridge build it here, so they differ only in what they pass.
 */

import type { Logger } from "@aws-lambda-powertools/logger";
import type { Metrics } from "@aws-lambda-powertools/metrics";
import type { AwsCredentials, AwsCredentialsProvider } from "../../lib/cluster/adapters/eks-token.ts";
import type { KubeconfigEndpoint } from "../../lib/cluster/cluster-connector.ts";
import type { ClusterPort } from "../../lib/cluster/cluster-port.ts";
import type { SecretReader } from "../../lib/config/adapters/read-secrets.ts";
import type { TargetsFile } from "../../lib/config/targets.ts";
import type { JobGitHubFactory } from "../../lib/github/job-github-ports.ts";
import type { HealthCheckQueue } from "../../lib/health/health-check-queue.ts";
import type { HealthBackoff } from "../../lib/health/health-schedule.ts";
import type { JobQueue } from "../../lib/jobs/job-queue.ts";
import type { ObjectStore } from "../../lib/state/object-store.ts";
import { type AwsEndpoints, composeClusterConnector } from "../worker/compose-cluster-connector.ts";
import { createHealthHandler } from "./create-handler.ts";

/** A check takes a second or two; a token with a minute left is plenty. */
const TOKEN_MARGIN_MS = 60_000;

export type HealthWiring = {
  targets: TargetsFile;
  github: JobGitHubFactory;
  secrets: SecretReader;
  queue: HealthCheckQueue;
  /** The FIFO job queue: the next step of a multi-step sync goes there. */
  jobs?: JobQueue | undefined;
  /** The state store: final verdicts are recorded under `verdicts/` (for `dependsOn`). */
  stateStore?: ObjectStore | undefined;
  backoff: HealthBackoff;
  logger: Logger;
  metrics: Metrics;
  awsCredentials?: AwsCredentials | AwsCredentialsProvider;
  region?: string | undefined;
  localMode: boolean;
  /** What a `default` kubeconfig source reads (local mode); `~/.kube/config` unless given. */
  defaultKubeconfigPath?: string | undefined;
  /** How kubeconfig text becomes an endpoint (default: inline credentials only; local mode: client-node). */
  kubeconfigEndpoint?: KubeconfigEndpoint | undefined;
  /** STS / EKS endpoints other than AWS's (tests: the emulators). */
  awsEndpoints?: AwsEndpoints | undefined;
  now?: () => Date;
  /** Sees every cluster client the consumer connects (the test bridge counts their requests). */
  onClusterClient?: (client: ClusterPort) => void;
  /** The targets in force, read per check (a config repository's stored config). */
  currentConfig?: (() => Promise<TargetsFile>) | undefined;
};

/** Builds the health handler from `wiring`; call once per container. */
export function composeHealth(wiring: HealthWiring) {
  const now = wiring.now ?? (() => new Date());
  const connect = composeClusterConnector({
    targets: wiring.targets,
    functionName: "health",
    awsEndpoints: wiring.awsEndpoints,
    // The job's keys (target, delivery id) are on the logger: the session name stays per cluster.
    onAssumedRole: (event) => wiring.logger.info("assumed cluster role", { ...event }),
    secrets: wiring.secrets,
    tokenMarginMs: TOKEN_MARGIN_MS,
    now,
    awsCredentials: wiring.awsCredentials,
    region: wiring.region,
    localMode: wiring.localMode,
    defaultKubeconfigPath: wiring.defaultKubeconfigPath,
    kubeconfigEndpoint: wiring.kubeconfigEndpoint,
    onClusterClient: wiring.onClusterClient,
  });
  return createHealthHandler({
    config: wiring.targets,
    github: wiring.github,
    connectCluster: connect,
    queue: wiring.queue,
    jobs: wiring.jobs,
    verdicts: wiring.stateStore,
    backoff: wiring.backoff,
    now,
    logger: wiring.logger,
    metrics: wiring.metrics,
    currentConfig: wiring.currentConfig,
  });
}
