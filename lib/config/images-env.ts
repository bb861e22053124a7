/**
 * The image functions' configuration (the only reader of `process.env` for them). The intake
 * function needs the targets file and the image queue; the updater needs the targets file and
 * GitHub (App or token with contents: write) — never a cluster.
 *
 * | variable | meaning |
 * |---|---|
 * | `PULLBRIDGE_TARGETS_FILE` / `PULLBRIDGE_TARGETS_YAML` | the targets file (image policies live there) |
 * | `PULLBRIDGE_IMAGE_QUEUE_URL` | SQS FIFO queue of image jobs (intake) |
 * | `PULLBRIDGE_SQS_ENDPOINT` | SQS endpoint override (local mode, tests) |
 * | `PULLBRIDGE_IMAGE_COMMIT_NAME` / `PULLBRIDGE_IMAGE_COMMIT_EMAIL` | author and committer of image-update commits |
 * | GitHub variables | as for the worker (`PULLBRIDGE_GITHUB_APP_ID`, `…_PRIVATE_KEY_PARAMETER`, `…_TOKEN_PARAMETER`, `…_API_URL`) |
 */
import type { GitHubConnectionConfig } from "../github/adapters/github-client.ts";
import { DEFAULT_IMAGE_COMMIT_IDENTITY, type GitIdentity } from "../images/image-repo.ts";
import { type Env, optionalString, type ReadTextFile, url } from "./adapters/read-env.ts";
import { loadTargetsFromEnv } from "./load-targets.ts";
import type { TargetsFile } from "./targets.ts";
import { loadWorkerEnv } from "./worker-env.ts";

export type ImageIntakeEnv = { targets: TargetsFile; imageQueueUrl: string; sqsEndpoint: string | undefined };

export type ImageUpdaterEnv = {
  targets: TargetsFile;
  github: GitHubConnectionConfig;
  identity: GitIdentity;
  secretsMaxAgeSeconds: number;
};

/** Intake: targets and the queue. */
export function loadImageIntakeEnv(
  env: Env = process.env,
  options: { readFile?: ReadTextFile } = {},
): ImageIntakeEnv {
  return {
    targets: loadTargetsFromEnv(env, options.readFile),
    imageQueueUrl: url(env, "PULLBRIDGE_IMAGE_QUEUE_URL", true),
    sqsEndpoint: url(env, "PULLBRIDGE_SQS_ENDPOINT", false),
  };
}

/** Updater: targets, GitHub connection (validated as the worker's is) and the commit identity. */
export function loadImageUpdaterEnv(
  env: Env = process.env,
  options: { readFile?: ReadTextFile } = {},
): ImageUpdaterEnv {
  const worker = loadWorkerEnv(env, options);
  return {
    targets: worker.targets,
    github: worker.github,
    secretsMaxAgeSeconds: worker.secretsMaxAgeSeconds,
    identity: {
      name: optionalString(env, "PULLBRIDGE_IMAGE_COMMIT_NAME") ?? DEFAULT_IMAGE_COMMIT_IDENTITY.name,
      email: optionalString(env, "PULLBRIDGE_IMAGE_COMMIT_EMAIL") ?? DEFAULT_IMAGE_COMMIT_IDENTITY.email,
    },
  };
}

/** The environment local-mode git child processes run with (PATH, HOME, the user's git config): the process's own. */
export function gitChildEnv(env: Env = process.env): Readonly<Record<string, string | undefined>> {
  return { ...env };
}
