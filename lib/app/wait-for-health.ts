/**
 * `pullbridge sync --wait`: after the apply, read the applied objects' health (the same reads and
 * the same assessment as the health consumer) every few seconds until every object is Current,
 * one is Failed (at once, without waiting out the timeout), or the timeout passes. The CLI is a
 * process a person watches, so unlike the bridge it may wait in-process.
 */
import type { ClusterPort } from "../cluster/cluster-port.ts";
import type { Target } from "../config/targets.ts";
import {
  type HealthAssessment,
  type HealthSubject,
  needsLiveRead,
  subjectGroupKind,
} from "../health/assess-health.ts";
import { compileHealthRules } from "../health/cel-health-rules.ts";
import { readLive } from "./read-health.ts";

export type HealthWaitOutcome = "healthy" | "failed" | "timed-out";

export type HealthWaitResult = {
  outcome: HealthWaitOutcome;
  /** The last check's verdict per object (empty rows when nothing had a status to wait for). */
  assessment: HealthAssessment;
  /** Objects the sync left in the cluster (created, updated, unchanged). */
  applied: number;
  /** From the end of the apply to the last check. */
  elapsedMs: number;
  checks: number;
};

export type WaitForHealthDeps = {
  cluster: ClusterPort;
  now: () => Date;
  /** Waits between checks (the CLI passes a timer; tests may pass a fake). */
  sleep: (ms: number) => Promise<void>;
  /** After every check that did not end the wait. */
  onProgress?: (assessment: HealthAssessment, elapsedMs: number) => void;
};

/** Seconds between checks: short at first (most small rollouts take seconds), then every 2 s. */
const INTERVALS_MS = [500, 1000, 2000];

/** Waits until `subjects` (members, or a step's hooks) are healthy, one failed, or `timeoutSeconds` passed. */
export async function waitForSubjects(
  deps: WaitForHealthDeps,
  input: { target: Target; subjects: readonly HealthSubject[]; applySetId: string; timeoutSeconds: number },
): Promise<HealthWaitResult> {
  const rules = compileHealthRules(input.target.health.checks);
  const applied = input.subjects;
  const subjects: HealthSubject[] = applied.filter((s) => needsLiveRead(subjectGroupKind(s), rules));
  const started = deps.now().getTime();
  const deadline = started + input.timeoutSeconds * 1000;
  const elapsed = () => deps.now().getTime() - started;
  if (subjects.length === 0) {
    return {
      outcome: "healthy",
      assessment: { verdict: "current", rows: [] },
      applied: applied.length,
      elapsedMs: 0,
      checks: 0,
    };
  }
  for (let check = 1; ; check += 1) {
    const { assessment } = await readLive({
      cluster: deps.cluster,
      subjects,
      rules,
      applySetId: input.applySetId,
      target: input.target.name,
    });
    const base = { assessment, applied: applied.length, elapsedMs: elapsed(), checks: check };
    if (assessment.verdict === "current") return { outcome: "healthy", ...base };
    if (assessment.verdict === "failed") return { outcome: "failed", ...base };
    const left = deadline - deps.now().getTime();
    if (left <= 0) return { outcome: "timed-out", ...base };
    deps.onProgress?.(assessment, base.elapsedMs);
    const interval = INTERVALS_MS[Math.min(check - 1, INTERVALS_MS.length - 1)] ?? 2000;
    await deps.sleep(Math.min(interval, left));
  }
}
