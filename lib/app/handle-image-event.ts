/**
 * Use case: a registry event (ECR via EventBridge, GHCR via the signed webhook) → parsed →
 * routed to image jobs → queued. A rejected event queues nothing and says why (logged and
 * counted by reason); only an unreachable queue is an error (the event source retries).
 */

import type { ImageEventDecision, ImageRejectCode } from "../images/image-event.ts";
import { validateImageJob } from "../images/image-job.ts";
import type { ImageJobQueue } from "../images/image-job-queue.ts";
import { type ImageRoutableTarget, routeImageEvent } from "../images/route-image-event.ts";

export type ImageIntakeResult =
  | { kind: "queued"; jobs: number; messageIds: readonly string[]; reason: string }
  | { kind: "rejected"; code: ImageRejectCode; reason: string };

export type ImageIntakeDeps = {
  targets: readonly ImageRoutableTarget[];
  queue: ImageJobQueue;
  now: () => Date;
};

/** Routes one parsed registry event and queues its image jobs. Throws DependencyError when the queue is down. */
export async function handleImageEvent(
  decision: ImageEventDecision,
  deps: ImageIntakeDeps,
): Promise<ImageIntakeResult> {
  const route = routeImageEvent(decision, deps.targets, deps.now().toISOString());
  if (route.kind === "reject") return { kind: "rejected", code: route.code, reason: route.reason };
  const jobs = route.jobs.map(validateImageJob);
  const { messageIds } = await deps.queue.enqueue(jobs);
  return { kind: "queued", jobs: jobs.length, messageIds, reason: route.reason };
}
