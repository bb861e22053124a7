/**
 * The webhook function's configuration, read once per container. The only reader of
 * `process.env` for this function; every error names the variable.
 *
 * | variable | meaning |
 * |---|---|
 * | `PULLBRIDGE_QUEUE_URL` | SQS FIFO queue URL (required) |
 * | `PULLBRIDGE_TARGETS_FILE` | the packaged targets (JSON, written by `osls package`; default `targets.json`, relative to the task root) |
 * | `PULLBRIDGE_TARGETS_JSON` | the packaged targets inline (instead of the file; benchmarks and tests) |
 * | `PULLBRIDGE_WEBHOOK_SECRET_PARAMETER` | comma-separated secret references: `/ssm/name`, `ssm:/name`, `secretsmanager:name` |
 * | `PULLBRIDGE_WEBHOOK_SECRET` | the secret itself, only with `PULLBRIDGE_LOCAL_MODE=1` |
 * | `PULLBRIDGE_WEBHOOK_MAX_BODY_BYTES` | body limit, default 1 MiB (413 above it) |
 * | `PULLBRIDGE_SECRETS_MAX_AGE_SECONDS` | how long a container reuses a secret before re-reading it, default 300 |
 * | `PULLBRIDGE_SQS_ENDPOINT` | SQS endpoint override (local mode: fauxqs) |
 */
import { ConfigError } from "../errors.ts";
import { type Env, integer, readTargetsText, readTextFile, url } from "./adapters/read-env.ts";
import { DEFAULT_SECRETS_MAX_AGE_SECONDS, parseSecretRef, splitSecretList } from "./adapters/read-secrets.ts";
import { readPackagedTargets } from "./packaged-targets.ts";
import type { TargetsFile } from "./targets.ts";

export type { Env } from "./adapters/read-env.ts";

/** Where the webhook secrets come from. */
export type WebhookSecretsSource =
  | { readonly kind: "store"; readonly refs: readonly string[] }
  /** Local mode only: the secrets were given in the environment. */
  | { readonly kind: "inline"; readonly secrets: readonly string[] };

export type WebhookEnv = {
  readonly queueUrl: string;
  /** Image automation queue; GHCR package deliveries are ignored without it. */
  readonly imageQueueUrl: string | undefined;
  readonly sqsEndpoint: string | undefined;
  readonly targets: TargetsFile;
  readonly secrets: WebhookSecretsSource;
  readonly maxBodyBytes: number;
  readonly secretsMaxAgeSeconds: number;
  readonly localMode: boolean;
};

const DEFAULT_WEBHOOK_MAX_BODY_BYTES = 1024 * 1024;
/** API Gateway refuses payloads over 10 MB anyway. */
const MAX_BODY_LIMIT = 10 * 1024 * 1024;

export type LoadWebhookEnvOptions = {
  /** Reads the targets file; default: `fs.readFileSync`. */
  readFile?: (path: string) => string;
};

/** Reads and validates the webhook configuration from `env` (default `process.env`). */
export function loadWebhookEnv(env: Env = process.env, options: LoadWebhookEnvOptions = {}): WebhookEnv {
  const readFile = options.readFile ?? readTextFile;
  const localMode = env.PULLBRIDGE_LOCAL_MODE === "1";

  const queueUrl = url(env, "PULLBRIDGE_QUEUE_URL", true);
  const sqsEndpoint = url(env, "PULLBRIDGE_SQS_ENDPOINT", false);

  // The packaged JSON form: the webhook ships no YAML parser and no targets schema.
  const source = readTargetsText(env, "PULLBRIDGE_TARGETS_JSON", "targets.json", readFile);
  const targets = readPackagedTargets(source.text, source.field);

  let secrets: WebhookSecretsSource;
  const literal = env.PULLBRIDGE_WEBHOOK_SECRET;
  const refs = (env.PULLBRIDGE_WEBHOOK_SECRET_PARAMETER ?? "")
    .split(",")
    .map((r) => r.trim())
    .filter((r) => r !== "");
  if (literal !== undefined && literal !== "") {
    if (!localMode) {
      // Never a plain environment variable in AWS: it would sit in the console and in the template.
      throw new ConfigError(
        "PULLBRIDGE_WEBHOOK_SECRET",
        "is allowed only in local mode (PULLBRIDGE_LOCAL_MODE=1); use PULLBRIDGE_WEBHOOK_SECRET_PARAMETER",
      );
    }
    secrets = { kind: "inline", secrets: splitSecretList(literal) };
  } else if (refs.length > 0) {
    refs.forEach((ref, i) => {
      parseSecretRef(ref, `PULLBRIDGE_WEBHOOK_SECRET_PARAMETER[${i}]`);
    });
    secrets = { kind: "store", refs };
  } else {
    throw new ConfigError("PULLBRIDGE_WEBHOOK_SECRET_PARAMETER", "is required (a secret reference)");
  }

  return {
    queueUrl,
    imageQueueUrl: url(env, "PULLBRIDGE_IMAGE_QUEUE_URL", false),
    sqsEndpoint,
    targets,
    secrets,
    maxBodyBytes: integer(
      env,
      "PULLBRIDGE_WEBHOOK_MAX_BODY_BYTES",
      DEFAULT_WEBHOOK_MAX_BODY_BYTES,
      1024,
      MAX_BODY_LIMIT,
    ),
    secretsMaxAgeSeconds: integer(
      env,
      "PULLBRIDGE_SECRETS_MAX_AGE_SECONDS",
      DEFAULT_SECRETS_MAX_AGE_SECONDS,
      0,
      24 * 3600,
    ),
    localMode,
  };
}
