/**
 * Where the state store is (read once per container by any function that keeps state in S3):
 *
 * | variable | meaning |
 * |---|---|
 * | `PULLBRIDGE_STATE_BUCKET` | the state bucket (serverless.yml passes the stack's `StateBucket` to every function; what each may touch is its role's key-prefix grant, infra/iam.ts) |
 * | `PULLBRIDGE_S3_ENDPOINT` | S3 endpoint override (local mode and tests: moto) |
 * | `AWS_REGION` | the bucket's region (Lambda sets it) |
 */
import { ConfigError } from "../errors.ts";
import { type Env, optionalString, url } from "./adapters/read-env.ts";

export type StateStoreEnv = {
  readonly bucket: string;
  readonly endpoint: string | undefined;
  readonly region: string | undefined;
};

// S3's naming rules for general-purpose buckets: a typo fails the cold start, not the first write.
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** The state store's settings, or undefined when no bucket is configured. */
export function loadOptionalStateStoreEnv(env: Env = process.env): StateStoreEnv | undefined {
  const bucket = optionalString(env, "PULLBRIDGE_STATE_BUCKET");
  if (bucket === undefined) return undefined;
  if (!BUCKET_NAME.test(bucket)) {
    throw new ConfigError(
      "PULLBRIDGE_STATE_BUCKET",
      `"${bucket}" is not an S3 bucket name (3-63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit)`,
    );
  }
  return {
    bucket,
    endpoint: url(env, "PULLBRIDGE_S3_ENDPOINT", false),
    region: optionalString(env, "AWS_REGION"),
  };
}

/** The state store's settings; a missing bucket is an error naming the variable. */
export function loadStateStoreEnv(env: Env = process.env): StateStoreEnv {
  const found = loadOptionalStateStoreEnv(env);
  if (found === undefined) throw new ConfigError("PULLBRIDGE_STATE_BUCKET", "is required");
  return found;
}
