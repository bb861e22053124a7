/**
 * The whole bridge on one machine, built from the same pieces as the Lambda functions: the
 * webhook handler behind a node:http server, an SQS FIFO queue (+ DLQ, redrive after 5) in
 * fauxqs, the worker handler fed by the event-source harness, and the drift schedule on a
 * timer. Shared by `npm start`, `npm run demo` and the tests.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { defaultProvider } from "@aws-sdk/credential-provider-node";
import type { APIGatewayProxyEventV2, Context, SQSEvent } from "aws-lambda";
import { startFauxqs } from "fauxqs";
import { type DriftRunResult, enqueueDriftJobs } from "../../lib/app/enqueue-drift-jobs.ts";
import { createClusterConnector } from "../../lib/cluster/cluster-connector.ts";
import { createClusterCredentialsResolver } from "../../lib/cluster/credentials-resolver.ts";
import { createEksClusterInfoSource } from "../../lib/cluster/eks-cluster-info.ts";
import { createEksTokenCache } from "../../lib/cluster/eks-token-cache.ts";
import { createParametersSecretReader } from "../../lib/config/read-secrets.ts";
import type { TargetsFile } from "../../lib/config/targets.ts";
import { ConfigError, describeError } from "../../lib/errors.ts";
import { createJobGitHubFactory } from "../../lib/github/create-job-github.ts";
import { createGitHubClientProvider } from "../../lib/github/github-client.ts";
import type { JobGitHubFactory } from "../../lib/github/job-github-ports.ts";
import { type PollOnceResult, runEventSource } from "../../lib/jobs/lambda-sqs-event-source.ts";
import { createSqsJobQueue } from "../../lib/jobs/sqs-job-queue.ts";
import type { CommitReporter, FinishReport } from "../../lib/reporting/commit-reporter.ts";
import { statusContext } from "../../lib/reporting/commit-reporter.ts";
import { createConsoleCommitReporter } from "../../lib/reporting/console-commit-reporter.ts";
import { DEFAULT_SOURCE_LIMITS } from "../../lib/source/git-source.ts";
import { createLocalGitSource } from "../../lib/source/local-git-source.ts";
import { PULLBRIDGE_VERSION } from "../../lib/sync/tooling-version.ts";
import { METRIC_NAMESPACE, ServiceName } from "../../lib/telemetry/metric-names.ts";
import { type LambdaHttpHandler, serveLambdaHttp } from "../http/serve-lambda-http.ts";
import { createWebhookHandler } from "../webhook/create-handler.ts";
import { createWorkerHandler } from "../worker/create-handler.ts";

/** Where the worker reads manifests and where statuses go. */
export type LocalSource =
  /** Offline: repositories on disk (`owner/name` → directory); statuses printed to the console. */
  | { kind: "local"; directories: Readonly<Record<string, string>> }
  /** GitHub's API with a token: tarballs and commit statuses (no check runs without an App). */
  | { kind: "github"; token: string; apiUrl?: string | undefined };

export type LogLevel = "DEBUG" | "INFO" | "WARN" | "ERROR" | "SILENT";

export type LocalBridgeOptions = {
  targets: TargetsFile;
  source: LocalSource;
  /** The secret deliveries must be signed with. */
  webhookSecret: string;
  port?: number;
  host?: string;
  /** An SQS endpoint to use (tests share one); by default fauxqs is started in-process. */
  sqsEndpoint?: string | undefined;
  /** Seconds between drift schedule runs; 0 (default) runs it only when asked. */
  driftIntervalSeconds?: number;
  /** How long a failed job stays invisible before it is retried (Lambda's behaviour; default 30). */
  visibilityTimeoutSeconds?: number;
  /** Receives before a job moves to the dead-letter queue (default 5, as deployed). */
  maxReceiveCount?: number;
  /** What a cluster with `source: default` reads (the caller's `$KUBECONFIG`); default `~/.kube/config`. */
  defaultKubeconfigPath?: string | undefined;
  /** Keep Powertools Metrics' warnings (default: silent; EMF itself is governed by POWERTOOLS_METRICS_DISABLED). */
  emitMetrics?: boolean;
  /** Powertools log level of the functions (JSON lines on stdout); default WARN. */
  logLevel?: LogLevel;
  /** Where the bridge's own lines and the console statuses go (default: stdout). */
  write?: (text: string) => void;
};

