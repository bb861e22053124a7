/** Job builders for codec and queue tests. */
import type { JobInput, PreviewJob, SyncJob } from "../../lib/jobs/job-codec.ts";
import { sha } from "./webhook.ts";

export function aSyncJob(overrides: Partial<SyncJob> = {}): SyncJob {
  return {
    v: 1,
    type: "sync",
    trigger: "webhook",
    target: "web",
    repo: "Codertocat/Hello-World",
    installationId: 1,
    ref: "refs/heads/master",
    sha: sha("after"),
    before: sha("before"),
    deliveryId: "72d3162e-cc78-11e3-81ab-4c9367dc0958",
    sender: "Codertocat",
    receivedAt: "2025-11-22T10:00:00.000Z",
    ...overrides,
  };
}

export function aPreviewJob(overrides: Partial<PreviewJob> = {}): PreviewJob {
  return {
    ...aSyncJob(),
    type: "preview",
    ref: "refs/pull/2/head",
    sha: sha("pr-head"),
    before: sha("pr-base"),
    pullRequest: {
      number: 2,
      headSha: sha("pr-head"),
      baseRef: "master",
      headRepo: "Codertocat/Hello-World",
    },
    ...overrides,
  };
}

/** A job as a (foreign) sender might write it, for decode tests. */
export function rawJob(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...(aSyncJob() as JobInput), ...overrides };
}
