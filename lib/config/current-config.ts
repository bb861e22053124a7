/**
 * Reads the stored config (stored-config.ts) for a function that routes or syncs with it, cached
 * per container: every read is one conditional GET with the ETag last seen, so an unchanged
 * config costs one small request (a 304 with no body) and a changed one is seen at once. No time
 * to live: a delivery right after a config change routes with the new config.
 *
 * Without a config repository (a stack with only its packaged targets) there is nothing to read
 * and no request is made.
 */
import type { ObjectStore } from "../state/object-store.ts";
import {
  readStoredConfig,
  STORED_CONFIG_KEY,
  type StoredConfig,
  withStoredTargets,
} from "./stored-config.ts";
import type { TargetsFile } from "./targets.ts";

/** What a read cost: for benchmarks and logs. */
export type ConfigReadStats = { requests: number; notModified: number; downloads: number };

export type CurrentConfigSource = {
  /** The stored config now (undefined before the first config commit was stored). */
  stored(options?: { signal?: AbortSignal | undefined }): Promise<StoredConfig | undefined>;
  /** The stack file's targets followed by the stored config's. */
  targets(options?: { signal?: AbortSignal | undefined }): Promise<TargetsFile>;
  readonly stats: Readonly<ConfigReadStats>;
};

/**
 * The stored config of `store`, or — when `store` is undefined (no config repository) — the
 * stack file alone, with no request.
 */
export function createCurrentConfigSource(
  stack: TargetsFile,
  store: ObjectStore | undefined,
): CurrentConfigSource {
  let last: { etag: string; config: StoredConfig } | undefined;
  const stats: ConfigReadStats = { requests: 0, notModified: 0, downloads: 0 };
  const location = store === undefined ? "" : `s3://${store.bucket}/${STORED_CONFIG_KEY}`;
  // A config stored from another repository, branch or path (the stack was redeployed pointing
  // elsewhere) is not in force: the new repository's first commit replaces it.
  const belongs = (config: StoredConfig) => {
    const repo = stack.configRepository;
    return (
      repo !== undefined &&
      config.repo.toLowerCase() === repo.repo.toLowerCase() &&
      config.branch === repo.branch &&
      config.path === repo.path
    );
  };
  const stored = async (options: { signal?: AbortSignal | undefined } = {}) => {
    if (store === undefined || stack.configRepository === undefined) return undefined;
    const known = last;
    stats.requests += 1;
    const answer = await store.get(STORED_CONFIG_KEY, { ifNoneMatch: known?.etag, signal: options.signal });
    if (answer.kind === "not-modified" && known !== undefined) {
      stats.notModified += 1;
      return belongs(known.config) ? known.config : undefined;
    }
    if (answer.kind === "found") {
      stats.downloads += 1;
      last = { etag: answer.etag, config: readStoredConfig(answer.body, location) };
      return belongs(last.config) ? last.config : undefined;
    }
    last = undefined;
    return undefined;
  };
  return {
    stored,
    async targets(options) {
      return withStoredTargets(stack, await stored(options));
    },
    stats,
  };
}
