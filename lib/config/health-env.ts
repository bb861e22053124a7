/**
 * The health function's configuration, read once per container. It shares the worker's variables
 * for targets, GitHub and clusters (see worker-env.ts), plus:
 *
 * | variable | meaning |
 * |---|---|
 * | `PULLBRIDGE_HEALTH_QUEUE_URL` | the standard SQS health queue the next check is sent to (required) |
 * | `PULLBRIDGE_QUEUE_URL` | the FIFO job queue the next step of a multi-step sync is sent to (waves and hooks need it) |
 * | `PULLBRIDGE_SQS_ENDPOINT` | SQS endpoint override (local mode: fauxqs) |
 * | `PULLBRIDGE_HEALTH_INITIAL_DELAY_SECONDS` | delay before the first check after an apply (default 5) |
 * | `PULLBRIDGE_HEALTH_MAX_DELAY_SECONDS` | longest delay between two checks (default 30) |
 */
import { DEFAULT_HEALTH_BACKOFF, type HealthBackoff } from "../health/health-schedule.ts";
import { type Env, integer, type ReadTextFile, url } from "./adapters/read-env.ts";
import { loadWorkerEnv, type WorkerEnv } from "./worker-env.ts";

export type HealthEnv = WorkerEnv & {
  readonly healthQueueUrl: string;
  /** The job queue (multi-step syncs: the consumer queues each next step there). */
  readonly jobQueueUrl: string | undefined;
  readonly sqsEndpoint: string | undefined;
  readonly backoff: HealthBackoff;
};

/** The health-queue settings, for the worker (which queues the first check) — undefined when no queue is configured. */
export function loadOptionalHealthQueueEnv(
  env: Env = process.env,
): Omit<HealthEnv, keyof WorkerEnv | "jobQueueUrl"> | undefined {
  return url(env, "PULLBRIDGE_HEALTH_QUEUE_URL", false) === undefined ? undefined : loadHealthQueueEnv(env);
}

/** The health-queue settings (the queue URL is required). */
function loadHealthQueueEnv(env: Env = process.env): Omit<HealthEnv, keyof WorkerEnv | "jobQueueUrl"> {
  const initialDelaySeconds = integer(
    env,
    "PULLBRIDGE_HEALTH_INITIAL_DELAY_SECONDS",
    DEFAULT_HEALTH_BACKOFF.initialDelaySeconds,
    0,
    900,
  );
  const maxDelaySeconds = integer(
    env,
    "PULLBRIDGE_HEALTH_MAX_DELAY_SECONDS",
    DEFAULT_HEALTH_BACKOFF.maxDelaySeconds,
    1,
    900,
  );
  return {
    healthQueueUrl: url(env, "PULLBRIDGE_HEALTH_QUEUE_URL", true),
    sqsEndpoint: url(env, "PULLBRIDGE_SQS_ENDPOINT", false),
    backoff: {
      ...DEFAULT_HEALTH_BACKOFF,
      initialDelaySeconds,
      maxDelaySeconds: Math.max(maxDelaySeconds, 1),
    },
  };
}

/** Reads and validates the health function's configuration from `env` (default `process.env`). */
export function loadHealthEnv(env: Env = process.env, options: { readFile?: ReadTextFile } = {}): HealthEnv {
  return {
    ...loadWorkerEnv(env, options),
    ...loadHealthQueueEnv(env),
    jobQueueUrl: url(env, "PULLBRIDGE_QUEUE_URL", false),
  };
}
