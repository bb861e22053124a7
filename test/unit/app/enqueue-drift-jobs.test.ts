import { describe, expect, it } from "vitest";
import { enqueueDriftJobs } from "../../../lib/app/enqueue-drift-jobs.ts";
import { jobDeduplicationId } from "../../../lib/jobs/adapters/sqs-job-queue.ts";
import { aTarget, webhookTargets } from "../../factories/webhook.ts";
import { RecordingQueue } from "../../factories/webhook-fakes.ts";

const NOW = new Date("2026-11-22T10:00:00.000Z");

describe("enqueueDriftJobs", () => {
  it("queues one resolve job per repository branch with scheduled targets and skips targets that opted out", async () => {
    // Prepare
    const queue = new RecordingQueue();
    const targets = webhookTargets([aTarget({ name: "manual", scheduled: false })]);

    // Act
    const result = await enqueueDriftJobs({ targets, queue, now: NOW, scheduleId: "evt-1" });

    // Assess
    expect(result.skipped).toEqual(["manual"]);
    expect(result.queued).toEqual(targets.filter((t) => t.scheduled).map((t) => t.name));
    // web, api, platform share one branch; the opted-out target's branch has no job of its own.
    expect(queue.jobs.map((j) => j.type === "resolve" && `${j.repo}@${j.branch}`)).toEqual([
      "Codertocat/Hello-World@master",
      "Codertocat/Hello-World@release",
      "acme/other@master",
    ]);
  });

  it("gives a retried schedule run the same dedup ids and a new run new ones", async () => {
    // Prepare
    const queue = new RecordingQueue();
    const targets = webhookTargets();
    const ids = () => queue.jobs.splice(0).map(jobDeduplicationId);

    // Act
    await enqueueDriftJobs({ targets, queue, now: NOW, scheduleId: "evt-1" });
    const first = ids();
    await enqueueDriftJobs({ targets, queue, now: NOW, scheduleId: "evt-1" });
    const retry = ids();
    await enqueueDriftJobs({ targets, queue, now: NOW, scheduleId: "evt-2" });
    const next = ids();

    // Assess
    expect(retry).toEqual(first);
    expect(next.some((id) => first.includes(id))).toBe(false);
  });

  it("treats repository names case-insensitively: one lookup for `Acme/App` and `acme/app`", async () => {
    // Prepare
    const queue = new RecordingQueue();
    const targets = webhookTargets([aTarget({ name: "shouty", repo: "CODERTOCAT/hello-world" })]);

    // Act
    const result = await enqueueDriftJobs({ targets, queue, now: NOW, scheduleId: "evt-1" });

    // Assess
    expect(result.branches).toEqual([
      "codertocat/hello-world@master",
      "codertocat/hello-world@release",
      "acme/other@master",
    ]);
    expect(queue.jobs).toHaveLength(3);
  });

  it("turns an id with characters a delivery id may not hold into a valid one", async () => {
    // Prepare
    const queue = new RecordingQueue();

    // Act
    await enqueueDriftJobs({ targets: webhookTargets(), queue, now: NOW, scheduleId: "a b/c?".repeat(40) });

    // Assess
    expect(queue.jobs[0]?.deliveryId).toMatch(/^drift-[A-Za-z0-9._:-]{1,80}$/);
  });
});
