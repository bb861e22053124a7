/**
 * The job model: the small, versioned JSON message the webhook (and the drift schedule) put on
 * the FIFO queue and the worker takes off it. Validated on both sides with the same schema, so a
 * malformed job fails where it is made, and a foreign or corrupted message fails permanently
 * where it is read. Pure: no I/O, no clock.
 *
 * Compatibility: version 1 may gain optional fields; the decoder ignores fields it does not know,
 * so a newer sender and an older worker can overlap during a deploy. Anything else bumps `v`.
 */

import { createHash } from "node:crypto";
import { JobFormatError } from "../errors.ts";
import "../validation/zod-messages.ts";
import * as z from "zod/mini";

/** The only job version this code writes and reads. */
const JOB_VERSION = 1;

/** Largest encoded job we send; SQS allows 256 KiB, a job is a few hundred bytes. */
const MAX_JOB_BYTES = 8 * 1024;

const sha = z.string().check(z.regex(/^[0-9a-f]{40}$/, "must be a 40-character hex commit sha"));
const targetName = z
  .string()
  .check(
    z.minLength(1),
    z.maxLength(63),
    z.regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a target name (lowercase DNS label)"),
  );

/** What made a sync job: a GitHub delivery, an operator (CLI), or a config change. Drift checks are their own job type. */
export const JobTrigger = {
  Webhook: "webhook",
  Manual: "manual",
  /** Queued by a config job for a target it added or changed (always syncs in full). */
  Config: "config",
} as const;
export type JobTrigger = (typeof JobTrigger)[keyof typeof JobTrigger];

const common = {
  v: z.literal(JOB_VERSION),
  target: targetName,
  /** `owner/name` of the repository the target reads. */
  repo: z.string().check(z.regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, "must be `owner/name`")),
  /** GitHub App installation that sent the delivery, when it came from an App. */
  installationId: z.optional(z.number().check(z.int(), z.positive())),
  /** Full ref, e.g. `refs/heads/main` (sync) or `refs/pull/7/head` (preview). */
  ref: z
    .string()
    .check(z.minLength(1), z.maxLength(255), z.startsWith("refs/", "must be a full ref (refs/…)")),
  /** Commit to sync (sync) or to preview (preview: the pull request head). */
  sha,
  /** Previous branch head (sync; all zeros for a new branch) or the pull request base (preview). */
  before: sha,
  /** `X-GitHub-Delivery` (or a synthetic id for scheduled jobs); part of the dedup id. */
  deliveryId: z
    .string()
    .check(
      z.minLength(1),
      z.maxLength(100),
      z.regex(/^[A-Za-z0-9._:-]+$/, "must contain only A-Z a-z 0-9 . _ : -"),
    ),
  /** Login of whoever caused the delivery (for the commit status description and logs). */
  sender: z.string().check(z.minLength(1), z.maxLength(100)),
  /** When the delivery was received, ISO 8601 UTC. The worker reports job age from it. */
  receivedAt: z.iso.datetime({ offset: true }),
  trigger: z._default(z.enum([JobTrigger.Webhook, JobTrigger.Manual, JobTrigger.Config]), JobTrigger.Webhook),
};

/** A sync that waits for its `dependsOn` targets: when it started waiting, and how many re-checks ran. */
const dependencyWait = {
  waitingSince: z.optional(z.iso.datetime({ offset: true })),
  waitAttempt: z.optional(z.number().check(z.int(), z.positive())),
};

/** Apply the target at `sha` (the worker coalesces to the branch head). */
export const syncJobSchema = z.object({ ...common, ...dependencyWait, type: z.literal("sync") });