/** A final commit status the worker reported (printed, and posted to GitHub in token mode). */
export type RecordedReport = FinishReport & { at: Date };

export type LocalBridge = {
  /** Base URL of the HTTP server. */
  url: string;
  /** Where GitHub (or `send-push`) delivers: `<url>/webhook`. */
  webhookUrl: string;
  sqsEndpoint: string;
  queueUrl: string;
  dlqUrl: string;
  targets: TargetsFile;
  /** Final statuses reported so far, oldest first. */
  reports(): readonly RecordedReport[];
  /** Resolves with the first report (already recorded or future) that matches; rejects after `timeoutMs`. */
  waitForReport(match: (report: RecordedReport) => boolean, timeoutMs?: number): Promise<RecordedReport>;
  /** Queues one drift check per scheduled target now (what each scheduled tick does). */
  runDriftSchedule(): Promise<DriftRunResult>;
  /** (Re)starts the drift schedule every `seconds`; 0 stops it. */
  setDriftInterval(seconds: number): void;
  close(): Promise<void>;
};

function lambdaContext(functionName: string): Context {
  const id = randomUUID();
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: "1024",
    awsRequestId: id,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: "local",
    // The worker stops a sync shortly before this; local mode allows Lambda's maximum.
    getRemainingTimeInMillis: () => 15 * 60_000,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

/** Records every final report, then passes it on. */
function recordingReporter(inner: CommitReporter, record: (report: FinishReport) => void): CommitReporter {
  return {
    checkRuns: inner.checkRuns,
    pending: (report) => inner.pending(report),
    async finish(report) {
      const result = await inner.finish(report);
      record(report);
      return result;
    },
  };
}

/** API Gateway's routes: only `POST /webhook` reaches the function. */
function routeWebhook(handler: LambdaHttpHandler, banner: string): LambdaHttpHandler {
  return async (event: APIGatewayProxyEventV2, context) => {
    const { method, path } = event.requestContext.http;
    if (path === "/webhook" && method === "POST") return await handler(event, context);
    if (path === "/" && method === "GET")
      return { statusCode: 200, headers: { "content-type": "text/plain" }, body: banner };
    return {
      statusCode: 404,
      headers: { "content-type": "application/json" },
      body: '{"message":"Not Found"}',
    };
  };
}

async function createQueues(
  sqs: SQSClient,
  base: string,
  options: { maxReceiveCount: number; visibility: number },
) {
  const dlq = await sqs.send(
    new CreateQueueCommand({ QueueName: `${base}-dlq.fifo`, Attributes: { FifoQueue: "true" } }),
  );
  const dlqUrl = dlq.QueueUrl ?? "";
  const attrs = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ["QueueArn"] }),
  );
  const main = await sqs.send(
    new CreateQueueCommand({
      QueueName: `${base}.fifo`,
      Attributes: {
        FifoQueue: "true",
        VisibilityTimeout: String(options.visibility),
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: attrs.Attributes?.QueueArn ?? "",
          maxReceiveCount: options.maxReceiveCount,
        }),
      },
    }),
  );
  return {
    queueUrl: main.QueueUrl ?? "",
    dlqUrl,
    queueArn: `arn:aws:sqs:us-east-1:000000000000:${base}.fifo`,
  };
}

