/** What the worker's use case is built from: configuration, ports and the clock. */
import type { BranchHeads } from "../cache/branch-heads.ts";
import type { RenderCache } from "../cache/render-cache.ts";
import type { TreeCache } from "../cache/tree-cache.ts";
import type { ClusterPort } from "../cluster/cluster-port.ts";
import type { CurrentConfigSource } from "../config/current-config.ts";
import type { Target, TargetsFile } from "../config/targets.ts";
import type { JobGitHub, JobGitHubFactory } from "../github/job-github-ports.ts";
import type { HealthCheckQueue } from "../health/health-check-queue.ts";
import type { HealthBackoff } from "../health/health-schedule.ts";
import type { JobQueue } from "../jobs/job-queue.ts";
import type { Renderer } from "../render/renderer-port.ts";
import type { RoutingStore } from "../routing/routing-store.ts";
import type { KeyRing } from "../secrets/key-ring.ts";
import type { SecretValues } from "../secrets/secret-values.ts";
import type { SourceLimits } from "../source/git-source.ts";
import type { ObjectStore } from "../state/object-store.ts";
import type { SyncDeps } from "../sync/sync-target.ts";
import type { EmittedMetric } from "../telemetry/emitted-metric.ts";
import type { FleetCounters } from "../telemetry/fleet-counters.ts";
import type { Log } from "../telemetry/log.ts";

export type WorkerDeps = {
  config: TargetsFile;
  github: JobGitHubFactory;
  connectCluster: (target: Target, purpose: "sync" | "preview") => Promise<ClusterPort>;
  logger: Log;
  now: () => Date;
  toolingVersion: string;
  sourceLimits: SourceLimits;
  /** Renders Kustomize and Helm targets; plain targets need none (a rendered target without one fails permanently). */
  renderer?: Renderer | undefined;
  /** Engine tuning (concurrency, CRD wait); tests shorten waits here. */
  engine?: Omit<SyncDeps, "cluster" | "toolingVersion">;
  /** Aborts the sync shortly before the Lambda deadline; the job is then retried. */
  signal?: AbortSignal | undefined;
  /**
   * Which delivery of the job this is (SQS `ApproximateReceiveCount`) out of how many the queue
   * allows before the dead-letter queue (its `maxReceiveCount`). With it, a retryable failure is
   * visible on the commit ("retrying: attempt 2 of 5 — …") and the last one posts a failure.
   */
  attempt?: JobAttempt | undefined;
  /**
   * The health queue. With it, targets with `health.wait` (the default) report `pending` after the
   * apply and the health consumer reports the verdict; without it (the CLI, a worker deployed
   * without PULLBRIDGE_HEALTH_QUEUE_URL) `success` is reported once applied.
   */
  health?: { queue: HealthCheckQueue; backoff: HealthBackoff } | undefined;
  /**
   * The keys a target may decrypt SOPS files with (the stack file's `keys` its `decryption.keys`
   * names). Without it, or for a target with none, an encrypted file fails the sync naming why.
   */
  keyRing?: ((target: Target) => KeyRing) | undefined;
  /**
   * With a `configRepository` in the stack file: where its config is stored. Jobs then see the
   * stack file's targets and the stored config's (`config` stays the stack file).
   */
  configRepository?: ConfigRepositoryDeps | undefined;
  /** The state store: health verdicts under `verdicts/` (read for `dependsOn`). */
  verdicts?: ObjectStore | undefined;
  /**
   * Fleet scale (issue 26), when the worker has a state bucket: branch heads looked up
   * conditionally, a commit's tree downloaded once for every target, renders reused while their
   * inputs are unchanged, routing derived from what renders read, and the drift tick's fan-out.
   * Without it every job looks up the head and downloads its own tree, as before.
   */
  fleet?: FleetDeps | undefined;
  /** Where a drift tick's resolve job queues its drift checks (the job queue itself). */
  jobQueue?: JobQueue | undefined;
};

/** What fleet scale needs (see `WorkerDeps.fleet`). */
export type FleetDeps = {
  trees: TreeCache;
  renders: RenderCache;
  routing: RoutingStore;
  heads: BranchHeads;
  counters: FleetCounters;
};

export type JobAttempt = { number: number; of: number };

/**
 * The config repository's state: the stored config (read per job, written by config jobs), the
 * live preview environments, and the job queue config jobs queue syncs and removals on.
 */
export type ConfigRepositoryDeps = {
  store: ObjectStore;
  current: CurrentConfigSource;
  queue: JobQueue;
};

/** One job's resolved surroundings, handed to the sync and preview runners. */
export type JobContext = {
  deps: WorkerDeps;
  target: Target;
  github: JobGitHub;
  /** Emitted first by every job. */
  jobAge: EmittedMetric;
  /** Values this job decrypted: redacted from everything the job reports or logs. */
  secretValues: SecretValues;
};
