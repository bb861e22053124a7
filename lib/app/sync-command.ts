/**
 * `pullbridge diff` and `pullbridge sync`: a checkout's target directories → the same load
 * (selection, limits, render, validation) and sync engine the worker runs, in `plan` mode
 * (dry-runs only, never writes) or `apply` mode. Progress is observed by decorating the cluster
 * port, so the engine needs no hooks for it.
 */
import type { ClusterPort } from "../cluster/cluster-port.ts";
import type { Target } from "../config/targets.ts";
import type { Renderer } from "../render/renderer-port.ts";
import type { TargetRef } from "../sync/refuse-inventory-collisions.ts";
import type { SyncResult } from "../sync/sync-result.ts";
import { syncTarget } from "../sync/sync-target.ts";
import {
  capabilitiesOf,
  type LoadedTarget,
  loadTargetObjects,
  type TreeReader,
} from "./load-target-objects.ts";

/** What a long sync has done so far (requests sent, by kind). */
export type SyncProgress = {
  /** The kind of the latest request: reading live state, dry-running, applying, pruning, recording. */
  phase: "read" | "dry-run" | "apply" | "prune" | "record";
  reads: number;
  dryRuns: number;
  applied: number;
  pruned: number;
};

export type SyncCommandDeps = {
  cluster: ClusterPort;
  toolingVersion: string;
  now: () => Date;
  /** Called after every request the sync sends; the caller throttles what it prints. */
  onProgress?: (progress: SyncProgress) => void;
  signal?: AbortSignal | undefined;
  /** Renders Kustomize and Helm directories. */
  renderer?: Renderer | undefined;
  /** Reads the checkout's files inside the target's directories, with the worker's limits. */
  readTree: TreeReader;
};

export type SyncCommandInput = {
  /** Its `path` and `watch` are repository-relative, as in a targets file. */
  target: Target;
  /** Every target of the targets file (or just `target` without one): their ApplySet parents are off limits. */
  configuredTargets: readonly TargetRef[];
  /** Read the directories the target's kustomizations refer to as well (a target without a targets file knows no `watch`). */
  discoverWatch: boolean;
  /** Recorded on the ApplySet parent after an apply (a commit sha, or a description of the working tree). */
  revision: string;
  mode: "plan" | "apply";
  /** Objects to render a diff for (the engine's default when absent). */
  maxDiffs?: number | undefined;
};

/** Wraps a cluster port so every request it completes is reported to `onProgress`. */
function observeProgress(cluster: ClusterPort, onProgress: (progress: SyncProgress) => void): ClusterPort {
  const progress: SyncProgress = { phase: "read", reads: 0, dryRuns: 0, applied: 0, pruned: 0 };
  const after = async <T>(promise: Promise<T>, update: () => void): Promise<T> => {
    const value = await promise;
    update();
    onProgress({ ...progress });
    return value;
  };
  return {
    server: cluster.server,
    requestCounts: () => cluster.requestCounts(),
    // The wrapper owns no connections: closing it closes the client it wraps.
    close: () => cluster.close?.() ?? Promise.resolve(),
    discover: (options) =>
      after(cluster.discover(options), () => {
        progress.reads += 1;
      }),
    list: (options) =>
      after(cluster.list(options), () => {
        progress.phase = "read";
        progress.reads += 1;
      }),
    get: (options) =>
      after(cluster.get(options), () => {
        progress.reads += 1;
      }),
    getApplySetParent: (options) =>
      after(cluster.getApplySetParent(options), () => {
        progress.reads += 1;
      }),
    apply: (options) =>
      after(cluster.apply(options), () => {
        if (options.dryRun) {
          progress.phase = "dry-run";
          progress.dryRuns += 1;
        } else {
          progress.phase = "apply";
          progress.applied += 1;
        }
      }),
    ...(cluster.create
      ? {
          create: (options: Parameters<NonNullable<ClusterPort["create"]>>[0]) =>
            after(cluster.create?.(options) ?? Promise.resolve("exists" as const), () => {
              if (!options.dryRun) progress.applied += 1;
            }),
        }
      : {}),
    delete: (options) =>
      after(cluster.delete(options), () => {
        progress.phase = "prune";
        progress.pruned += 1;
      }),
    applyApplySetParent: (options) =>
      after(cluster.applyApplySetParent(options), () => {
        progress.phase = "record";
      }),
  };
}

/** What a CLI sync did, and what its load found on the way (files not read, directories read beyond `watch`). */
export type SyncCommandResult = {
  result: SyncResult;
  loaded: Pick<LoadedTarget, "skipped" | "discoveredWatch" | "notes">;
};

/** Loads the target's objects as the worker does (ManifestSetError naming every problem) and plans or applies them. */
export async function runSyncCommand(
  deps: SyncCommandDeps,
  input: SyncCommandInput,
): Promise<SyncCommandResult> {
  const { desired, skipped, discoveredWatch, notes } = await loadTargetObjects(
    {
      readTree: deps.readTree,
      renderer: deps.renderer,
      capabilities: () => capabilitiesOf(deps.cluster, deps.signal),
      signal: deps.signal,
    },
    input.target,
    { discoverWatch: input.discoverWatch },
  );
  const cluster = deps.onProgress ? observeProgress(deps.cluster, deps.onProgress) : deps.cluster;
  const result = await syncTarget(
    { cluster, toolingVersion: deps.toolingVersion },
    {
      target: input.target,
      desired,
      configuredTargets: input.configuredTargets,
      revision: { sha: input.revision },
      now: deps.now(),
      mode: input.mode,
      signal: deps.signal,
      ...(input.maxDiffs === undefined ? {} : { maxDiffs: input.maxDiffs }),
    },
  );
  return { result, loaded: { skipped, discoveredWatch, notes } };
}
