import { describe, expect, it } from "vitest";
import { remainingBudgetMs, timeBudgetSignal } from "../../../lib/cluster/time-budget.ts";

describe("time budget signals", () => {
  it("tell how much time is left, and nothing for signals without a known deadline", () => {
    // Prepare
    const now = 1_000_000;
    const budget = timeBudgetSignal(30_000, now);
    const aborted = AbortSignal.abort();

    // Act
    const left = [
      remainingBudgetMs(budget, now + 10_000),
      remainingBudgetMs(budget, now + 40_000),
      remainingBudgetMs(aborted, now),
      remainingBudgetMs(new AbortController().signal, now),
      remainingBudgetMs(undefined, now),
    ];

    // Assess
    expect(left).toEqual([20_000, 0, 0, undefined, undefined]);
  });
});
