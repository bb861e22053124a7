/**
 * The whole bridge on one machine: the system composed as in Lambda (compose-local-bridge.ts:
 * webhook, job queue + worker, and when asked the health loop and image automation, every queue
 * with its dead-letter queue in fauxqs) plus what only local mode has — the webhook behind a
 * node:http server, the event-source loops polling each queue, statuses printed to the console
 * (or posted with a token), and the drift schedule on a timer. Shared by `npm start`,
 * `npm run demo` and the tests.
 */

import { randomBytes } from "node:crypto";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { startFauxqs } from "fauxqs";
import type { DriftRunResult } from "../../lib/app/enqueue-drift-jobs.ts";
import { clientNodeKubeconfigEndpoint } from "../../lib/cluster/adapters/kube-config.ts";
import { createParametersSecretReader } from "../../lib/config/adapters/read-secrets.ts";
import { gitChildEnv } from "../../lib/config/images-env.ts";
import type { TargetsFile } from "../../lib/config/targets.ts";
import { readTerminalEnv } from "../../lib/config/terminal-env.ts";
import { ConfigError, describeError } from "../../lib/errors.ts";
import { createGitHubClientProvider } from "../../lib/github/adapters/github-client.ts";
import { createJobGitHubFactory } from "../../lib/github/create-job-github.ts";
import type { JobGitHubFactory } from "../../lib/github/job-github-ports.ts";
import { DEFAULT_HEALTH_BACKOFF, type HealthBackoff } from "../../lib/health/health-schedule.ts";
import {
  consumeQueue,
  type EventSourceOptions,
  type PollOnceResult,
  type SqsBatchHandler,
} from "../../lib/jobs/adapters/lambda-sqs-event-source.ts";
import type { Renderer } from "../../lib/render/renderer-port.ts";
import { createConsoleCommitReporter } from "../../lib/reporting/adapters/console-commit-reporter.ts";
import { statusContext } from "../../lib/reporting/commit-reporter.ts";
import {
  createConsoleDeploymentReporter,
  printDeploymentTransitions,
} from "../../lib/reporting/console-deployment-reporter.ts";
import { createLocalGitImageRepo } from "../../lib/source/adapters/local-git-image-repo.ts";
import { createLocalGitSource } from "../../lib/source/adapters/local-git-source.ts";
import { createS3ObjectStore, lazyS3Client } from "../../lib/state/adapters/s3-object-store.ts";
import type { ObjectStore } from "../../lib/state/object-store.ts";
import { PULLBRIDGE_VERSION } from "../../lib/sync/tooling-version.ts";
import { silentLog } from "../../lib/telemetry/log.ts";
import { METRIC_NAMESPACE } from "../../lib/telemetry/metric-names.ts";
import { type CallerSopsKeys, cliKeyRing } from "../cli/cli-key-ring.ts";
import { type LambdaHttpHandler, serveLambdaHttp } from "../http/serve-lambda-http.ts";
import { composeLocalBridge, type LocalCompositionOptions } from "./compose-local-bridge.ts";
import { createDriftTimer } from "./drift-timer.ts";
import { localGit } from "./local-git.ts";
import { deliverPush } from "./push-delivery.ts";
import { createReportRecorder, type RecordedReport } from "./report-recorder.ts";

/** Where the worker reads manifests and where statuses go. */
export type LocalSource =
  /** Offline: repositories on disk (`owner/name` → directory); statuses printed to the console. */
  | { kind: "local"; directories: Readonly<Record<string, string>> }
  /** GitHub's API with a token: tarballs and commit statuses (no check runs without an App). */
  | { kind: "github"; token: string; apiUrl?: string | undefined };

export type LogLevel = "DEBUG" | "INFO" | "WARN" | "ERROR" | "SILENT";

