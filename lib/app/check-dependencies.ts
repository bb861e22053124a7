/**
 * Whether a target's `dependsOn` targets are healthy: each dependency's last sync (its ApplySet
 * parent's record, read with the worker's own access to that cluster) and the health verdict the
 * health consumer recorded for it in the state bucket. A dependency still syncing, not synced yet,
 * not judged yet, or (with `sameCommit`) at another commit is waited for; a failed one fails the
 * dependent, named.
 */

import type { ClusterPort } from "../cluster/cluster-port.ts";
import type { Target, TargetsFile } from "../config/targets.ts";
import { ConfigError } from "../errors.ts";
import { readVerdict } from "../health/health-verdicts.ts";
import { parseLifecycleCursor, runInProgress } from "../lifecycle/lifecycle-cursor.ts";
import type { ObjectStore } from "../state/object-store.ts";
import { readTargetInventory } from "./read-target-inventory.ts";

export type DependencyState =
  | { kind: "ready" }
  | { kind: "waiting"; target: string; reason: string }
  | { kind: "failed"; target: string; reason: string };

export type DependencyDeps = {
  config: TargetsFile;
  connectCluster: (target: Target, purpose: "sync") => Promise<ClusterPort>;
  verdicts?: ObjectStore | undefined;
  now: () => Date;
  signal?: AbortSignal | undefined;
};

const short = (sha: string) => sha.slice(0, 7);

/** The first dependency that is not ready (waiting or failed), or ready when all are. */
export async function checkDependencies(
  deps: DependencyDeps,
  target: Target,
  head: string,
): Promise<DependencyState> {
  if (target.dependsOn.length === 0) return { kind: "ready" };
  const verdicts = deps.verdicts;
  if (!verdicts) {
    throw new ConfigError(
      `targets.${target.name}.dependsOn`,
      "needs the state bucket (PULLBRIDGE_STATE_BUCKET), where the health consumer records the verdicts it waits for",
    );
  }
  for (const dependency of target.dependsOn) {
    const other = deps.config.targets.find((t) => t.name === dependency.target);
    if (!other)
      throw new ConfigError(`targets.${target.name}.dependsOn`, `unknown target "${dependency.target}"`);
    const cluster = await deps.connectCluster(other, "sync");
    const inventory = await readTargetInventory(cluster, other, deps.signal);
    const cursor = parseLifecycleCursor(inventory.lifecycle);
    const waiting = (reason: string): DependencyState => ({ kind: "waiting", target: other.name, reason });
    if (runInProgress(cursor, deps.now())) return waiting(`is syncing ${short(cursor.sha)}`);
    const last = inventory.lastSync;
    if (!last) return waiting("has not synced yet");
    if (dependency.sameCommit && last.sha !== head) {
      return waiting(`is at ${short(last.sha)}, not yet at ${short(head)}`);
    }
    const verdict = await readVerdict(verdicts, other.name, last.sha, { signal: deps.signal });
    if (!verdict || (verdict.syncedAt !== undefined && verdict.syncedAt !== last.time)) {
      // A target that does not wait for health counts as ready once applied.
      if (!other.health.wait) continue;
      return waiting(`is not healthy yet at ${short(last.sha)}`);
    }
    if (verdict.verdict !== "healthy") {
      return {
        kind: "failed",
        target: other.name,
        reason: `failed at ${short(last.sha)}: ${verdict.description}`,
      };
    }
  }
  return { kind: "ready" };
}

/** Seconds before the next re-check: 5, 10, 20, 40, then every 60. */
export function dependencyRecheckSeconds(attempt: number): number {
  return Math.min(60, 5 * 2 ** Math.max(0, attempt - 1));
}
