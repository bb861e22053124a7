/**
 * The image job: one pushed image, for the targets of one repository branch that have a policy
 * for it. Its own versioned JSON message on its own FIFO queue (the sync queue's job union stays
 * as it is); MessageGroupId = `repo/branch`, so one writer per branch at a time. Pure.
 */
import { createHash } from "node:crypto";
// zod/mini (with zod's English messages): the webhook routes image events, and full zod would
// add ~60 KB to its bundle and cold start (BENCHMARKS.md, Cold starts).
import * as z from "zod/mini";
import { JobFormatError } from "../errors.ts";
import { DIGEST_PATTERN } from "./image-ref.ts";
import "../validation/zod-messages.ts";

const IMAGE_JOB_VERSION = 1;

// The reader's own grammar: a digest a job pins can be read back from the manifest and updated again.
const digest = z.string().check(z.regex(DIGEST_PATTERN));

export const imageJobSchema = z.object({
  v: z.literal(IMAGE_JOB_VERSION),
  type: z.literal("image"),
  repo: z.string().check(z.regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, "must be `owner/name`")),
  branch: z.string().check(z.minLength(1), z.maxLength(255)),
  mode: z.enum(["commit", "pull-request"]),
  /** Targets on this branch whose policies name the image's repository. */
  targets: z.array(z.string().check(z.minLength(1), z.maxLength(63))).check(z.minLength(1)),
  image: z.object({
    source: z.enum(["ecr", "ghcr"]),
    repository: z.string().check(z.minLength(1), z.maxLength(255)),
    tag: z.string().check(z.regex(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/)),
    digest: z.optional(digest),
  }),
  eventId: z.string().check(z.minLength(1), z.maxLength(100), z.regex(/^[A-Za-z0-9._:-]+$/)),
  receivedAt: z.iso.datetime({ offset: true }),
  /** Commit the image was built from (GHCR), checked against pullbridge's own commits. */
  builtFrom: z.optional(
    z.object({
      repo: z.string().check(z.minLength(1)),
      sha: z.string().check(z.regex(/^[0-9a-f]{40}$/)),
    }),
  ),
});

export type ImageJob = z.infer<typeof imageJobSchema>;
export type ImageJobInput = Omit<z.input<typeof imageJobSchema>, "v" | "type">;

/** Validates an image job as routing built it. Throws JobFormatError. */
export function validateImageJob(input: ImageJobInput): ImageJob {
  const result = imageJobSchema.safeParse({ ...input, v: IMAGE_JOB_VERSION, type: "image" });
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new JobFormatError(`invalid image job: ${issue?.path.join(".")}: ${issue?.message}`);
  }
  return result.data;
}

/** Validates and serialises an image job. Throws JobFormatError. */
export function encodeImageJob(input: ImageJobInput): string {
  return JSON.stringify(validateImageJob(input));
}

/** Parses an image job message body. Throws JobFormatError (permanent). */
export function decodeImageJob(body: string): ImageJob {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch (error) {
    throw new JobFormatError("invalid image job: body is not JSON", { cause: error });
  }
  const result = imageJobSchema.safeParse(raw);
  if (!result.success)
    throw new JobFormatError(
      `invalid image job: ${result.error.issues[0]?.path.join(".")}: ${result.error.issues[0]?.message}`,
    );
  return result.data;
}

const GROUP_ALPHABET = /^[\x21-\x7e]{1,128}$/;

/** FIFO group: one writer per repository branch. Branch names outside SQS's alphabet are hashed. */
export function imageJobGroupId(job: Pick<ImageJob, "repo" | "branch">): string {
  const id = `${job.repo}/${job.branch}`;
  return GROUP_ALPHABET.test(id)
    ? id
    : `sha256:${createHash("sha256").update(id).digest("hex").slice(0, 64)}`;
}

/** Dedup id: a redelivered event collapses; the same event for two branches does not. */
export function imageJobDedupId(job: Pick<ImageJob, "eventId" | "repo" | "branch" | "mode">): string {
  return createHash("sha256").update(`${job.eventId}\0${job.repo}\0${job.branch}\0${job.mode}`).digest("hex");
}
