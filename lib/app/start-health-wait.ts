/**
 * What the worker does after a successful apply when the target waits for health: post `pending`
 * ("applied 12 objects; waiting for 3 (Deployment web, …)") and queue the first delayed health
 * check, then return — the rollout takes as long as it takes, no Lambda waits for it.
 */
import type { Target } from "../config/targets.ts";
import { type HealthSubject, needsLiveRead, subjectGroupKind } from "../health/assess-health.ts";
import { compileHealthRules } from "../health/cel-health-rules.ts";
import type { HealthCheckInput } from "../health/health-check-codec.ts";
import type { HealthCheckQueue } from "../health/health-check-queue.ts";
import { type HealthBackoff, healthCheckDelaySeconds } from "../health/health-schedule.ts";
import type { CommitReporter } from "../reporting/commit-reporter.ts";
import { truncateLine } from "../reporting/format-text.ts";
import type { SyncResult } from "../sync/sync-result.ts";

export type HealthWaitDeps = {
  queue: HealthCheckQueue;
  backoff: HealthBackoff;
  reporter: CommitReporter;
  now: () => Date;
};

/** The objects a sync leaves in the cluster (created, updated, unchanged), as health subjects. */
export function healthSubjectsOf(result: Pick<SyncResult, "outcomes">): HealthSubject[] {
  return result.outcomes
    .filter((o) => o.outcome === "created" || o.outcome === "updated" || o.outcome === "unchanged")
    .map((o) => {
      const dot = o.groupKind.indexOf(".");
      return {
        group: dot === -1 ? "" : o.groupKind.slice(dot + 1),
        kind: dot === -1 ? o.groupKind : o.groupKind.slice(0, dot),
        ...(o.namespace ? { namespace: o.namespace } : {}),
        name: o.name,
      };
    });
}

/**
 * When the sync wrote its revision on the ApplySet parent, `now` (what the engine recorded); a
 * no-op sync wrote nothing, so the parent still carries the previous sync's time.
 */
function syncedAtOf(result: Pick<SyncResult, "parentUpdated" | "previousRevision">, syncNow: Date): string {
  return !result.parentUpdated && result.previousRevision
    ? result.previousRevision.time
    : syncNow.toISOString();
}

/**
 * Posts the pending status and queues the first check; returns the description posted. When no
 * applied object has a status to wait for (only ConfigMaps, Secrets, RBAC…) it does neither and
 * answers `waiting: false`: the caller reports `success` at once, as without health gating.
 */
export async function startHealthWait(
  deps: HealthWaitDeps,
  input: {
    target: Target;
    installationId?: number | undefined;
    sha: string;
    result: SyncResult;
    /** The `now` the sync was run with (the engine records it on the parent). */
    syncNow: Date;
    drift: boolean;
    /** The sync's GitHub Deployment (left `in_progress`), which the health consumer finishes. */
    deploymentId?: number | undefined;
  },
): Promise<
  { waiting: false } | { waiting: true; description: string; check: HealthCheckInput; delaySeconds: number }
> {
  const { target, result } = input;
  const subjects = healthSubjectsOf(result);
  const rules = compileHealthRules(target.health.checks);
  const waitFor = subjects.filter((s) => needsLiveRead(subjectGroupKind(s), rules));
  if (waitFor.length === 0) return { waiting: false };
  const appliedAt = deps.now();
  const deadline = new Date(appliedAt.getTime() + target.health.timeoutSeconds * 1000);
  const names = waitFor.map((s) => `${s.kind} ${s.name}`);
  const description = truncateLine(
    `${input.drift ? "drift corrected: " : ""}applied ${subjects.length} object${subjects.length === 1 ? "" : "s"}; waiting for ${waitFor.length} (${names.join(", ")})`,
  );
  await deps.reporter.pending({ repo: target.repo, sha: input.sha, target: target.name, description });
  const check: HealthCheckInput = {
    v: 1,
    target: target.name,
    repo: target.repo,
    ...(input.installationId === undefined ? {} : { installationId: input.installationId }),
    sha: input.sha,
    syncedAt: syncedAtOf(result, input.syncNow),
    appliedAt: appliedAt.toISOString(),
    deadline: deadline.toISOString(),
    attempt: 1,
    applied: subjects.length,
    drift: input.drift,
    ...(input.deploymentId === undefined ? {} : { deploymentId: input.deploymentId }),
    subjects: waitFor,
    lastDescription: description,
  };
  const delaySeconds = healthCheckDelaySeconds({
    attempt: 1,
    backoff: deps.backoff,
    now: appliedAt,
    deadline,
  });
  await deps.queue.schedule(check, delaySeconds);
  return { waiting: true, description, check, delaySeconds };
}
