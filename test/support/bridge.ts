/**
 * The whole bridge on real servers, for end-to-end tests: local mode's composition
 * (functions/local/compose-local-bridge.ts) — the real webhook handler → fauxqs (SQS FIFO + DLQ)
 * → the real worker handler → the real kube-apiserver (as the scoped worker identity) and the
 * GitHub fake (OpenAPI-validated), serving a real git repository — driven step by step: each
 * test delivers, polls and drains itself instead of local mode's background loops.
 */
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { setTimeout } from "node:timers/promises";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { inject } from "vitest";
import { composeLocalBridge } from "../../functions/local/compose-local-bridge.ts";
import type { QueueWithDlq } from "../../functions/local/local-queues.ts";
import type { AwsEndpoints } from "../../functions/worker/compose-cluster-connector.ts";
import type { AwsCredentials } from "../../lib/cluster/adapters/eks-token.ts";
import type { ClusterPort, RequestCounts } from "../../lib/cluster/cluster-port.ts";
import { parseTargetsConfig, type TargetInput, type TargetsFile } from "../../lib/config/targets.ts";
import {
  type ConsumeOptions,
  consumeQueue,
  type EventSourceOptions,
  type PollOnceResult,
  pollOnce,
  type SqsBatchHandler,
} from "../../lib/jobs/adapters/lambda-sqs-event-source.ts";
import type { Renderer } from "../../lib/render/renderer-port.ts";
import type { KmsDataKeys } from "../../lib/secrets/key-ring.ts";
import { createS3ObjectStore, lazyS3Client } from "../../lib/state/adapters/s3-object-store.ts";
import type { ObjectStore } from "../../lib/state/object-store.ts";
import { createFleetCounters, type FleetCounters } from "../../lib/telemetry/fleet-counters.ts";
import { METRIC_NAMESPACE, ServiceName } from "../../lib/telemetry/metric-names.ts";
import {
  type CommitFiles,
  httpApiEvent,
  pullRequestPayload,
  pushPayload,
  signedDelivery,
  TEST_SECRET,
} from "../factories/webhook.ts";
import { lambdaContext } from "../factories/webhook-lambda.ts";
import type { ControlPlaneInfo } from "./control-plane/control-plane.ts";
import { createGitRepo, type FileChanges, type GitRepo } from "./git-repo.ts";
import { type GitHubWorld, startGitHubWorld, TEST_INSTALLATION_ID } from "./github-fake/github-world.ts";
import { grantHealthReader, HEALTH_IDENTITY } from "./health-reader.ts";
import { createTestNamespace, grantWorker, uniqueName } from "./kube.ts";
import { MOTO_CREDENTIALS, MOTO_REGION } from "./moto.ts";
import { createTestBucket, testS3Client } from "./s3.ts";
import { testSqsClient } from "./sqs.ts";

/** A fresh versioned moto bucket as the state store. */
async function motoObjectStore(): Promise<ObjectStore> {
  const bucket = await createTestBucket();
  return createS3ObjectStore({
    bucket,
    client: lazyS3Client({
      endpoint: inject("motoEndpoint"),
      region: MOTO_REGION,
      credentials: MOTO_CREDENTIALS,
    }),
  });
}