/** Diff (server-side dry-run, read-only) the target at a pull request's head; never writes. */
export const previewJobSchema = z.object({
  ...common,
  type: z.literal("preview"),
  pullRequest: z.object({
    number: z.number().check(z.int(), z.positive()),
    headSha: sha,
    /** Base branch the pull request merges into (the branch the target tracks). */
    baseRef: z.string().check(z.minLength(1), z.maxLength(255)),
    /** `owner/name` the head commit comes from; differs from `repo` for a fork. */
    headRepo: z.string().check(z.minLength(1), z.maxLength(200)),
  }),
});

/**
 * Re-check the target at its branch head (the drift schedule). The schedule names no commit (it
 * holds no GitHub credentials): the worker's resolve job looks the head up once per branch and
 * fans out drift jobs carrying it in `sha`; a job without one resolves the head itself.
 */
export const driftJobSchema = z.object({
  v: common.v,
  type: z.literal("drift"),
  target: common.target,
  repo: common.repo,
  /** Synthetic: `drift-<schedule time>`; part of the dedup id, so one check per target per tick. */
  deliveryId: common.deliveryId,
  /** The schedule tick's time: how late the check runs is measured from it. */
  receivedAt: common.receivedAt,
  /** The branch head when the tick resolved it; never applied over a newer synced commit. */
  sha: z.optional(sha),
  ...dependencyWait,
});

/**
 * One drift tick of one repository branch (the drift schedule, one per distinct repo and branch):
 * the worker resolves the head once, conditionally, and queues a `drift` job per scheduled target
 * of the branch carrying it.
 */
export const resolveJobSchema = z.object({
  v: common.v,
  type: z.literal("resolve"),
  repo: common.repo,
  branch: z.string().check(z.minLength(1), z.maxLength(255)),
  deliveryId: common.deliveryId,
  receivedAt: common.receivedAt,
});

/** The `target` of config jobs: not a target name (`:` is not allowed in one), so it never shares a dedup id with one. */
export const CONFIG_JOB_TARGET = "pullbridge:config";

/**
 * Read, validate and install the config repository at its branch head (docs/config-repository.md);
 * with `pullRequest`, only validate that head and report on it. Queued for a push to the config
 * repository, and for a push that adds or removes a directory a `directories` generator lists.
 */
export const configJobSchema = z.object({
  v: common.v,
  type: z.literal("config"),
  target: z.literal(CONFIG_JOB_TARGET),
  /** The config repository. */
  repo: common.repo,
  installationId: common.installationId,
  /** The pushed config commit, when the push was to the config repository (superseded ones say so). */
  sha: z.optional(sha),
  deliveryId: common.deliveryId,
  sender: common.sender,
  receivedAt: common.receivedAt,
  /** Why it was queued, for the status and logs (`push to acme/apps added or removed apps/*`). */
  cause: z.optional(z.string().check(z.maxLength(300))),
  pullRequest: z.optional(z.object({ number: z.number().check(z.int(), z.positive()), headSha: sha })),
});

/**
 * Sync a pull request's preview environment (a `pullRequests` generator): the template expanded
 * for this pull request, in its own namespace, at the pull request's head. Never from a fork.
 */
export const environmentJobSchema = z.object({
  ...common,
  type: z.literal("environment"),
  /** The generator in the stored config. */
  generator: z.string().check(z.minLength(1), z.maxLength(40)),
  pullRequest: z.object({
    number: z.number().check(z.int(), z.positive()),
    /** The head branch (of the same repository). */
    branch: z.string().check(z.minLength(1), z.maxLength(255)),
  }),
});

/**
 * Delete everything a target synced — its ApplySet members and parent, and for a pull request's
 * environment its namespace: a config target removed with `pruneOnRemove: true`, or an
 * environment whose pull request closed (or that outlived its generator's `ttlHours`).
 */