export type LocalBridgeOptions = {
  targets: TargetsFile;
  /** Renders Kustomize and Helm targets (the Go helper); plain targets need none. */
  renderer?: Renderer | undefined;
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
  /** Region of EKS clusters that name none (`AWS_REGION`); their roles are assumed with the caller's AWS credentials. */
  region?: string | undefined;
  /** Keep Powertools Metrics' warnings (default: silent; EMF itself is governed by POWERTOOLS_METRICS_DISABLED). */
  emitMetrics?: boolean;
  /** Powertools log level of the functions (JSON lines on stdout); default WARN. */
  logLevel?: LogLevel;
  /** Where the bridge's own lines and the console statuses go (default: stdout). */
  write?: (text: string) => void;
  /**
   * Health gating: the worker posts `pending` and queues delayed health checks, and the health
   * handler reports `success` only once the applied objects are healthy (targets with
   * `health.wait: false` are not gated). Without it the worker reports `success` once applied —
   * what a cluster without controllers (the light local control plane) needs.
   */
  health?: { backoff?: HealthBackoff } | undefined;
  /** The state store (S3 protocol: moto in local mode and tests); without it, features that keep state in S3 are off. */
  stateStore?: { endpoint: string; bucket: string } | undefined;
  /** The caller's age identities for SOPS files (`SOPS_AGE_KEY`, `SOPS_AGE_KEY_FILE`); default: the process's environment. */
  sopsKeys?: CallerSopsKeys | undefined;
};

export type { RecordedReport } from "./report-recorder.ts";

export type LocalBridge = {
  /** Base URL of the HTTP server. */
  url: string;
  /** Where GitHub (or `send-push`) delivers: `<url>/webhook`. */
  webhookUrl: string;
  sqsEndpoint: string;
  queueUrl: string;
  dlqUrl: string;
  /** The health queue, when health gating is on. */
  health?: { queueUrl: string; dlqUrl: string; backoff: HealthBackoff } | undefined;
  targets: TargetsFile;
  /** Final statuses reported so far, oldest first. */
  reports(): readonly RecordedReport[];
  /** Resolves with the first report (already recorded or future) that matches; rejects after `timeoutMs`. */
  waitForReport(match: (report: RecordedReport) => boolean, timeoutMs?: number): Promise<RecordedReport>;
  /** Queues one drift check per scheduled target now (what each scheduled tick does). */
  runDriftSchedule(): Promise<DriftRunResult>;
  /** (Re)starts the drift schedule every `seconds`; 0 stops it. */
  setDriftInterval(seconds: number): void;
  /** The state store the functions are given, when `options.stateStore` named one. */
  stateStore: ObjectStore | undefined;
  close(): Promise<void>;
};

/** API Gateway's routes: only `POST /webhook` reaches the function; `POST /images/ecr` stands in for EventBridge. */
function routeWebhook(
  handler: LambdaHttpHandler,
  banner: string,
  images?: ImageIntakeRoute,
): LambdaHttpHandler {
  return async (event: APIGatewayProxyEventV2, context) => {
    const { method, path } = event.requestContext.http;
    if (path === "/webhook" && method === "POST") return await handler(event, context);
    if (path === IMAGE_EVENT_PATH && method === "POST" && images !== undefined) {
      const raw = event.isBase64Encoded
        ? Buffer.from(event.body ?? "", "base64").toString("utf8")
        : (event.body ?? "");
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw);
      } catch {
        return {
          statusCode: 400,
          headers: { "content-type": "application/json" },
          body: '{"error":"body is not JSON"}',
        };
      }
      return {
        statusCode: 200,
        headers: { "content-type": "application/json" },
        body: JSON.stringify(await images(parsed)),
      };
    }
    if (path === "/" && method === "GET")
      return { statusCode: 200, headers: { "content-type": "text/plain" }, body: banner };
    return {
      statusCode: 404,
      headers: { "content-type": "application/json" },
      body: '{"message":"Not Found"}',
    };
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
    // One in-memory history for the whole run, so a deployment retires its predecessor.
    const deployments = createConsoleDeploymentReporter({ write });
    return async () => ({ source: git, reporter, deployments, mode: "token" });
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
      ...(ports.deployments ? { deployments: printDeploymentTransitions(ports.deployments, write) } : {}),
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

/** The SQS endpoint: fauxqs in-process unless given one. */
async function startSqs(options: LocalBridgeOptions, cleanups: Cleanups) {
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
  return { sqs, sqsEndpoint };
}

type Cleanups = Array<() => Promise<void>>;

/** The S3 adapter on local mode's emulator (which takes any credentials). */
function localObjectStore(where: { endpoint: string; bucket: string }): ObjectStore {
  const credentials = { accessKeyId: "local", secretAccessKey: "local" };
  return createS3ObjectStore({
    bucket: where.bucket,
    client: lazyS3Client({ endpoint: where.endpoint, region: "us-east-1", credentials }),
  });
}