function githubFactory(options: LocalBridgeOptions, write: (text: string) => void): JobGitHubFactory {
  const { source } = options;
  if (source.kind === "local") {
    const git = createLocalGitSource({
      directory: (repo) => {
        const dir = source.directories[repo] ?? source.directories[repo.toLowerCase()];
        if (dir === undefined) {
          throw new ConfigError(
            `repos.${repo}`,
            "no local directory for this repository (pass --repo owner/name=<dir>)",
          );
        }
        return dir;
      },
    });
    const reporter = createConsoleCommitReporter({ write });
    return async () => ({ source: git, reporter, mode: "token" });
  }
  // A literal token is allowed here only: local mode runs with the developer's own credentials.
  const provider = createGitHubClientProvider({
    config: {
      tokenRef: "local:PULLBRIDGE_GITHUB_TOKEN",
      ...(source.apiUrl ? { baseUrl: source.apiUrl } : {}),
    },
    secrets: { read: async () => source.token },
  });
  const factory = createJobGitHubFactory(provider);
  return async (job) => {
    const ports = await factory(job);
    return {
      ...ports,
      reporter: {
        checkRuns: ports.reporter.checkRuns,
        pending: (report) => ports.reporter.pending(report),
        async finish(report) {
          const result = await ports.reporter.finish(report);
          write(
            `→ posted ${statusContext(report.target, report.kind)} ${report.state} on ${report.repo}@${report.sha.slice(0, 7)}: ${report.description}`,
          );
          return result;
        },
      },
    };
  };
}