export const removeJobSchema = z.object({
  v: common.v,
  type: z.literal("remove"),
  target: common.target,
  repo: common.repo,
  installationId: common.installationId,
  deliveryId: common.deliveryId,
  sender: common.sender,
  receivedAt: common.receivedAt,
  /** The commit the removal is reported on: the config commit that removed it, or the pull request head. */
  reportOn: z.optional(z.object({ repo: common.repo, sha })),
  /** Set for a pull request's environment (looked up in the live environments, not the config). */
  environment: z.optional(z.object({ generator: z.string().check(z.minLength(1)), number: z.number() })),
  /** Why, for the report: "pull request #7 closed", "removed from the config at abc1234". */
  cause: z.optional(z.string().check(z.maxLength(300))),
});

/**
 * The next step of a multi-step sync (lib/lifecycle): queued by the health consumer once the
 * previous step is healthy (or, with `finish`, once the sequence ended), on the target's FIFO group
 * like every write. Each carries its cursor: the run, the commit, the step, and how the commit is
 * rendered (Helm install or upgrade), so no state lives anywhere else.
 */
export const stepJobSchema = z.object({
  v: common.v,
  type: z.literal("step"),
  target: common.target,
  repo: common.repo,
  installationId: common.installationId,
  sha,
  /** Synthetic: `<run>-s<step>` or `<run>-finish`; part of the dedup id, so each step is its own message. */
  deliveryId: common.deliveryId,
  receivedAt: common.receivedAt,
  /** The run this step belongs to (recorded on the ApplySet parent while it owns the target). */
  run: z.string().check(z.regex(/^[0-9a-f]{8,64}$/, "must be a run id (hex)")),
  /** When the run started (ISO 8601): time to healthy counts from here. */
  startedAt: z.iso.datetime({ offset: true }),
  /** The step to run (0-based); with `finish`, the step the run ended at. */
  step: z.number().check(z.int(), z.nonnegative()),
  release: z.enum(["install", "upgrade"]),
  /** What started the run: a push, an operator (CLI), or a drift check (hooks run on drift only if the target says so). */
  trigger: z.enum(["push", "manual", "config", "drift"]),
  /** End the run: sweep hooks by their delete policy, and after a failure create the sync-fail hooks. */
  finish: z.optional(z.enum(["healthy", "failed"])),
  /** The run's GitHub Deployment, `in_progress` until the run ends. */
  deploymentId: z.optional(z.number().check(z.int(), z.positive())),
});

export const jobSchema = z.discriminatedUnion("type", [
  syncJobSchema,
  previewJobSchema,
  driftJobSchema,
  configJobSchema,
  environmentJobSchema,
  removeJobSchema,
  stepJobSchema,
]);
/** Everything the job queue carries: the target jobs and the drift tick's per-branch resolve jobs. */
const queueJobSchema = z.discriminatedUnion("type", [
  syncJobSchema,
  previewJobSchema,
  driftJobSchema,
  configJobSchema,
  environmentJobSchema,
  removeJobSchema,
  stepJobSchema,
  resolveJobSchema,
]);

export type SyncJob = z.infer<typeof syncJobSchema>;
export type PreviewJob = z.infer<typeof previewJobSchema>;
export type DriftJob = z.infer<typeof driftJobSchema>;
export type ResolveJob = z.infer<typeof resolveJobSchema>;
export type ConfigJob = z.infer<typeof configJobSchema>;
export type EnvironmentJob = z.infer<typeof environmentJobSchema>;
export type RemoveJob = z.infer<typeof removeJobSchema>;
export type StepJob = z.infer<typeof stepJobSchema>;
/** A job about one target (or the config repository). */
export type Job = z.infer<typeof jobSchema>;
/** Any job on the queue. */
export type QueueJob = z.infer<typeof queueJobSchema>;
/** A job as callers build it: `v` and `trigger` may be left out. */
export type JobInput = z.input<typeof jobSchema>;
type QueueJobInput = z.input<typeof queueJobSchema>;
/** The jobs a GitHub delivery can produce (drift checks come from the schedule). */
export type DeliveryJobInput = z.input<typeof syncJobSchema> | z.input<typeof previewJobSchema>;
/** The jobs a delivery produces for the config repository and its generators (lib/webhook/route-config.ts). */
export type ConfigDeliveryJobInput =
  | z.input<typeof configJobSchema>
  | z.input<typeof environmentJobSchema>
  | z.input<typeof removeJobSchema>;