const DEFAULT_MAX_RECEIVE_COUNT = 5;

/**
 * Polls `source` into `invoke` until the bridge closes, as Lambda's event-source mapping does;
 * receive errors are printed and polling goes on.
 */
function startConsumer(
  source: EventSourceOptions,
  invoke: SqsBatchHandler,
  hooks: { name: string; write: (text: string) => void; onPoll?: (result: PollOnceResult) => void },
  cleanups: Cleanups,
): void {
  const stop = new AbortController();
  const loop = consumeQueue({ waitTimeSeconds: 1, ...source }, invoke, {
    signal: stop.signal,
    ...(hooks.onPoll ? { onPoll: hooks.onPoll } : {}),
    onError: (error) => hooks.write(`! ${hooks.name}: ${describeError(error)}`),
  });
  cleanups.push(async () => {
    stop.abort();
    await loop;
  });
}

/** Where local mode accepts an EventBridge event (what the ECR rule would deliver to the intake function). */
export const IMAGE_EVENT_PATH = "/images/ecr";

type ImageIntakeRoute = (event: unknown) => Promise<unknown>;

/**
 * Image automation on local repositories: the updater commits into the local repository, then
 * delivers the push GitHub would send, so the bridge syncs the new image.
 */
function localImages(
  options: LocalBridgeOptions,
  directories: Readonly<Record<string, string>>,
  webhookUrl: () => string,
  write: (text: string) => void,
): NonNullable<LocalCompositionOptions["images"]> {
  const directory = (repo: string) => {
    const dir = directories[repo] ?? directories[repo.toLowerCase()];
    if (dir === undefined) throw new ConfigError(`repos.${repo}`, "no local directory for this repository");
    return dir;
  };
  return {
    repoFor: async () => createLocalGitImageRepo({ directory, env: gitChildEnv() }),
    async onResult(job, result) {
      if (result.kind === "unchanged" || result.kind === "ignored") {
        write(`image ${job.image.repository}:${job.image.tag}: no commit (${result.reason})`);
        return;
      }
      const subject = result.message.split("\n")[0] ?? "";
      if (result.kind === "proposed") {
        write(
          `image ${job.image.repository}:${job.image.tag}: proposed on ${result.branch} (${result.sha.slice(0, 7)} "${subject}")`,
        );
        return;
      }
      write(
        `image ${job.image.repository}:${job.image.tag}: committed ${result.sha.slice(0, 7)} "${subject}" on ${job.repo}@${job.branch}`,
      );
      // In AWS GitHub sends this push; locally nobody would, so the bridge delivers it to itself.
      const push = await deliverPush({
        repo: localGit(directory(job.repo)),
        repoName: job.repo,
        branch: job.branch,
        url: webhookUrl(),
        secret: options.webhookSecret,
      });
      write(
        `push ${job.branch} ${push.before.slice(0, 7)}..${push.after.slice(0, 7)} → webhook: HTTP ${push.status}`,
      );
    },
  };
}

