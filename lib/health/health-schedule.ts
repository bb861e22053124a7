/**
 * When the next health check runs: soon after the apply (most rollouts of a small change take
 * seconds), then backing off, never past the deadline and never beyond SQS's 900 s delay. Pure.
 */

/** SQS's largest per-message DelaySeconds. */
export const MAX_SQS_DELAY_SECONDS = 900;

export type HealthBackoff = {
  /** Delay before the first check (after the apply). */
  initialDelaySeconds: number;
  /** Each further delay is the previous one times this. */
  factor: number;
  /** Upper bound of a delay. */
  maxDelaySeconds: number;
};

/** 5 s, 10 s, 20 s, 30 s, 30 s… — about 13 checks for a rollout that takes the whole 5-minute default timeout. */
export const DEFAULT_HEALTH_BACKOFF: HealthBackoff = {
  initialDelaySeconds: 5,
  factor: 2,
  maxDelaySeconds: 30,
};

/**
 * Seconds to wait before check number `attempt` (1 = the first after the apply), clipped so the
 * last check runs at the deadline rather than after it. At least 0 (SQS's minimum).
 */
export function healthCheckDelaySeconds(options: {
  attempt: number;
  backoff: HealthBackoff;
  now: Date;
  deadline: Date;
}): number {
  const { attempt, backoff } = options;
  const raw = backoff.initialDelaySeconds * backoff.factor ** Math.max(0, attempt - 1);
  const capped = Math.min(raw, backoff.maxDelaySeconds, MAX_SQS_DELAY_SECONDS);
  const untilDeadline = Math.ceil((options.deadline.getTime() - options.now.getTime()) / 1000);
  return Math.max(0, Math.min(Math.round(capped), untilDeadline));
}