function describeIssues(error: {
  readonly issues: readonly { path: PropertyKey[]; message: string }[];
}): string {
  const first = error.issues[0];
  const where = first && first.path.length > 0 ? `${first.path.join(".")}: ` : "";
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more)` : "";
  return `${where}${first?.message ?? "invalid"}${more}`;
}

/** Validates a job and returns it in canonical form (defaults filled in). Throws JobFormatError. */
export function validateJob(input: JobInput | Omit<JobInput, "v">): Job {
  const result = jobSchema.safeParse({ v: JOB_VERSION, ...input });
  if (!result.success) throw new JobFormatError(`invalid job: ${describeIssues(result.error)}`);
  return result.data;
}

/** Validates a resolve job (the drift schedule's). Throws JobFormatError. */
export function validateResolveJob(input: Omit<z.input<typeof resolveJobSchema>, "v">): ResolveJob {
  const result = resolveJobSchema.safeParse({ v: JOB_VERSION, ...input });
  if (!result.success) throw new JobFormatError(`invalid job: ${describeIssues(result.error)}`);
  return result.data;
}

/** Validates and serialises a job to the queue message body. Throws JobFormatError. */
export function encodeJob(input: QueueJobInput | Omit<QueueJobInput, "v">): string {
  const result = queueJobSchema.safeParse({ v: JOB_VERSION, ...input });
  if (!result.success) throw new JobFormatError(`invalid job: ${describeIssues(result.error)}`);
  const body = JSON.stringify(result.data);
  if (body.length > MAX_JOB_BYTES) {
    throw new JobFormatError(`invalid job: encoded size ${body.length} exceeds ${MAX_JOB_BYTES} bytes`);
  }
  return body;
}

/** Parses and validates a queue message body. Throws JobFormatError (permanent: do not retry). */
export function decodeJob(body: string): QueueJob {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch (error) {
    throw new JobFormatError("invalid job: body is not JSON", { cause: error });
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new JobFormatError("invalid job: body is not a JSON object");
  }
  const version = (raw as { v?: unknown }).v;
  if (version !== JOB_VERSION) {
    throw new JobFormatError(`unsupported job version ${JSON.stringify(version) ?? "(missing)"}`);
  }
  const result = queueJobSchema.safeParse(raw);
  if (!result.success) throw new JobFormatError(`invalid job: ${describeIssues(result.error)}`);
  return result.data;
}

/** Longest FIFO message group id SQS takes. */
const MAX_GROUP_ID_LENGTH = 128;

/** What a job is about: its target, or for a resolve job its branch (`resolve:owner/name@branch`). */
export function jobSubject(
  job: Pick<QueueJob, "type" | "repo"> & { target?: string; branch?: string },
): string {
  return job.type === "resolve" ? `resolve:${job.repo.toLowerCase()}@${job.branch}` : (job.target ?? "");
}

/**
 * FIFO message group: one group per target (environments and removals included, so they never
 * overlap a sync of the same target); previews get their own group so they never wait behind
 * syncs; config jobs share `pullbridge:config`, one at a time (validating a pull request installs
 * nothing, so it goes beside them); a branch's resolve jobs one per branch (hashed past SQS's 128
 * characters).
 */
export function jobMessageGroupId(
  job: Pick<QueueJob, "type" | "repo"> & { target?: string; branch?: string; pullRequest?: unknown },
): string {
  if (job.type === "preview") return `preview:${job.target}`;
  if (job.type === "config" && job.pullRequest !== undefined) return `preview:${job.target}`;
  const subject = jobSubject(job);
  return subject.length <= MAX_GROUP_ID_LENGTH
    ? subject
    : `resolve:${createHash("sha256").update(subject).digest("hex")}`;
}