/** Starts everything; resolves once the webhook endpoint listens and the worker polls. */
export async function startLocalBridge(options: LocalBridgeOptions): Promise<LocalBridge> {
  const write = options.write ?? ((text: string) => process.stdout.write(`${text}\n`));
  const cleanups: Cleanups = [];
  const close = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      await cleanup().catch((error: unknown) => write(`! while stopping: ${describeError(error)}`));
    }
  };
  try {
    const { sqs, sqsEndpoint } = await startSqs(options, cleanups);
    const stateStore = options.stateStore && localObjectStore(options.stateStore);
    const recorder = createReportRecorder();
    const inner = githubFactory(options, write);
    const visibility = options.visibilityTimeoutSeconds ?? 30;
    const maxReceiveCount = options.maxReceiveCount ?? DEFAULT_MAX_RECEIVE_COUNT;
    const logLevel = options.logLevel ?? "WARN";
    let webhookUrl = "";
    const source = options.source;
    const localSecrets = createParametersSecretReader({});
    const callerKeys = options.sopsKeys ?? readTerminalEnv();
    const system = await composeLocalBridge({
      targets: options.targets,
      stateStore,
      github: async (job) => {
        const ports = await inner(job);
        return { ...ports, reporter: recorder.wrap(ports.reporter) };
      },
      sqs,
      // A shared endpoint (tests) gets fresh queues per bridge; an own fauxqs has stable names.
      queuePrefix:
        options.sqsEndpoint === undefined
          ? "pullbridge-local"
          : `pullbridge-local-${randomBytes(4).toString("hex")}`,
      webhookSecret: options.webhookSecret,
      renderer: options.renderer,
      maxReceiveCount,
      visibilityTimeoutSeconds: visibility,
      // The worker stops a sync shortly before the deadline; local mode allows Lambda's maximum.
      workerTimeoutMs: 15 * 60_000,
      secrets: localSecrets,
      // SOPS files decrypt with the caller's own keys (AWS credentials, SOPS_AGE_KEY_FILE), as the CLI's.
      keyRing: (target) =>
        cliKeyRing(callerKeys, target, options.targets.keys, { stackAgeKeys: localSecrets }),
      defaultKubeconfigPath: options.defaultKubeconfigPath,
      region: options.region,
      // The user's own kubeconfig: exec plugins (`aws eks get-token`), files and proxies.
      kubeconfigEndpoint: clientNodeKubeconfigEndpoint,
      logger: (serviceName) => new Logger({ serviceName, logLevel }),
      // Powertools Metrics' warnings ("no application metrics" on every quiet drift check) mean nothing without CloudWatch.
      metrics: (serviceName) =>
        new Metrics({
          namespace: METRIC_NAMESPACE,
          serviceName,
          ...(options.emitMetrics ? {} : { logger: silentLog }),
        }),
      health: options.health && { backoff: options.health.backoff ?? DEFAULT_HEALTH_BACKOFF },
      images:
        source.kind === "local" && options.targets.targets.some((t) => t.images !== undefined)
          ? localImages(options, source.directories, () => webhookUrl, write)
          : undefined,
    });

    const poll = (queue: { queueUrl: string; queueArn: string }) => ({
      sqs,
      queueUrl: queue.queueUrl,
      queueArn: queue.queueArn,
      visibilityTimeout: visibility,
    });
    if (system.health) {
      startConsumer(poll(system.health), system.health.invoke, { name: "health queue", write }, cleanups);
    }
    startConsumer(
      poll(system.jobs),
      system.jobs.invoke,
      {
        name: "job queue",
        write,
        onPoll(result) {
          if (result.failed === 0) return;
          const why = result.handlerError === undefined ? "" : `: ${describeError(result.handlerError)}`;
          write(
            `! ${result.failed} job(s) failed and return to the queue in ${visibility}s (dead-letter queue after ${maxReceiveCount} attempts)${why}`,
          );
        },
      },
      cleanups,
    );
    const images = system.images;
    if (images) startConsumer(poll(images), images.invoke, { name: "image queue", write }, cleanups);

    // The webhook: the Lambda handler behind node:http.
    const served = await serveLambdaHttp(
      routeWebhook(
        system.webhook,
        `pullbridge ${PULLBRIDGE_VERSION} (local mode): POST /webhook${images ? `, POST ${IMAGE_EVENT_PATH}` : ""}\n`,
        images?.intake,
      ),
      {
        port: options.port ?? 0,
        host: options.host ?? "127.0.0.1",
        functionName: "pullbridge-local-webhook",
      },
    );
    cleanups.push(() => served.close());
    webhookUrl = `${served.url}/webhook`;

    const drift = createDriftTimer(system.runDriftSchedule, write);
    drift.setInterval(options.driftIntervalSeconds ?? 0);
    cleanups.push(async () => drift.setInterval(0));

    return {
      url: served.url,
      webhookUrl,
      sqsEndpoint,
      queueUrl: system.jobs.queueUrl,
      dlqUrl: system.jobs.dlqUrl,
      health: system.health && {
        queueUrl: system.health.queueUrl,
        dlqUrl: system.health.dlqUrl,
        backoff: system.health.backoff,
      },
      targets: options.targets,
      reports: recorder.reports,
      waitForReport: recorder.waitFor,
      runDriftSchedule: system.runDriftSchedule,
      setDriftInterval: (seconds) => drift.setInterval(seconds),
      stateStore,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