export type BridgeOptions = {
  mode?: "app" | "token";
  /** Overrides for the one target `web` (path `deploy`, branch `main`, namespace: a fresh one). */
  target?: Partial<TargetInput>;
  /** Kubeconfig the worker uses (default: the shared control plane's worker identity). */
  workerKubeconfig?: string;
  /** Skip creating and granting the namespace (tests that bring their own control plane). */
  namespace?: string;
  maxReceiveCount?: number;
  /** Servers to use outside vitest (bench/): default `inject("controlPlane")` / `inject("sqsEndpoint")` / `inject("motoEndpoint")`. */
  servers?: { controlPlane: ControlPlaneInfo; sqsEndpoint: string; motoEndpoint?: string };
  /**
   * Health gating: a standard health queue (+ DLQ), the worker queues checks on it, and the real
   * health handler consumes it as the read-only `pullbridge:health` group (infra/rbac). Without it
   * the worker has no health queue and reports `success` once applied.
   */
  health?: { initialDelaySeconds?: number; maxDelaySeconds?: number };
  /** The worker's logger (default: a silent one); tests that check what is logged pass their own. */
  logger?: Logger;
  /** Renders Kustomize/Helm targets (default: none; plain targets only). */
  renderer?: Renderer;
  /** The stack file's `keys` section (SOPS decryption keys the target's `decryption.keys` may name). */
  keys?: TargetsFile["keys"];
  /** The worker's KMS port (e.g. pointed at moto through a fault proxy). */
  kms?: KmsDataKeys;
  /** What `ssm:` / `secretsmanager:` references read (e.g. an age private key), by reference. */
  storedSecrets?: Readonly<Record<string, string>>;
  /** More targets on the same repository and cluster (e.g. for `dependsOn`), each in a fresh granted namespace unless it names one. */
  extraTargets?: Array<Omit<TargetInput, "repo" | "cluster" | "namespace"> & { namespace?: string }>;
  /** The state store the worker and the health consumer are given (verdicts for `dependsOn`). */
  stateStore?: ObjectStore;
  /**
   * Clusters and targets instead of the one kubeconfig target `web` (the test creates and grants
   * their namespaces; `namespace` is the first target's). The health consumer reads with the same
   * file (its clusters' `healthRoleArn`), not the admin kubeconfig.
   */
  config?: { clusters: Record<string, unknown>; targets: TargetInput[] };
  /** For EKS clusters: the caller's own credentials and the STS / EKS endpoints (moto, test/support/eks-fake.ts). */
  aws?: { credentials: AwsCredentials; endpoints: AwsEndpoints };
  /** The worker's and health consumer's clock. */
  now?: () => Date;
  /**
   * Fleet scale (issue 26): the state bucket (a fresh moto bucket unless one is given) for the
   * worker's caches and derived routing; `bridge.fleet` then reads its counters and the bucket.
   */
  fleet?: true | { store: ObjectStore };
  /**
   * A config repository `acme/platform` (path `pullbridge/`, served by the same GitHub fake) and a
   * fresh versioned bucket on moto as the state store: the stack file gets `configRepository` and
   * these `projects`; the packaged target `web` is kept only with `packagedTarget: true`.
   */
  configRepository?: {
    projects: Record<string, Record<string, unknown>>;
    packagedTarget?: boolean;
    requireVerifiedCommits?: boolean;
    /** Wraps the state store the functions get (a test interleaves a competing write). */
    wrapStore?: (store: ObjectStore) => ObjectStore;
  };
};

/** The config repository of a bridge started with `configRepository`. */
export type PlatformRepo = {
  /** `owner/name` (`acme/platform`). */
  name: string;
  repo: GitRepo;
  /** Commits `files` to its `main` and delivers the signed push; returns the sha and the HTTP answer. */
  push(files: FileChanges, message?: string): Promise<{ sha: string; status: number; body: unknown }>;
  /** Commits `files` on `branch`, registers pull request `branch` → `main` and delivers `opened`/`synchronize`. */
  openPullRequest(options: {
    files: FileChanges;
    branch: string;
  }): Promise<{ sha: string; number: number; status: number; body: unknown }>;
  /** Merges `branch` into `main` (a merge commit) and delivers the push. */
  merge(branch: string): Promise<{ sha: string; status: number; body: unknown }>;
};

