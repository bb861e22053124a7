/**
 * The config in force, as the worker stores it in the state bucket after validating a config
 * repository commit: the expanded targets (defaults filled in, bounded by their projects), where
 * each came from, what the webhook needs to route generator events, and the removed targets
 * waiting to be pruned. Everyone else — webhook, drift schedule, health, images — only reads it.
 *
 * Like the packaged targets (packaged-targets.ts) it is read with `JSON.parse` and a format check,
 * no schema: the webhook ships no targets schema, and the object was validated before it was
 * written by the only function allowed to write it (IAM grants `config/` read-write to the worker
 * alone).
 */
import { StateStoreError } from "../errors.ts";
import type { DirectorySource, PullRequestGenerator, TargetOrigin } from "./expand-config.ts";
import type { Target, TargetsFile } from "./targets.ts";

/** Key of the config in force in the state bucket. */
export const STORED_CONFIG_KEY = "config/current.json";

const FORMAT = "pullbridge.config/v1";

/** A target removed from the config with `pruneOnRemove: true`, until its removal job has run. */
export type RetiredTarget = {
  target: Target;
  /** The config commit that removed it. */
  removedIn: string;
  removedAt: string;
};

export type StoredConfig = {
  readonly format: typeof FORMAT;
  /** The config repository, branch and path this was read from. */
  readonly repo: string;
  readonly branch: string;
  readonly path: string;
  /** The config commit (the branch head when it was stored). */
  readonly sha: string;
  readonly storedAt: string;
  readonly targets: readonly Target[];
  /** By target name. */
  readonly origins: Readonly<Record<string, TargetOrigin>>;
  readonly directorySources: readonly DirectorySource[];
  readonly pullRequestGenerators: readonly PullRequestGenerator[];
  readonly retired: readonly RetiredTarget[];
  /**
   * The jobs installing this config queued (target names): a retry of the install finds its
   * config already stored and queues them again (their dedup ids make that harmless).
   */
  readonly queued: { readonly sync: readonly string[]; readonly remove: readonly string[] };
};

/** What a stored config is made of (the format tag is added here). */
export type StoredConfigInput = Omit<StoredConfig, "format">;

/** The JSON body to store. */
export function packStoredConfig(config: StoredConfigInput): string {
  return JSON.stringify({ format: FORMAT, ...config });
}

/** Reads what packStoredConfig wrote; `location` (s3://…) names it in errors (permanent: a rewrite fixes it). */
export function readStoredConfig(body: Uint8Array, location: string): StoredConfig {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(body));
  } catch (error) {
    throw invalid(location, "is not JSON", error);
  }
  const config = parsed as Partial<StoredConfig> | null;
  if (
    config?.format !== FORMAT ||
    typeof config.sha !== "string" ||
    !Array.isArray(config.targets) ||
    !Array.isArray(config.retired) ||
    !Array.isArray(config.directorySources) ||
    !Array.isArray(config.pullRequestGenerators)
  ) {
    throw invalid(location, `is not a ${FORMAT} document`);
  }
  return config as StoredConfig;
}

function invalid(location: string, what: string, cause?: unknown): StateStoreError {
  return new StateStoreError(`state store: ${location} ${what}`, {
    ...(cause === undefined ? {} : { cause }),
    retryable: false,
    operation: "get",
    location,
    code: "InvalidDocument",
  });
}

/**
 * The targets in force: the stack file's own, then the config repository's. The config's were
 * checked against the stack file's names when stored; a stack redeployed since with a clashing
 * name keeps its own (the stack file wins) until the config is fixed.
 */
export function withStoredTargets(stack: TargetsFile, stored: StoredConfig | undefined): TargetsFile {
  if (stored === undefined || stored.targets.length === 0) return stack;
  const names = new Set(stack.targets.map((t) => t.name));
  return { ...stack, targets: [...stack.targets, ...stored.targets.filter((t) => !names.has(t.name))] };
}
