/**
 * The worker function's configuration, read once per container (the only reader of
 * `process.env` for this function). Every error names the variable.
 *
 * | variable | meaning |
 * |---|---|
 * | `PULLBRIDGE_TARGETS_FILE` / `PULLBRIDGE_TARGETS_YAML` | the targets file (see load-targets.ts) |
 * | `PULLBRIDGE_GITHUB_APP_ID` | GitHub App id (not a secret); with a private key, jobs act as the App installation |
 * | `PULLBRIDGE_GITHUB_PRIVATE_KEY_PARAMETER` | secret reference to the App's private key (`/ssm/name`, `secretsmanager:name`) |
 * | `PULLBRIDGE_GITHUB_TOKEN_PARAMETER` | secret reference to a token, used when a job has no App installation |
 * | `PULLBRIDGE_GITHUB_TOKEN` | refused unless `PULLBRIDGE_LOCAL_MODE=1` (local mode reads the token itself; a deployed worker takes references only) |
 * | `PULLBRIDGE_GITHUB_API_URL` | REST API root (GitHub Enterprise Server, or the test fake) |
 * | `PULLBRIDGE_SOURCE_MAX_FILES` / `PULLBRIDGE_SOURCE_MAX_BYTES` | limits on the target path's tree |
 * | `PULLBRIDGE_RENDER_MAX_MEMORY_MB` | the renderer helper's hard memory bound, in MiB (default 640); on Lambda it must fit beside Node's heap cap |
 * | `PULLBRIDGE_SECRETS_MAX_AGE_SECONDS` | how long secrets are cached per container (default 300) |
 * | `PULLBRIDGE_QUEUE_URL` | the job queue, where a drift tick's resolve job queues its drift checks (required for drift checks) |
 * | `PULLBRIDGE_SQS_ENDPOINT` | SQS endpoint override (local mode: fauxqs) |
 * | `PULLBRIDGE_MAX_RECEIVE_COUNT` | the job queue's redrive `maxReceiveCount` (default 5, as infra/queue.yml deploys it) |
 * | `AWS_REGION` | default region of EKS clusters that name none (Lambda sets it) |
 * | `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`, `NODE_OPTIONS` | the function's memory and Node's heap cap, checked against the renderer's bound (Lambda sets the first) |
 * | `PULLBRIDGE_QUEUE_URL` | the job queue, where config jobs queue the syncs and removals a config change needs |
 * | `PULLBRIDGE_SQS_ENDPOINT` | SQS endpoint override (local mode: fauxqs) |
 */

import { ConfigError } from "../errors.ts";
import type { GitHubConnectionConfig } from "../github/adapters/github-client.ts";
import { DEFAULT_RENDER_LIMITS, type RenderLimits } from "../render/renderer-port.ts";
import { DEFAULT_SOURCE_LIMITS, type SourceLimits } from "../source/git-source.ts";
import { type Env, integer, optionalString, type ReadTextFile, url } from "./adapters/read-env.ts";
import { DEFAULT_SECRETS_MAX_AGE_SECONDS, parseSecretRef } from "./adapters/read-secrets.ts";
import { loadTargetsFromEnv } from "./load-targets.ts";
import type { TargetsFile } from "./targets.ts";

/** The deployed queue's redrive `maxReceiveCount` (infra/deployment-vars.ts passes the same value to both). */
export const DEFAULT_MAX_RECEIVE_COUNT = 5;

/**
 * What the worker's Node process holds beyond its V8 heap cap, in MB, measured with its heap at
 * the cap and the fetched tree and a render's output at their limits (`npm run bench:memory-budget`,
 * BENCHMARKS.md "Memory budget"): code, the runtime, young generation and external buffers.
 */
export const NODE_OVERHEAD_MB = 192;

/**
 * Refuses a renderer bound that does not fit beside Node in the function's memory: Node's heap
 * cap (`--max-old-space-size` in NODE_OPTIONS) + its measured overhead + the renderer's bound must
 * stay within the function's memory, or a render and a full heap together get the Lambda killed.
 * Checks only where all three are known (on Lambda).
 */
export function checkMemoryBudget(input: {
  functionMemoryMb: number | undefined;
  nodeOptions: string | undefined;
  renderMaxMemoryBytes: number;
}): void {
  const heapMb = Number(/--max-old-space-size=(\d+)/.exec(input.nodeOptions ?? "")?.[1] ?? Number.NaN);
  if (input.functionMemoryMb === undefined || Number.isNaN(heapMb)) return;
  const renderMb = input.renderMaxMemoryBytes / 1e6;
  const needMb = Math.ceil(heapMb + NODE_OVERHEAD_MB + renderMb);
  if (needMb > input.functionMemoryMb) {
    throw new ConfigError(
      "PULLBRIDGE_RENDER_MAX_MEMORY_MB",
      `${input.renderMaxMemoryBytes / 2 ** 20} MiB for the renderer + Node's heap cap of ${heapMb} MB (NODE_OPTIONS --max-old-space-size) + ${NODE_OVERHEAD_MB} MB Node holds beside its heap = ${needMb} MB, above the function's ${input.functionMemoryMb} MB: lower one or raise the function's memorySize (BENCHMARKS.md "Memory budget")`,
    );
  }
}