export type Bridge = {
  world: GitHubWorld;
  sqs: SQSClient;
  queue: QueueWithDlq;
  config: TargetsFile;
  namespace: string;
  /** Commits `files` to `main` and delivers the signed push to the webhook; returns the sha and the HTTP answer. */
  push(files: FileChanges, message?: string): Promise<{ sha: string; status: number; body: unknown }>;
  /**
   * Commits `files` on `branch` (created from `main` the first time; `main` needs a commit, so push
   * first), registers the pull request
   * `branch` → `main` with the GitHub fake, and delivers the signed `pull_request` (`opened` the
   * first time, `synchronize` after); returns the head and base shas, the number and the HTTP answer.
   */
  openPullRequest(options: {
    files: FileChanges;
    branch: string;
    message?: string;
  }): Promise<{ sha: string; base: string; number: number; status: number; body: unknown }>;
  /**
   * Delivers a `pull_request` event of the app repository for `branch` (created from `main` with
   * `files` committed on it when given): `labels` and `action` as GitHub would send them.
   */
  pullRequestEvent(options: {
    action: string;
    branch: string;
    number: number;
    labels?: readonly string[];
    files?: FileChanges;
    /** `owner/name` of the head repository (a fork when not the app repository). */
    headRepo?: string;
  }): Promise<{ sha: string; status: number; body: unknown }>;
  /** The config repository (only with `configRepository`). */
  platform: PlatformRepo | undefined;
  /** The state store (only with `configRepository`). */
  stateStore: ObjectStore | undefined;
  /** Delivers the push of a commit already on `main` (e.g. one written through the Git data API). */
  deliverPush(after: string, commits: CommitFiles): Promise<{ status: number; body: unknown }>;
  /**
   * Delivers the last push again under a new delivery id (GitHub's "Redeliver" after SQS's
   * 5-minute deduplication window, or a hook re-sent by an operator); returns the HTTP status.
   */
  redeliverLastPush(): Promise<number>;
  /** Runs `git revert --no-edit HEAD` on `main` and delivers the push; returns the new sha. */
  pushRevert(): Promise<{ sha: string; status: number }>;
  /** Runs the worker over the queue until it is empty (failed records become visible again at once). */
  drain(): Promise<PollOnceResult[]>;
  /** One receive → worker → delete cycle. */
  pollOnce(): Promise<PollOnceResult>;
  /** What the drift schedule does. */
  scheduleDrift(): Promise<void>;
  /** Requests the worker's cluster client has sent so far (all jobs). */
  clusterRequests(): RequestCounts;
  /** One receive → health handler → delete cycle on the health queue (long-polls up to `waitSeconds`). */
  pollHealth(waitSeconds?: number): Promise<PollOnceResult>;
  /**
   * Runs the health consumer until the status of `sha` is no longer `pending` (or `timeoutMs`
   * passes — a bound, not an assertion); returns every health poll's result. By default each poll
   * long-polls a second; benchmarks short-poll (`waitSeconds: 0`) and pause `idleMs` instead.
   */
  runHealthUntilFinal(
    sha: string,
    timeoutMs?: number,
    poll?: { waitSeconds?: number; idleMs?: number; onPoll?: ConsumeOptions["onPoll"] },
  ): Promise<PollOnceResult[]>;
  /** Requests the health consumer's cluster clients have sent so far. */
  healthRequests(): RequestCounts;
  /** Milliseconds spent inside the worker and health handlers so far (each invocation rounded up, as Lambda bills). */
  handlerMilliseconds(): { worker: number; health: number };
  /** With `options.fleet`: the state bucket and what the worker counted. */
  fleet: { store: ObjectStore; totals: FleetCounters } | undefined;
  /**
   * Runs the worker and the health consumer in turn — what Lambda does with both queues — until
   * the status of `sha` (for `target`, default `web`) is final and both queues are empty, or
   * `timeoutMs` passes (a bound, not an assertion). Multi-step syncs advance this way: each healthy
   * step queues the next one for the worker.
   */
  settle(
    sha: string,
    options?: { target?: string; timeoutMs?: number; waitSeconds?: number; idleMs?: number },
  ): Promise<void>;
  close(): Promise<void>;
};

/** The webhook's context, as API Gateway invokes it. */
const webhookContext = () => lambdaContext(randomUUID());

