/**
 * The worker's composition root: one place that turns configuration and the outside world
 * (GitHub ports, AWS credentials, secrets, logger, metrics) into the worker Lambda handler. The
 * Lambda entry point, local mode and the end-to-end test bridge all build their worker here, so
 * they differ only in what they pass in.
 */

import type { Logger } from "@aws-lambda-powertools/logger";
import type { Metrics } from "@aws-lambda-powertools/metrics";
import type { WorkerDeps } from "../../lib/app/run-job.ts";
import type { AwsCredentials, AwsCredentialsProvider } from "../../lib/cluster/adapters/eks-token.ts";
import type { KubeconfigEndpoint } from "../../lib/cluster/cluster-connector.ts";
import type { ClusterPort } from "../../lib/cluster/cluster-port.ts";
import type { SecretReader } from "../../lib/config/adapters/read-secrets.ts";
import type { Target, TargetsFile } from "../../lib/config/targets.ts";
import type { JobGitHubFactory } from "../../lib/github/job-github-ports.ts";
import type { JobQueue } from "../../lib/jobs/job-queue.ts";
import type { Renderer } from "../../lib/render/renderer-port.ts";
import type { KeyRing, KmsDataKeys } from "../../lib/secrets/key-ring.ts";
import type { SourceLimits } from "../../lib/source/git-source.ts";
import type { ObjectStore } from "../../lib/state/object-store.ts";
import { PULLBRIDGE_VERSION } from "../../lib/sync/tooling-version.ts";
import { logFromPowertools } from "../../lib/telemetry/adapters/powertools-logger.ts";
import type { FleetCounters } from "../../lib/telemetry/fleet-counters.ts";
import { type AwsEndpoints, composeClusterConnector } from "./compose-cluster-connector.ts";
import { composeFleet } from "./compose-fleet.ts";
import { composeKeyRing } from "./compose-key-ring.ts";
import { createWorkerHandler } from "./create-handler.ts";

/** A token must outlive the longest sync: refresh it when less than the Lambda timeout (max 15 min) remains. */
const TOKEN_MARGIN_MS = 5 * 60_000;

export type WorkerWiring = {
  targets: TargetsFile;
  github: JobGitHubFactory;
  /** Reads `ssm:` / `secretsmanager:` references (cluster kubeconfigs). */
  secrets: SecretReader;
  sourceLimits: SourceLimits;
  /** The queue's redrive `maxReceiveCount` (retries are announced as "attempt n of this"). */
  maxReceiveCount: number;
  logger: Logger;
  metrics: Metrics;
  /** Signs EKS tokens; the AWS SDK's default chain unless given. */
  awsCredentials?: AwsCredentials | AwsCredentialsProvider;
  /** Region of EKS clusters that name none. */
  region?: string | undefined;
  /** Allows `file:` and `default` kubeconfig sources (local mode, tests). */
  localMode: boolean;
  /** What a `default` kubeconfig source reads (local mode); `~/.kube/config` unless given. */
  defaultKubeconfigPath?: string | undefined;
  /** How kubeconfig text becomes an endpoint (default: inline credentials only; local mode: client-node). */
  kubeconfigEndpoint?: KubeconfigEndpoint | undefined;
  /** STS / EKS endpoints other than AWS's (tests: the emulators). */
  awsEndpoints?: AwsEndpoints | undefined;
  now?: () => Date;
  /** Engine tuning (tests shorten waits). */
  engine?: WorkerDeps["engine"];
  /** Renders Kustomize and Helm targets (the Go helper behind lib/render's port). */
  renderer?: Renderer | undefined;
  /** The health queue; without it, `success` is reported once applied (no health gating). */
  health?: WorkerDeps["health"];
  /**
   * The state bucket: health verdicts for `dependsOn` (without it, targets with `dependsOn` fail);
   * branch heads looked up conditionally, trees and renders cached for every target and routing
   * derived (issue 26; without it, every job fetches alone).
   */
  stateStore?: ObjectStore | undefined;
  /** Sees every cluster client the worker connects (the test bridge counts their requests). */
  onClusterClient?: (client: ClusterPort) => void;
  /** Counts cache hits and GitHub budget (the GitHub client provider reports its answers into it). */
  fleetCounters?: FleetCounters | undefined;
  /** The job queue, where a drift tick's resolve job queues its drift checks. */
  jobQueue?: JobQueue | undefined;
  /** Decrypts SOPS data keys with AWS KMS (tests point it at moto); the SDK's default unless given. */
  kms?: KmsDataKeys | undefined;
  /** The key rings (local mode: the caller's own keys); the stack file's keys unless given. */
  keyRing?: ((target: Target) => KeyRing) | undefined;
  /** The config repository's stored config and the queue config jobs queue on (with a `configRepository`). */
  configRepository?: WorkerDeps["configRepository"];
};

/** Builds the worker handler from `wiring`; call once per container (or per local bridge). */
export function composeWorker(wiring: WorkerWiring) {
  const now = wiring.now ?? (() => new Date());
  const connect = composeClusterConnector({
    targets: wiring.targets,
    functionName: "worker",
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
  return createWorkerHandler({
    config: wiring.targets,
    github: wiring.github,
    connectCluster: connect,
    now,
    toolingVersion: PULLBRIDGE_VERSION,
    sourceLimits: wiring.sourceLimits,
    renderer: wiring.renderer,
    maxReceiveCount: wiring.maxReceiveCount,
    logger: wiring.logger,
    metrics: wiring.metrics,
    keyRing:
      wiring.keyRing ?? composeKeyRing({ targets: wiring.targets, secrets: wiring.secrets, kms: wiring.kms }),
    ...(wiring.engine === undefined ? {} : { engine: wiring.engine }),
    ...(wiring.health === undefined ? {} : { health: wiring.health }),
    fleet:
      wiring.stateStore === undefined
        ? undefined
        : composeFleet({
            store: wiring.stateStore,
            now,
            sourceLimits: wiring.sourceLimits,
            log: logFromPowertools(wiring.logger),
            counters: wiring.fleetCounters,
          }),
    jobQueue: wiring.jobQueue,
    ...(wiring.configRepository === undefined ? {} : { configRepository: wiring.configRepository }),
    ...(wiring.stateStore === undefined ? {} : { verdicts: wiring.stateStore }),
  });
}
