/**
 * `pullbridge images plan`: what a registry event would change, without writing anything. The
 * same parsing, routing and planning as the image functions, over a repository checkout on disk.
 */
import type { Target } from "../config/targets.ts";
import { ConfigError } from "../errors.ts";
import { type ImageEventDecision, parseEcrEvent, parsePackageDelivery } from "../images/image-event.ts";
import { validateImageJob } from "../images/image-job.ts";
import { parseImageRef } from "../images/image-ref.ts";
import type { RepoFile } from "../images/image-repo.ts";
import { routeImageEvent } from "../images/route-image-event.ts";
import { imageCommitMessage, imageJobTargets, type PlannedImageJob, planImageJob } from "./run-image-job.ts";

export type ImagesPlanJob = PlannedImageJob & {
  repo: string;
  branch: string;
  mode: "commit" | "pull-request";
  targets: string[];
  /** The commit message the updater would write ("" when nothing changes). */
  message: string;
  /** Text before the edit, per changed file. */
  before: ReadonlyMap<string, string>;
};

export type ImagesPlan =
  | { kind: "rejected"; code: string; reason: string }
  | { kind: "planned"; image: string; jobs: ImagesPlanJob[] };

/** Reads what was given: an ECR EventBridge event or a GitHub package payload (JSON), or `--image repo:tag[@digest]`. */
export function readImageEvent(input: {
  eventJson?: string | undefined;
  image?: string | undefined;
}): ImageEventDecision {
  if (input.image !== undefined) {
    const ref = parseImageRef(input.image);
    if (ref?.tag === undefined)
      throw new ConfigError("--image", `must be repository:tag[@digest], got "${input.image}"`);
    return {
      kind: "image",
      event: {
        source: input.image.includes(".dkr.ecr.") ? "ecr" : "ghcr",
        eventId: "cli-plan",
        repository: ref.repository.toLowerCase(),
        tag: ref.tag,
        digest: ref.digest,
        account: /^([0-9]{12})\.dkr\.ecr\./.exec(ref.repository)?.[1],
        builtFrom: undefined,
      },
    };
  }
  if (input.eventJson === undefined)
    throw new ConfigError("images plan", "give --event <file> or --image <repository:tag>");
  let raw: unknown;
  try {
    raw = JSON.parse(input.eventJson);
  } catch (error) {
    throw new ConfigError("--event", "is not JSON", { cause: error });
  }
  const body = (typeof raw === "object" && raw !== null ? raw : {}) as Record<string, unknown>;
  if ("registry_package" in body) return parsePackageDelivery("registry_package", "cli-plan", raw);
  if ("package" in body) return parsePackageDelivery("package", "cli-plan", raw);
  return parseEcrEvent(raw);
}

/** Plans every job the event routes to, over `files` (repo-relative path → text) of one checkout. */
export function planImagesCommand(input: {
  decision: ImageEventDecision;
  targets: readonly Target[];
  files: ReadonlyMap<string, string>;
  now: Date;
}): ImagesPlan {
  const route = routeImageEvent(input.decision, input.targets, input.now.toISOString());
  if (route.kind === "reject") return { kind: "rejected", code: route.code, reason: route.reason };
  const repoFiles = new Map<string, RepoFile>(
    [...input.files].map(([path, text]) => [path, { path, text, mode: "100644" }]),
  );
  const jobs = route.jobs.map((input_) => {
    const job = validateImageJob(input_);
    const planned = planImageJob(job, imageJobTargets(job, input.targets), repoFiles);
    return {
      ...planned,
      repo: job.repo,
      branch: job.branch,
      mode: job.mode,
      targets: job.targets,
      message: planned.files.length === 0 ? "" : imageCommitMessage(job, planned.changes),
      before: new Map(planned.files.map((f) => [f.path, input.files.get(f.path) ?? ""])),
    };
  });
  const first = route.jobs[0];
  return {
    kind: "planned",
    image: first === undefined ? "" : `${first.image.repository}:${first.image.tag}`,
    jobs,
  };
}