/** Turns a file change set into the `added/modified/removed` lists GitHub puts in a push. */
function commitFilesOf(files: FileChanges, existing: Set<string>): CommitFiles {
  const added: string[] = [];
  const modified: string[] = [];
  const removed: string[] = [];
  for (const [path, content] of Object.entries(files)) {
    if (content === null) {
      removed.push(path);
      existing.delete(path);
    } else if (existing.has(path)) {
      modified.push(path);
    } else {
      added.push(path);
      existing.add(path);
    }
  }
  return { added, modified, removed };
}

/** Starts a bridge with one target `web` reading `deploy/` on `main`. */
export async function startBridge(options: BridgeOptions = {}): Promise<Bridge> {
  const cp = options.servers?.controlPlane ?? inject("controlPlane");
  const sqs = testSqsClient(options.servers?.sqsEndpoint);
  const world = await startGitHubWorld({ mode: options.mode ?? "app" });
  let namespace = options.namespace ?? options.config?.targets[0]?.namespace;
  if (namespace === undefined) {
    if (options.servers) throw new Error("startBridge outside vitest needs an existing, granted `namespace`");
    namespace = await createTestNamespace("e2e");
    await grantWorker(namespace);
  }
  const keys = options.keys === undefined ? {} : { keys: options.keys };
  const withConfig = options.configRepository;
  const web = {
    name: "web",
    repo: world.repoName,
    branch: "main",
    path: "deploy",
    cluster: "test",
    namespace,
    ...options.target,
  };
  const extraNamespaces: string[] = [];
  for (const t of options.extraTargets ?? []) {
    if (t.namespace !== undefined) {
      extraNamespaces.push(t.namespace);
      continue;
    }
    const created = await createTestNamespace("e2e");
    await grantWorker(created);
    extraNamespaces.push(created);
  }
  const config = parseTargetsConfig(
    options.config
      ? {
          ...keys,
          version: 1,
          clusters: options.config.clusters,
          // The GitHub fake serves one repository: every target reads it.
          targets: options.config.targets.map((t) => ({ ...t, repo: world.repoName })),
        }
      : {
          ...keys,
          version: 1,
          clusters: {
            test: {
              type: "kubeconfig",
              source: `file:${options.workerKubeconfig ?? join(cp.dir, "worker.kubeconfig")}`,
            },
          },
          targets: [
            ...(withConfig === undefined || withConfig.packagedTarget === true ? [web] : []),
            ...(options.extraTargets ?? []).map((t, i) => ({
              repo: world.repoName,
              branch: "main",
              cluster: "test",
              ...t,
              namespace: extraNamespaces[i],
            })),
          ],
          ...(withConfig === undefined
            ? {}
            : {
                projects: withConfig.projects,
                configRepository: {
                  repo: PLATFORM_REPO,
                  branch: "main",
                  path: "pullbridge",
                  requireVerifiedCommits: withConfig.requireVerifiedCommits ?? false,
                },
              }),
        },
  );
  const platformRepo = withConfig === undefined ? undefined : await createGitRepo();
  if (platformRepo !== undefined) {
    await platformRepo.commitFiles({ "README.md": "# platform\n" }, "start the platform repository");
    world.fake.addRepo(PLATFORM_REPO, platformRepo.dir);
  }
  // The handler takes (and resets) its counters after each batch; `totals` keeps every count.
  const totals = createFleetCounters();
  const inner = createFleetCounters();
  const fleet = options.fleet && {
    store: options.fleet === true ? await motoObjectStore() : options.fleet.store,
    totals,
    counters: {
      add: (metric, n) => {
        inner.add(metric, n);
        totals.add(metric, n);
      },
      take: () => inner.take(),
      peek: () => inner.peek(),
    } satisfies FleetCounters,
  };
  // The state store: the test's own (verdicts for dependsOn), the fleet's, else a fresh bucket for
  // a config repository.
  const stateStore =
    options.stateStore ??
    fleet?.store ??
    (withConfig === undefined
      ? undefined
      : createS3ObjectStore({
          bucket: await createTestBucket(testS3Client(options.servers?.motoEndpoint)),
          client: testS3Client(options.servers?.motoEndpoint),
        }));
  const functionsStore =
    stateStore === undefined || withConfig?.wrapStore === undefined
      ? stateStore
      : withConfig.wrapStore(stateStore);
  if (options.health && !options.config) {
    // `web`'s namespace even when only a config repository names targets there.
    await grantHealthReader(namespace, "web");
    for (const t of config.targets) if (t.name !== "web") await grantHealthReader(t.namespace, t.name);
  }

  const clients: ClusterPort[] = [];
  const healthClients: ClusterPort[] = [];
  const remember = (list: ClusterPort[]) => (client: ClusterPort) => {
    if (!list.includes(client)) list.push(client);
  };
  const system = await composeLocalBridge({
    targets: config,
    stateStore: functionsStore,
    ...(fleet === undefined ? {} : { fleetCounters: fleet.counters }),
    github: world.jobGitHub,
    sqs,
    queuePrefix: uniqueName("bridge"),
    webhookSecret: TEST_SECRET,
    renderer: options.renderer,
    maxReceiveCount: options.maxReceiveCount ?? 5,
    visibilityTimeoutSeconds: 30,
    // The deployed worker's timeout (serverless.yml).
    workerTimeoutMs: 120_000,
    // `file:` kubeconfigs with inline credentials, as Lambda reads them; the EKS and secret parts are never reached.
    secrets: {
      read: async (ref) => {
        const stored = options.storedSecrets?.[ref];
        return stored ?? Promise.reject(new Error(`no secret ${ref} in tests`));
      },
    },
    kms: options.kms,
    awsCredentials:
      options.aws?.credentials ?? (async () => ({ accessKeyId: "unused", secretAccessKey: "unused" })),
    awsEndpoints: options.aws?.endpoints,
    now: options.now,
    logger: (serviceName) =>
      (serviceName === ServiceName.Worker ? options.logger : undefined) ??
      new Logger({ serviceName, logLevel: "SILENT" }),
    metrics: (serviceName) => new Metrics({ namespace: METRIC_NAMESPACE, serviceName }),
    health: options.health && {
      backoff: {
        initialDelaySeconds: options.health.initialDelaySeconds ?? 1,
        factor: 2,
        maxDelaySeconds: options.health.maxDelaySeconds ?? 2,
      },
      // The health function has its own identity: here the admin kubeconfig impersonating only the
      // read-only `pullbridge:health` group, so every read is checked against infra/rbac for real.
      // With EKS clusters, the role each cluster names for health checks.
      targets: options.config
        ? config
        : parseTargetsConfig({
            version: 1,
            clusters: { test: { type: "kubeconfig", source: `file:${join(cp.dir, "admin.kubeconfig")}` } },
            targets: config.targets.map((t) => ({ ...t, healthImpersonate: HEALTH_IDENTITY })),
            keys: config.keys,
            // The stored config's targets name their own healthImpersonate (their project allows it).
            ...(config.configRepository === undefined
              ? {}
              : { projects: config.projects, configRepository: config.configRepository }),
          }),
    },
    onClusterClient: { worker: remember(clients), health: remember(healthClients) },
  });

  // What Lambda would bill: the time inside each handler invocation (not the queue's receive/delete).
  const handlerMs = { worker: 0, health: 0 };
  const timed =
    (fn: "worker" | "health", invoke: SqsBatchHandler): SqsBatchHandler =>
    async (event) => {
      const started = performance.now();
      try {
        return await invoke(event);
      } finally {
        handlerMs[fn] += Math.ceil(performance.now() - started);
      }
    };
  // Lambda's event-source mapping, but failed records come back at once instead of after the visibility timeout.
  const worker = {
    source: {
      sqs,
      queueUrl: system.jobs.queueUrl,
      queueArn: system.jobs.queueArn,
      waitTimeSeconds: 0,
      visibilityTimeout: 120,
      releaseFailuresImmediately: true,
    },
    invoke: timed("worker", system.jobs.invoke),
  };
  const { health } = system;
  const invokeHealth = health && timed("health", health.invoke);
  const healthConsumer = (waitTimeSeconds: number) => {
    if (!health || !invokeHealth) throw new Error("startBridge({ health }) was not asked for a health queue");
    const source: EventSourceOptions = {
      sqs,
      queueUrl: health.queueUrl,
      queueArn: health.queueArn,
      waitTimeSeconds,
      visibilityTimeout: 60,
      releaseFailuresImmediately: true,
    };
    return { source, invoke: invokeHealth };
  };

  const sumRequests = (list: ClusterPort[]) =>
    list.reduce<RequestCounts>(
      (sum, c) => {
        const r = c.requestCounts();
        return {
          reads: sum.reads + r.reads,
          writes: sum.writes + r.writes,
          dryRuns: sum.dryRuns + r.dryRuns,
          listPages: sum.listPages + r.listPages,
        };
      },
      { reads: 0, writes: 0, dryRuns: 0, listPages: 0 },
    );
  const pollHealth = async (waitSeconds = 1): Promise<PollOnceResult> => {
    const consumer = healthConsumer(waitSeconds);
    return await pollOnce(consumer.source, consumer.invoke);
  };
  const drain = async () => {
    const polls: PollOnceResult[] = [];
    await consumeQueue(worker.source, worker.invoke, {
      until: (last) => last?.received === 0 || polls.length >= 20,
      onPoll: (result) => polls.push(result),
    });
    return polls;
  };
  const existing = new Set<string>();
  let before = "0".repeat(40);
  let lastPush: Record<string, unknown> | undefined;
  const pullRequests = new Map<string, number>();
  /** Signs and delivers a GitHub event to the webhook handler; returns its HTTP answer. */
  const deliver = async (event: "push" | "pull_request", payload: Record<string, unknown>) => {
    const response = await system.webhook(
      httpApiEvent(await signedDelivery({ event, payload })),
      webhookContext(),
    );
    return { status: response.statusCode ?? 0, body: response.body ? JSON.parse(response.body) : undefined };
  };
  /** The push payload of `after` on `main`, which becomes the next push's `before`. */
  const mainPush = (after: string, commits: CommitFiles) => {
    const payload = pushPayload({
      repo: world.repoName,
      branch: "main",
      before,
      after,
      commits: [commits],
      installationId: TEST_INSTALLATION_ID,
    });
    before = after;
    return payload;
  };

  const prPayload = (o: {
    repo: string;
    action: string;
    number: number;
    branch: string;
    headSha: string;
    baseSha: string;
    labels?: readonly string[];
    headRepo?: string;
  }) => {
    const payload = pullRequestPayload({
      action: o.action,
      number: o.number,
      baseRef: "main",
      headSha: o.headSha,
      repo: o.repo,
    });
    const pr = payload.pull_request as Record<string, Record<string, unknown>>;
    Object.assign(pr.base ?? {}, { sha: o.baseSha });
    Object.assign(pr.head ?? {}, {
      ref: o.branch,
      repo: { ...(pr.head?.repo as object), full_name: o.headRepo ?? o.repo },
    });
    Object.assign(pr, {
      state: o.action === "closed" ? "closed" : "open",
      labels: (o.labels ?? []).map((name, i) => ({ id: i + 1, name, color: "ededed", default: false })),
    });
    payload.installation = { id: TEST_INSTALLATION_ID };
    return payload;
  };
  /** Commits `files` on `branch` of `repo` (created from `main`), back on `main` afterwards; returns the branch head. */
  const commitOnBranch = async (
    repo: GitRepo,
    branch: string,
    files: FileChanges | undefined,
    message: string,
  ) => {
    await repo.checkout(branch);
    try {
      return files === undefined ? await repo.head(branch) : await repo.commitFiles(files, message);
    } finally {
      await repo.checkout("main");
    }
  };
  let platformBefore = platformRepo === undefined ? "0".repeat(40) : await platformRepo.head("main");
  const platformExisting = new Set<string>(["README.md"]);
  const platformPush = async (after: string, commits: CommitFiles) => {
    const payload = pushPayload({
      repo: PLATFORM_REPO,
      branch: "main",
      before: platformBefore,
      after,
      commits: [commits],
      installationId: TEST_INSTALLATION_ID,
    });
    platformBefore = after;
    return await deliver("push", payload);
  };
  const platformPulls = new Map<string, number>();
  const platform: PlatformRepo | undefined =
    platformRepo === undefined
      ? undefined
      : {
          name: PLATFORM_REPO,
          repo: platformRepo,
          async push(files, message = "change the platform config") {
            const commit = commitFilesOf(files, platformExisting);
            const sha = await platformRepo.commitFiles(files, message);
            return { sha, ...(await platformPush(sha, commit)) };
          },
          async openPullRequest({ files, branch }) {
            const known = platformPulls.get(branch);
            const number = known ?? 100 + platformPulls.size + 1;
            platformPulls.set(branch, number);
            const sha = await commitOnBranch(platformRepo, branch, files, `config change on ${branch}`);
            world.fake.openPullRequest(PLATFORM_REPO, { number, head: branch, base: "main" });
            const payload = prPayload({
              repo: PLATFORM_REPO,
              action: known === undefined ? "opened" : "synchronize",
              number,
              branch,
              headSha: sha,
              baseSha: await platformRepo.head("main"),
            });
            return { sha, number, ...(await deliver("pull_request", payload)) };
          },
          async merge(branch) {
            const before = await platformRepo.head("main");
            await platformRepo.git("merge", "--no-ff", "--no-edit", branch);
            const sha = await platformRepo.head("main");
            const changes: CommitFiles = { added: [], modified: [], removed: [] };
            const diff = await platformRepo.git("diff", "--name-status", before, sha);
            for (const line of diff.split("\n").filter(Boolean)) {
              const [status = "", path = ""] = line.split("\t");
              if (status === "A") changes.added?.push(path);
              else if (status === "D") changes.removed?.push(path);
              else changes.modified?.push(path);
              if (status === "D") platformExisting.delete(path);
              else platformExisting.add(path);
            }
            return { sha, ...(await platformPush(sha, changes)) };
          },
        };

  return {
    world,
    sqs,
    queue: system.jobs,
    config,
    namespace,
    platform,
    stateStore,
    async pullRequestEvent({ action, branch, number, labels, files, headRepo }) {
      const repo = world.repo;
      const sha = await commitOnBranch(repo, branch, files, `change manifests on ${branch}`);
      if (action !== "closed")
        world.fake.openPullRequest(world.repoName, { number, head: branch, base: "main" });
      const payload = prPayload({
        repo: world.repoName,
        action,
        number,
        branch,
        headSha: sha,
        baseSha: await repo.head("main"),
        ...(labels === undefined ? {} : { labels }),
        ...(headRepo === undefined ? {} : { headRepo }),
      });
      return { sha, ...(await deliver("pull_request", payload)) };
    },
    async push(files, message = "change manifests") {
      const commit = commitFilesOf(files, existing);
      const sha = await world.repo.commitFiles(files, message);
      lastPush = mainPush(sha, commit);
      return { sha, ...(await deliver("push", lastPush)) };
    },
    async openPullRequest({ files, branch, message = "change manifests on a branch" }) {
      const repo = world.repo;
      const base = await repo.head("main");
      const known = pullRequests.get(branch);
      const number = known ?? pullRequests.size + 1;
      pullRequests.set(branch, number);
      await repo.checkout(branch);
      let sha: string;
      try {
        sha = await repo.commitFiles(files, message);
      } finally {
        await repo.checkout("main");
      }
      world.fake.openPullRequest(world.repoName, { number, head: branch, base: "main" });
      const payload = pullRequestPayload({
        action: known === undefined ? "opened" : "synchronize",
        number,
        baseRef: "main",
        headSha: sha,
        repo: world.repoName,
      });
      const pr = payload.pull_request as Record<string, Record<string, unknown>>;
      Object.assign(pr.base ?? {}, { sha: base });
      Object.assign(pr.head ?? {}, {
        ref: branch,
        repo: { ...(pr.head?.repo as object), full_name: world.repoName },
      });
      payload.installation = { id: TEST_INSTALLATION_ID };
      return { sha, base, number, ...(await deliver("pull_request", payload)) };
    },
    deliverPush: async (after, commits) => await deliver("push", mainPush(after, commits)),
    async redeliverLastPush() {
      if (lastPush === undefined) throw new Error("redeliverLastPush: nothing was pushed yet");
      return (await deliver("push", lastPush)).status;
    },
    async pushRevert() {
      const git = world.repo.git;
      await git("revert", "--no-edit", "HEAD");
      const sha = await git("rev-parse", "HEAD");
      const changes: CommitFiles = { added: [], modified: [], removed: [] };
      for (const line of (await git("diff", "--name-status", "HEAD~1", "HEAD")).split("\n").filter(Boolean)) {
        const [status = "", path = ""] = line.split("\t");
        if (status === "A") changes.added?.push(path);
        else if (status === "D") changes.removed?.push(path);
        else changes.modified?.push(path);
      }
      return { sha, status: (await deliver("push", mainPush(sha, changes))).status };
    },
    drain,
    pollOnce: () => pollOnce(worker.source, worker.invoke),
    handlerMilliseconds: () => ({ ...handlerMs }),
    fleet: fleet && { store: fleet.store, totals: fleet.totals },
    async scheduleDrift() {
      await system.runDriftSchedule();
    },
    clusterRequests: () => sumRequests(clients),
    healthRequests: () => sumRequests(healthClients),
    pollHealth,
    async runHealthUntilFinal(sha, timeoutMs = 120_000, poll = {}) {
      const results: PollOnceResult[] = [];
      const deadline = Date.now() + timeoutMs;
      const isFinal = () => {
        const last = world.fake
          .statuses(sha)
          .filter((s) => s.context === "pullbridge/web")
          .at(-1);
        return last !== undefined && last.state !== "pending";
      };
      const consumer = healthConsumer(poll.waitSeconds ?? 1);
      await consumeQueue(consumer.source, consumer.invoke, {
        until: () => isFinal() || Date.now() >= deadline,
        ...(poll.idleMs === undefined ? {} : { idleMs: poll.idleMs }),
        onPoll: (result, ms) => {
          results.push(result);
          poll.onPoll?.(result, ms);
        },
      });
      return results;
    },
    async settle(sha, settleOptions = {}) {
      const context = `pullbridge/${settleOptions.target ?? "web"}`;
      const deadline = Date.now() + (settleOptions.timeoutMs ?? 120_000);
      const final = () => {
        const last = world.fake
          .statuses(sha)
          .filter((s) => s.context === context)
          .at(-1);
        return last !== undefined && last.state !== "pending";
      };
      let quiet = 0;
      while (Date.now() < deadline) {
        const worked = (await drain()).reduce((n, p) => n + p.received, 0);
        const checked = health ? (await pollHealth(settleOptions.waitSeconds ?? 1)).received : 0;
        quiet = worked === 0 && checked === 0 ? quiet + 1 : 0;
        // Twice quiet: a check delayed past the long poll may still arrive after one empty round.
        if (final() && quiet >= 2) return;
        if (worked === 0 && checked === 0 && settleOptions.idleMs) await setTimeout(settleOptions.idleMs);
      }
    },
    async close() {
      await world.close();
      await platformRepo?.remove();
    },
  };
}

/** The config repository a bridge started with `configRepository` serves. */
export const PLATFORM_REPO = "acme/platform";
