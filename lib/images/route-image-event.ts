/**
 * Which targets an image event may update, as image jobs: one per (repository, branch, mode),
 * carrying every target on that branch with a policy for the image's repository. An event no
 * policy names is rejected with a reason and queues nothing. Pure.
 */
import type { Target } from "../config/targets.ts";
import { type ImageEvent, type ImageEventDecision, ImageRejectCode } from "./image-event.ts";
import type { ImageJobInput } from "./image-job.ts";
import { sameRepository } from "./image-ref.ts";

export type ImageRoutableTarget = Pick<Target, "name" | "repo" | "branch" | "images">;

export type ImageRouteDecision =
  | { kind: "queue"; jobs: ImageJobInput[]; reason: string }
  | { kind: "reject"; code: ImageRejectCode; reason: string };

function ecrAccountOf(repository: string): string | undefined {
  return /^([0-9]{12})\.dkr\.ecr\./.exec(repository)?.[1];
}

/** Routes a parsed registry event to image jobs. `receivedAt` is read by the caller (pure here). */
export function routeImageEvent(
  decision: ImageEventDecision,
  targets: readonly ImageRoutableTarget[],
  receivedAt: string,
): ImageRouteDecision {
  if (decision.kind === "reject") return decision;
  const event: ImageEvent = decision.event;
  const withPolicies = targets.filter((t) => t.images !== undefined);
  const matching = withPolicies.filter((t) =>
    t.images?.policies.some((p) => sameRepository(p.repository, event.repository)),
  );
  if (matching.length === 0) {
    if (event.account !== undefined) {
      const accounts = new Set(
        withPolicies.flatMap((t) => t.images?.policies.map((p) => ecrAccountOf(p.repository)) ?? []),
      );
      if (!accounts.has(event.account)) {
        return {
          kind: "reject",
          code: ImageRejectCode.AccountNotAllowed,
          reason: `ECR account ${event.account} is not named by any image policy`,
        };
      }
    }
    return {
      kind: "reject",
      code: ImageRejectCode.UnknownRepository,
      reason: `no image policy names repository ${event.repository}`,
    };
  }
  const groups = new Map<string, ImageJobInput>();
  for (const target of matching) {
    const mode = target.images?.mode ?? "commit";
    const key = `${target.repo.toLowerCase()}\0${target.branch}\0${mode}`;
    const job = groups.get(key);
    if (job !== undefined) {
      job.targets.push(target.name);
      continue;
    }
    groups.set(key, {
      repo: target.repo,
      branch: target.branch,
      mode,
      targets: [target.name],
      image: {
        source: event.source,
        repository: event.repository,
        tag: event.tag,
        ...(event.digest === undefined ? {} : { digest: event.digest }),
      },
      eventId: event.eventId,
      receivedAt,
      ...(event.builtFrom === undefined ? {} : { builtFrom: event.builtFrom }),
    });
  }
  const jobs = [...groups.values()];
  return {
    kind: "queue",
    jobs,
    reason: `${event.repository}:${event.tag} → ${jobs.map((j) => `${j.repo}@${j.branch} (${j.targets.join(", ")})`).join("; ")}`,
  };
}
