/**
 * The stored config's reader (and, for the worker, writer) for one function, built once per
 * container: an S3 object store on the state bucket, loaded on first use, behind the cached
 * conditional reader of lib/config/current-config.ts. Without a `configRepository` in the stack
 * file no store is built and no request is ever made: the packaged targets are all there is.
 */
import { type CurrentConfigSource, createCurrentConfigSource } from "../../lib/config/current-config.ts";
import type { StateStoreEnv } from "../../lib/config/state-env.ts";
import type { TargetsFile } from "../../lib/config/targets.ts";
import { ConfigError } from "../../lib/errors.ts";
import { createS3ObjectStore, lazyS3Client } from "../../lib/state/adapters/s3-object-store.ts";
import type { ObjectStore } from "../../lib/state/object-store.ts";

export type ConfigSource = { store: ObjectStore | undefined; current: CurrentConfigSource };

/** The config source of a function deployed with `state` (the state bucket; required with a config repository). */
export function composeConfigSource(
  stack: TargetsFile,
  state: StateStoreEnv | undefined,
  options: { maxAttempts?: number } = {},
): ConfigSource {
  if (stack.configRepository === undefined)
    return { store: undefined, current: createCurrentConfigSource(stack, undefined) };
  if (state === undefined) {
    throw new ConfigError(
      "PULLBRIDGE_STATE_BUCKET",
      "is required with a `configRepository` in the targets file (the config in force is stored there)",
    );
  }
  const store = createS3ObjectStore({
    bucket: state.bucket,
    client: lazyS3Client({
      region: state.region,
      endpoint: state.endpoint,
      maxAttempts: options.maxAttempts,
    }),
  });
  return { store, current: createCurrentConfigSource(stack, store) };
}