export type WorkerEnv = {
  readonly targets: TargetsFile;
  readonly github: GitHubConnectionConfig;
  readonly sourceLimits: SourceLimits;
  readonly secretsMaxAgeSeconds: number;
  /** Receives before the queue moves a job to the dead-letter queue (retries say "attempt n of this"). */
  readonly maxReceiveCount: number;
  readonly region: string | undefined;
  readonly localMode: boolean;
  /** The renderer helper for Kustomize and Helm targets (`PULLBRIDGE_RENDERER_PATH`; on Lambda `.build/bin/pullbridge-renderer` in the package, staged by infra/deployment-vars.ts). */
  readonly rendererPath: string | undefined;
  /** Bounds of one render; the memory bound is checked against the function's budget on Lambda. */
  readonly renderLimits: RenderLimits;
  /** The job queue (config jobs queue syncs on it; the worker needs it with a `configRepository`). */
  readonly jobQueue: { readonly url: string; readonly endpoint: string | undefined } | undefined;
};

/** Reads and validates the worker configuration from `env` (default `process.env`). */
export function loadWorkerEnv(env: Env = process.env, options: { readFile?: ReadTextFile } = {}): WorkerEnv {
  const localMode = env.PULLBRIDGE_LOCAL_MODE === "1";
  const targets = loadTargetsFromEnv(env, options.readFile);
  const appId = optionalString(env, "PULLBRIDGE_GITHUB_APP_ID");
  const privateKeyRef = optionalString(env, "PULLBRIDGE_GITHUB_PRIVATE_KEY_PARAMETER");
  const tokenRef = optionalString(env, "PULLBRIDGE_GITHUB_TOKEN_PARAMETER");
  const token = optionalString(env, "PULLBRIDGE_GITHUB_TOKEN");
  const baseUrl = url(env, "PULLBRIDGE_GITHUB_API_URL", false);

  if ((appId === undefined) !== (privateKeyRef === undefined)) {
    throw new ConfigError(
      appId === undefined ? "PULLBRIDGE_GITHUB_APP_ID" : "PULLBRIDGE_GITHUB_PRIVATE_KEY_PARAMETER",
      "a GitHub App needs both PULLBRIDGE_GITHUB_APP_ID and PULLBRIDGE_GITHUB_PRIVATE_KEY_PARAMETER",
    );
  }
  if (appId !== undefined && !/^\d+$/.test(appId))
    throw new ConfigError("PULLBRIDGE_GITHUB_APP_ID", "must be a number");
  if (privateKeyRef !== undefined) parseSecretRef(privateKeyRef, "PULLBRIDGE_GITHUB_PRIVATE_KEY_PARAMETER");
  if (tokenRef !== undefined) parseSecretRef(tokenRef, "PULLBRIDGE_GITHUB_TOKEN_PARAMETER");
  if (token !== undefined && !localMode) {
    throw new ConfigError(
      "PULLBRIDGE_GITHUB_TOKEN",
      "is allowed only in local mode (PULLBRIDGE_LOCAL_MODE=1); use PULLBRIDGE_GITHUB_TOKEN_PARAMETER",
    );
  }

  const taskRoot = optionalString(env, "LAMBDA_TASK_ROOT");
  const rendererPath =
    optionalString(env, "PULLBRIDGE_RENDERER_PATH") ??
    (taskRoot === undefined ? undefined : `${taskRoot}/.build/bin/pullbridge-renderer`);

  const renderLimits: RenderLimits = {
    ...DEFAULT_RENDER_LIMITS,
    maxMemoryBytes:
      integer(
        env,
        "PULLBRIDGE_RENDER_MAX_MEMORY_MB",
        DEFAULT_RENDER_LIMITS.maxMemoryBytes / 2 ** 20,
        128,
        10_240,
      ) *
      2 ** 20,
  };
  const functionMemory = optionalString(env, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE");
  checkMemoryBudget({
    functionMemoryMb: functionMemory === undefined ? undefined : Number(functionMemory),
    nodeOptions: env.NODE_OPTIONS,
    renderMaxMemoryBytes: renderLimits.maxMemoryBytes,
  });

  const queueUrl = url(env, "PULLBRIDGE_QUEUE_URL", false);
  return {
    targets,
    rendererPath,
    renderLimits,
    jobQueue:
      queueUrl === undefined
        ? undefined
        : { url: queueUrl, endpoint: url(env, "PULLBRIDGE_SQS_ENDPOINT", false) },
    github: {
      ...(baseUrl === undefined ? {} : { baseUrl }),
      ...(appId !== undefined && privateKeyRef !== undefined ? { app: { appId, privateKeyRef } } : {}),
      ...(tokenRef === undefined ? {} : { tokenRef }),
    },
    sourceLimits: {
      ...DEFAULT_SOURCE_LIMITS,
      maxFiles: integer(env, "PULLBRIDGE_SOURCE_MAX_FILES", DEFAULT_SOURCE_LIMITS.maxFiles, 1, 100_000),
      maxBytes: integer(
        env,
        "PULLBRIDGE_SOURCE_MAX_BYTES",
        DEFAULT_SOURCE_LIMITS.maxBytes,
        1024,
        512 * 1024 * 1024,
      ),
    },
    secretsMaxAgeSeconds: integer(
      env,
      "PULLBRIDGE_SECRETS_MAX_AGE_SECONDS",
      DEFAULT_SECRETS_MAX_AGE_SECONDS,
      0,
      86_400,
    ),
    maxReceiveCount: integer(env, "PULLBRIDGE_MAX_RECEIVE_COUNT", DEFAULT_MAX_RECEIVE_COUNT, 1, 1000),
    region: optionalString(env, "AWS_REGION"),
    localMode,
  };
}
