import { describe, expect, it } from "vitest";
import { normaliseForDiff } from "../../../lib/sync/compute-diff-objects.ts";
import { runBounded } from "../../../lib/sync/run-bounded.ts";

describe("runBounded", () => {
  it("never exceeds the concurrency and keeps results in order", async () => {
    // Prepare
    let inFlight = 0;
    let peak = 0;
    const items = Array.from({ length: 20 }, (_, i) => i);

    // Act
    const results = await runBounded(items, { concurrency: 3, stopOnError: false }, async (i) => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight -= 1;
      return i * 2;
    });

    // Assess
    expect(peak).toBe(3);
    expect(results.map((r) => (r.ok ? r.value : -1))).toEqual(items.map((i) => i * 2));
  });

  it("stops starting tasks after the first failure when asked, and rethrows it", async () => {
    // Prepare
    const started: number[] = [];

    // Act
    const outcome = runBounded([1, 2, 3, 4, 5], { concurrency: 1, stopOnError: true }, async (i) => {
      started.push(i);
      if (i === 2) throw new Error("two");
      return i;
    });

    // Assess
    await expect(outcome).rejects.toThrow("two");
    expect(started).toEqual([1, 2]);
  });

  it("collects every failure when not stopping", async () => {
    // Prepare / Act
    const results = await runBounded([1, 2, 3], { concurrency: 2, stopOnError: false }, async (i) => {
      if (i !== 2) throw new Error(String(i));
      return i;
    });

    // Assess
    expect(results.map((r) => r.ok)).toEqual([false, true, false]);
  });
});

describe("normaliseForDiff", () => {
  it("strips server bookkeeping and status, keeping what Git controls", () => {
    // Prepare
    const live = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        name: "c",
        labels: { a: "b" },
        resourceVersion: "1",
        uid: "u",
        managedFields: [],
        generation: 2,
      },
      data: { k: "v" },
      status: {},
    };

    // Act
    const normalised = normaliseForDiff(live);

    // Assess
    expect(normalised).toEqual({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "c", labels: { a: "b" } },
      data: { k: "v" },
    });
  });
});
