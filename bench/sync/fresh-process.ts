/**
 * pullbridge as kubectl runs: a new process per sync, reading YAML that is on disk, with a cold
 * transport (no connection, no discovery, no module loaded yet). Two ways, as users meet them:
 *
 * - the CLI (`node dist/cli.mjs sync <dir>`, the file `npm run build:cli` builds and the npm
 *   package ships), against a kubeconfig, as someone at a terminal runs it;
 * - the worker Lambda as packaged (`osls package` zip, bench/lambda-package.ts), one invocation
 *   in a fresh process — a cold start: Node starts, imports the handler (with the worker's
 *   `NODE_OPTIONS`, its source maps, the SDK from the runtime path), and runs one SQS record.
 *   The job fetches the branch head and the commit's tarball from the GitHub fake (a real git
 *   repository holding the same YAML kubectl reads) and reports to it, as in production; its
 *   GitHub token and the cluster's kubeconfig are SSM parameters, read from moto (the project's
 *   AWS-protocol emulator) through the SDK's standard endpoint override.
 */
import { spawn } from "node:child_process";
import { pathToFileURL } from "node:url";
import { PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import type { RequestCounts } from "../../lib/cluster/cluster-port.ts";
import { encodeJob, type JobInput } from "../../lib/jobs/job-codec.ts";
import { createGitRepo, type GitRepo } from "../../test/support/git-repo.ts";
import type { GitHubFake } from "../../test/support/github-fake/github-fake.ts";
import type { PackagedFunction } from "../lambda-package.ts";
import { exitedChildrenCpuSeconds } from "./process-cpu.ts";

/** One fresh-process run, as the parent saw it (wall, CPU) and as the process reported it. */
export type ProcessRun = {
  wallMs: number;
  /** CPU seconds of the process (user + system). */
  processCpu: number;
  /** Client-side request counter, where the process reports one (the CLI's JSON). */
  client?: RequestCounts;
  /** Worker: ms from process start to the handler module's import, the import, the invocation. */
  bootMs?: number;
  importMs?: number;
  invokeMs?: number;
  /** Worker: GitHub REST calls the invocation made (the fake's count; the tarball download excluded). */
  githubCalls?: number;
  outcome?: string;
};

type Spawned = { code: number | null; stdout: string; stderr: string; wallMs: number; cpu: number };

async function spawnTimed(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<Spawned> {
  const cpu0 = await exitedChildrenCpuSeconds();
  const started = performance.now();
  const child = spawn(command, args, {
    stdio: ["ignore", "pipe", "pipe"],
    env: options.env,
    cwd: options.cwd,
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", resolve);
  });
  const wallMs = performance.now() - started;
  return { code, stdout, stderr, wallMs, cpu: (await exitedChildrenCpuSeconds()) - cpu0 };
}

/** `kubectl <args>` (or any command) as one timed process; throws on a non-zero exit. */
export async function runCommand(
  command: string,
  args: readonly string[],
): Promise<ProcessRun & { stdout: string }> {
  const r = await spawnTimed(command, args);
  if (r.code !== 0)
    throw new Error(`${command} ${args.join(" ")} exited ${r.code}: ${r.stderr.slice(-2000)}`);
  return { wallMs: r.wallMs, processCpu: r.cpu, stdout: r.stdout };
}

/** `pullbridge sync <dir>` in a fresh process (the built CLI), JSON output; throws unless it synced. */
export async function runCliSync(options: {
  cli: string;
  dir: string;
  namespace: string;
  target: string;
  kubeconfig: string;
  revision: string;
}): Promise<ProcessRun> {
  const r = await spawnTimed(process.execPath, [
    options.cli,
    "sync",
    options.dir,
    "--root",
    options.dir,
    "-n",
    options.namespace,
    "--target",
    options.target,
    "--kubeconfig",
    options.kubeconfig,
    "--revision",
    options.revision,
    "--output",
    "json",
  ]);
  // Exit 0: synced (2 would mean changes left; anything else an error).
  if (r.code !== 0) throw new Error(`pullbridge sync exited ${r.code}: ${r.stderr.slice(-2000)}`);
  const json = JSON.parse(r.stdout) as { requests?: RequestCounts };
  return {
    wallMs: r.wallMs,
    processCpu: r.cpu,
    ...(json.requests ? { client: json.requests } : {}),
  };
}

/** `pullbridge render <dir>` in a fresh process: the CLI's start-up, read and parse, no cluster. */
export async function runCliRender(options: {
  cli: string;
  dir: string;
  namespace: string;
}): Promise<ProcessRun> {
  const r = await spawnTimed(process.execPath, [
    options.cli,
    "render",
    options.dir,
    "--root",
    options.dir,
    "-n",
    options.namespace,
  ]);
  if (r.code !== 0) throw new Error(`pullbridge render exited ${r.code}: ${r.stderr.slice(-2000)}`);
  return { wallMs: r.wallMs, processCpu: r.cpu };
}

/**
 * The one-invocation bootstrap: what Lambda's runtime does for a cold start, without its
 * interface client — import the handler, call it with one event, report timings on stderr.
 */
function bootstrap(handlerFile: string, event: unknown): string {
  return `const t0 = performance.now();
const { handler } = await import(${JSON.stringify(pathToFileURL(handlerFile).href)});
const t1 = performance.now();
const deadline = Date.now() + 120000;
const context = { functionName: process.env.AWS_LAMBDA_FUNCTION_NAME, functionVersion: "$LATEST", invokedFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:bench", memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE, awsRequestId: "bench", logGroupName: "bench", logStreamName: "bench", callbackWaitsForEmptyEventLoop: true, getRemainingTimeInMillis: () => deadline - Date.now(), done() {}, fail() {}, succeed() {} };
const response = await handler(${JSON.stringify(event)}, context);
const t2 = performance.now();
const cpu = process.cpuUsage();
process.stderr.write("\\n" + JSON.stringify({ bootMs: t0, importMs: t1 - t0, invokeMs: t2 - t1, cpu: (cpu.user + cpu.system) / 1e6, failures: response?.batchItemFailures?.length ?? 0 }) + "\\n");
process.exit(0);`;
}

export type WorkerProcess = {
  /** Commits `yaml` as `deploy/fixture.yaml` of the target's repository (created on first use); returns the sha. */
  commit(target: string, yaml: string): Promise<string>;
  /** One cold invocation for `target` (namespace = target name): a push job for `sha`, or a drift check. */
  invoke(target: string, job: { type: "push"; sha: string } | { type: "drift" }): Promise<ProcessRun>;
  close(): Promise<void>;
};

/** Stores an SSM SecureString in moto, in the region the packaged functions run in. */
export async function putSsmParameter(
  endpoint: string,
  region: string,
  name: string,
  value: string,
): Promise<void> {
  const ssm = new SSMClient({
    endpoint,
    region,
    credentials: { accessKeyId: "bench", secretAccessKey: "bench" },
  });
  try {
    await ssm.send(
      new PutParameterCommand({ Name: name, Value: value, Type: "SecureString", Overwrite: true }),
    );
  } finally {
    ssm.destroy();
  }
}

/**
 * Runs the packaged worker against the GitHub fake, each invocation in a new process, with the
 * template's environment: the token is the template's SSM parameter, the cluster a stored
 * kubeconfig (`ssm:` source), both served by moto (`AWS_ENDPOINT_URL_SSM`). Targets are named
 * after their namespace; each has its own repository `acme/<target>` so a tarball holds only its
 * fixture. What differs from the deployed worker: the targets come from `PULLBRIDGE_TARGETS_YAML`
 * instead of the packaged file, the GitHub API URL is the fake's (as for GitHub Enterprise
 * Server), and no health queue is set, so the final status is posted at apply (as with health
 * gating off).
 */
export function createWorkerProcess(options: {
  packaged: PackagedFunction;
  fake: GitHubFake;
  ssmEndpoint: string;
  /** SSM parameter holding the kubeconfig the worker connects with. */
  kubeconfigParameter: string;
}): WorkerProcess {
  const repos = new Map<string, GitRepo>();
  let sequence = 0;
  const repoOf = async (target: string) => {
    let repo = repos.get(target);
    if (!repo) {
      repo = await createGitRepo();
      options.fake.addRepo(`acme/${target}`, repo.dir);
      repos.set(target, repo);
    }
    return repo;
  };
  const env = (target: string): NodeJS.ProcessEnv => {
    const {
      PULLBRIDGE_TARGETS_FILE: _file,
      PULLBRIDGE_HEALTH_QUEUE_URL: _health,
      ...rest
    } = options.packaged.env;
    // BENCH_WORKER_CPU_PROF=<dir>: each worker process writes a V8 CPU profile there (to see where its time goes).
    const profileDir = process.env.BENCH_WORKER_CPU_PROF;
    return {
      ...rest,
      ...(profileDir
        ? { NODE_OPTIONS: `${rest.NODE_OPTIONS ?? ""} --cpu-prof --cpu-prof-dir=${profileDir}`.trim() }
        : {}),
      AWS_ENDPOINT_URL_SSM: options.ssmEndpoint,
      PULLBRIDGE_GITHUB_API_URL: options.fake.url,
      PULLBRIDGE_TARGETS_YAML: [
        "version: 1",
        "clusters:",
        `  bench: { type: kubeconfig, source: "ssm:${options.kubeconfigParameter}" }`,
        "targets:",
        `  - { name: ${target}, repo: acme/${target}, branch: main, path: deploy, cluster: bench, namespace: ${target} }`,
        "",
      ].join("\n"),
    };
  };
  return {
    async commit(target, yaml) {
      return (await repoOf(target)).commitFiles({ "deploy/fixture.yaml": yaml }, `bench ${++sequence}`);
    },
    async invoke(target, job) {
      sequence += 1;
      const receivedAt = new Date().toISOString();
      const input: JobInput =
        job.type === "push"
          ? {
              v: 1,
              type: "sync",
              target,
              repo: `acme/${target}`,
              ref: "refs/heads/main",
              sha: job.sha,
              before: "0".repeat(40),
              deliveryId: `bench-${sequence}`,
              sender: "bench",
              receivedAt,
            }
          : {
              v: 1,
              type: "drift",
              target,
              repo: `acme/${target}`,
              deliveryId: `drift-bench-${sequence}`,
              receivedAt,
            };
      const event = {
        Records: [
          {
            messageId: `bench-${sequence}`,
            receiptHandle: "bench",
            body: encodeJob(input),
            attributes: {
              ApproximateReceiveCount: "1",
              SentTimestamp: String(Date.now()),
              SenderId: "bench",
              ApproximateFirstReceiveTimestamp: String(Date.now()),
              MessageGroupId: target,
              MessageDeduplicationId: `bench-${sequence}`,
            },
            messageAttributes: {},
            md5OfBody: "",
            eventSource: "aws:sqs",
            eventSourceARN: "arn:aws:sqs:eu-west-1:123456789012:pullbridge-bench-jobs.fifo",
            awsRegion: "eu-west-1",
          },
        ],
      };
      const callsBefore = options.fake.restCalls().length;
      const r = await spawnTimed(
        process.execPath,
        ["--input-type=module", "-e", bootstrap(options.packaged.handlerFile, event)],
        { env: env(target), cwd: options.packaged.taskRoot },
      );
      const reportLine = r.stderr
        .trim()
        .split("\n")
        .findLast((line) => line.startsWith('{"bootMs"'));
      const report = JSON.parse(reportLine ?? "{}") as {
        bootMs?: number;
        importMs?: number;
        invokeMs?: number;
        cpu?: number;
        failures?: number;
      };
      // The worker's own log line says what the job did (Powertools JSON on stdout).
      const done = r.stdout
        .split("\n")
        .filter((line) => line.includes('"job done"'))
        .map((line) => JSON.parse(line) as { outcome?: string })
        .at(-1);
      if (r.code !== 0 || report.failures !== 0 || done === undefined) {
        throw new Error(
          `worker invocation failed (exit ${r.code}): ${r.stderr.slice(-1500)}\n${r.stdout.slice(-1500)}`,
        );
      }
      return {
        wallMs: r.wallMs,
        // The bootstrap's own count: the parent's exited-children figure would include the fake's `git` processes.
        processCpu: report.cpu ?? r.cpu,
        ...(report.bootMs === undefined ? {} : { bootMs: report.bootMs }),
        ...(report.importMs === undefined ? {} : { importMs: report.importMs }),
        ...(report.invokeMs === undefined ? {} : { invokeMs: report.invokeMs }),
        githubCalls: options.fake.restCalls().length - callsBefore,
        ...(done.outcome === undefined ? {} : { outcome: done.outcome }),
      };
    },
    async close() {
      for (const repo of repos.values()) await repo.remove();
    },
  };
}
