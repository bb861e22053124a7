/**
 * The health-check message: what the worker (after an apply) and the health consumer (after a
 * check that is still in progress) put on the standard health queue, with a per-message delay.
 * Versioned and validated on both sides like jobs. Pure.
 *
 * It carries everything a check needs without re-reading Git: the commit, when the sync recorded
 * it (to tell a newer sync of the same commit apart), the deadline, the objects to wait for (the
 * static kinds are left out: they are healthy once applied), and the description last posted, so a
 * status is only written when its text changes.
 */
import * as z from "zod";
import { JobFormatError } from "../errors.ts";
import { type Job, type JobInput, validateJob } from "../jobs/job-codec.ts";
import type { HealthSubject } from "./assess-health.ts";

const HEALTH_CHECK_VERSION = 1;

/** SQS allows 256 KiB per message; beyond this many bytes the subject list is the problem, not SQS. */
const MAX_HEALTH_CHECK_BYTES = 240 * 1024;

const subjectSchema = z.strictObject({
  /** API group, `""` for the core group. */
  group: z.string(),
  kind: z.string().min(1),
  namespace: z.string().min(1).optional(),
  name: z.string().min(1),
  /** A hook object: found by its target's hook label (it is no member of the set), done once it ran to the end. */
  hook: z.literal(true).optional(),
});

/** The step of a multi-step sync this check waits for (lib/lifecycle); absent for a one-step sync. */
const lifecycleSchema = z.object({
  /** The run (the ApplySet parent's cursor names the run that owns the target). */
  run: z.string().min(1).max(64),
  /** When the run started (ISO 8601): time to healthy counts from here. */
  startedAt: z.iso.datetime({ offset: true }),
  step: z.number().int().nonnegative(),
  /** Every step's name, in order (`pre-sync`, `wave 0`, …): what was and was not applied. */
  steps: z.array(z.string().max(60)).min(1).max(200),
  release: z.enum(["install", "upgrade"]),
  trigger: z.enum(["push", "manual", "config", "drift"]),
});

export const healthCheckSchema = z.object({
  v: z.literal(HEALTH_CHECK_VERSION),
  target: z.string().min(1).max(63),
  repo: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/),
  installationId: z.number().int().positive().optional(),
  sha: z.string().regex(/^[0-9a-f]{40}$/),
  /** `pullbridge.dev/last-sync-time` the sync recorded on the ApplySet parent (ISO 8601). */
  syncedAt: z.iso.datetime({ offset: true }),
  /** When the apply finished (ISO 8601): time to healthy counts from here. */
  appliedAt: z.iso.datetime({ offset: true }),
  /** After this (ISO 8601) the check reports `failure`, naming what is not ready. */
  deadline: z.iso.datetime({ offset: true }),
  /** 1 for the first check after the apply. */
  attempt: z.number().int().positive(),
  /** Objects the sync applied (for "applied N objects"). */
  applied: z.number().int().nonnegative(),
  /** Whether the sync corrected drift (the final description says so). */
  drift: z.boolean().default(false),
  /** The sync's GitHub Deployment, left `in_progress` for this check to finish. */
  deploymentId: z.number().int().positive().optional(),
  subjects: z.array(subjectSchema),
  /** The description the previous check posted; an unchanged text is not posted again. */
  lastDescription: z.string().max(200).optional(),
  lifecycle: lifecycleSchema.optional(),
});

export type HealthCheck = z.infer<typeof healthCheckSchema>;
export type HealthCheckLifecycle = z.infer<typeof lifecycleSchema>;
export type HealthCheckInput = z.input<typeof healthCheckSchema>;

function strip(subject: HealthSubject): z.infer<typeof subjectSchema> {
  return {
    group: subject.group,
    kind: subject.kind,
    ...(subject.namespace ? { namespace: subject.namespace } : {}),
    name: subject.name,
    ...(subject.hook ? { hook: true as const } : {}),
  };
}

/** Validates and serialises a health check; a check that does not fit one SQS message is refused. */
export function encodeHealthCheck(check: HealthCheckInput): string {
  const parsed = healthCheckSchema.safeParse({ ...check, subjects: check.subjects.map(strip) });
  if (!parsed.success) {
    throw new JobFormatError(`invalid health check: ${parsed.error.issues[0]?.message ?? "invalid"}`);
  }
  const body = JSON.stringify(parsed.data);
  if (Buffer.byteLength(body) > MAX_HEALTH_CHECK_BYTES) {
    throw new JobFormatError(
      `health check for ${check.target} lists ${check.subjects.length} objects (${Buffer.byteLength(body)} bytes), more than one SQS message holds`,
    );
  }
  return body;
}

/** Parses a queue message body; anything malformed is a permanent JobFormatError. */
export function decodeHealthCheck(body: string): HealthCheck {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch (error) {
    throw new JobFormatError("health check is not JSON", { cause: error });
  }
  const parsed = healthCheckSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new JobFormatError(
      `invalid health check at ${issue?.path.join(".") || "(root)"}: ${issue?.message ?? "invalid"}`,
    );
  }
  return parsed.data;
}

/**
 * A job to put back on the FIFO queue after a delay (FIFO queues cannot delay one message): how a
 * sync waiting for its `dependsOn` re-checks later without a waiting Lambda. The health consumer
 * only relays it.
 */
export type HealthMessage = { kind: "check"; check: HealthCheck } | { kind: "relay"; job: Job };

/** Serialises a relay of `job` (validated as a job). */
export function encodeRelay(job: JobInput): string {
  return JSON.stringify({ v: HEALTH_CHECK_VERSION, type: "relay", job: validateJob(job) });
}

/** Parses a health-queue message: a check, or a job to relay. Anything malformed is a permanent JobFormatError. */
export function decodeHealthMessage(body: string): HealthMessage {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch (error) {
    throw new JobFormatError("health message is not JSON", { cause: error });
  }
  if (typeof raw === "object" && raw !== null && (raw as { type?: unknown }).type === "relay") {
    return { kind: "relay", job: validateJob((raw as { job: JobInput }).job) };
  }
  return { kind: "check", check: decodeHealthCheck(body) };
}