/** Starts everything; resolves once the webhook endpoint listens and the worker polls. */
export async function startLocalBridge(options: LocalBridgeOptions): Promise<LocalBridge> {
  const write = options.write ?? ((text: string) => process.stdout.write(`${text}\n`));
  const logLevel = options.logLevel ?? "WARN";
  const visibility = options.visibilityTimeoutSeconds ?? 30;
  const cleanups: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      await cleanup().catch((error: unknown) => write(`! while stopping: ${describeError(error)}`));
    }
  };

  try {
    // ── SQS: fauxqs in-process unless given an endpoint ────────────────────
    let sqsEndpoint = options.sqsEndpoint;
    if (sqsEndpoint === undefined) {
      const fauxqs = await startFauxqs({ port: 0, logger: false });
      cleanups.push(async () => {
        await fauxqs.stop();
      });
      sqsEndpoint = fauxqs.address;
    }
    const sqs = new SQSClient({
      endpoint: sqsEndpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
      maxAttempts: 3,
    });
    cleanups.push(async () => sqs.destroy());
    // A shared endpoint (tests) gets fresh queues per bridge; an own fauxqs has stable names.
    const base =
      options.sqsEndpoint === undefined
        ? "pullbridge-local-jobs"
        : `pullbridge-local-${randomBytes(4).toString("hex")}`;
    const queues = await createQueues(sqs, base, {
      maxReceiveCount: options.maxReceiveCount ?? 5,
      visibility,
    });
    const queue = createSqsJobQueue({ client: sqs, queueUrl: queues.queueUrl });

    // ── reports ─────────────────────────────────────────────────────────────
    const recorded: RecordedReport[] = [];
    const waiters = new Set<{
      match: (r: RecordedReport) => boolean;
      resolve: (r: RecordedReport) => void;
    }>();
    const record = (report: FinishReport) => {
      const entry = { ...report, at: new Date() };
      recorded.push(entry);
      for (const waiter of [...waiters]) {
        if (waiter.match(entry)) {
          waiters.delete(waiter);
          waiter.resolve(entry);
        }
      }
    };
    const inner = githubFactory(options, write);
    const github: JobGitHubFactory = async (job) => {
      const ports = await inner(job);
      return { ...ports, reporter: recordingReporter(ports.reporter, record) };
    };

    // ── worker: the Lambda handler behind the event-source harness ────────
    const now = () => new Date();
    // EMF goes to stdout unless POWERTOOLS_METRICS_DISABLED is set (the local entry points set it);
    // its warnings ("no application metrics" on every quiet drift check) mean nothing without CloudWatch.
    const silent = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
    const metricsFor = (serviceName: string) =>
      new Metrics({
        namespace: METRIC_NAMESPACE,
        serviceName,
        ...(options.emitMetrics ? {} : { logger: silent }),
      });
    const worker = createWorkerHandler({
      config: options.targets,
      github,
      connectCluster: createClusterConnector({
        config: options.targets,
        resolver: createClusterCredentialsResolver({
          clusterInfo: createEksClusterInfoSource(),
          tokens: createEksTokenCache({
            credentials: defaultProvider(),
            now,
            refreshBeforeExpiryMs: 5 * 60_000,
          }),
          secrets: createParametersSecretReader({}),
          localMode: true,
          ...(options.defaultKubeconfigPath === undefined
            ? {}
            : { defaultKubeconfigPath: options.defaultKubeconfigPath }),
        }),
        now,
        refreshBeforeExpiryMs: 5 * 60_000,
      }),
      now,
      toolingVersion: PULLBRIDGE_VERSION,
      sourceLimits: DEFAULT_SOURCE_LIMITS,
      logger: new Logger({ serviceName: ServiceName.Worker, logLevel }),
      metrics: metricsFor(ServiceName.Worker),
    });
    const stopWorker = new AbortController();
    const onBatch = (result: PollOnceResult) => {
      if (result.failed > 0) {
        const why = result.handlerError === undefined ? "" : `: ${describeError(result.handlerError)}`;
        write(
          `! ${result.failed} job(s) failed and return to the queue in ${visibility}s (dead-letter queue after ${options.maxReceiveCount ?? 5} attempts)${why}`,
        );
      }
    };
    const loop = runEventSource(
      {
        sqs,
        queueUrl: queues.queueUrl,
        queueArn: queues.queueArn,
        visibilityTimeout: visibility,
        waitTimeSeconds: 1,
      },
      (event: SQSEvent) => worker(event, lambdaContext("pullbridge-local-worker")),
      {
        signal: stopWorker.signal,
        onBatch,
        onError: (error) => write(`! job queue: ${describeError(error)}`),
      },
    );
    cleanups.push(async () => {
      stopWorker.abort();
      await loop;
    });

    // ── webhook: the Lambda handler behind node:http ──────────────────────
    const webhook = createWebhookHandler({
      queue,
      targets: options.targets.targets,
      secrets: async () => [options.webhookSecret],
      logger: new Logger({ serviceName: ServiceName.Webhook, logLevel }),
      metrics: metricsFor(ServiceName.Webhook),
    });
    const served = await serveLambdaHttp(
      routeWebhook(
        (event, context) => webhook(event, context),
        `pullbridge ${PULLBRIDGE_VERSION} (local mode): POST /webhook\n`,
      ),
      {
        port: options.port ?? 0,
        host: options.host ?? "127.0.0.1",
        functionName: "pullbridge-local-webhook",
      },
    );
    cleanups.push(() => served.close());

    // ── drift schedule ────────────────────────────────────────────────────
    // Each local tick is its own schedule run (ticks may come seconds apart).
    let ticks = 0;
    const runDriftSchedule = () => {
      const at = now();
      return enqueueDriftJobs({
        targets: options.targets.targets,
        queue,
        now: at,
        scheduleId: `local-${at.getTime().toString(36)}-${(ticks++).toString(36)}`,
      });
    };
    let driftTimer: ReturnType<typeof setInterval> | undefined;
    let driftRunning = false;
    const setDriftInterval = (seconds: number) => {
      clearInterval(driftTimer);
      driftTimer = undefined;
      if (seconds <= 0) return;
      driftTimer = setInterval(() => {
        // One tick at a time: a slow queue must not pile up schedule runs.
        if (driftRunning) return;
        driftRunning = true;
        void runDriftSchedule()
          .catch((error: unknown) => write(`! drift schedule: ${describeError(error)}`))
          .finally(() => {
            driftRunning = false;
          });
      }, seconds * 1000);
    };
    setDriftInterval(options.driftIntervalSeconds ?? 0);
    cleanups.push(async () => setDriftInterval(0));

    return {
      url: served.url,
      webhookUrl: `${served.url}/webhook`,
      sqsEndpoint,
      queueUrl: queues.queueUrl,
      dlqUrl: queues.dlqUrl,
      targets: options.targets,
      reports: () => [...recorded],
      waitForReport(match, timeoutMs = 60_000) {
        const found = recorded.find(match);
        if (found) return Promise.resolve(found);
        return new Promise((resolve, reject) => {
          const waiter = {
            match,
            resolve: (report: RecordedReport) => {
              clearTimeout(timer);
              resolve(report);
            },
          };
          const timer = setTimeout(() => {
            waiters.delete(waiter);
            reject(new Error(`no matching status within ${timeoutMs / 1000}s`));
          }, timeoutMs);
          waiters.add(waiter);
        });
      },
      runDriftSchedule,
      setDriftInterval,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
