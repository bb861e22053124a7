/**
 * The drift function's configuration (the only reader of `process.env` for it): where to queue,
 * and which targets exist. It needs no GitHub or cluster access at all.
 */

import { type Env, type ReadTextFile, url } from "./adapters/read-env.ts";
import { loadTargetsFromEnv } from "./load-targets.ts";
import type { TargetsFile } from "./targets.ts";

export type DriftEnv = {
  readonly queueUrl: string;
  readonly sqsEndpoint: string | undefined;
  readonly targets: TargetsFile;
};

/** Reads and validates the drift configuration from `env` (default `process.env`). */
export function loadDriftEnv(env: Env = process.env, options: { readFile?: ReadTextFile } = {}): DriftEnv {
  return {
    queueUrl: url(env, "PULLBRIDGE_QUEUE_URL", true),
    sqsEndpoint: url(env, "PULLBRIDGE_SQS_ENDPOINT", false),
    targets: loadTargetsFromEnv(env, options.readFile),
  };
}
