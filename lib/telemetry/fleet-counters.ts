/**
 * Counts the fleet cache and GitHub budget events of one container between two publications:
 * the worker adds as jobs run, its handler takes them after each batch and publishes them as
 * service-level metrics (no target dimension: these are fleet totals). Pure.
 */
import type { EmittedMetric } from "./emitted-metric.ts";
import { FleetMetric } from "./metric-names.ts";

export type FleetCount = (typeof FleetMetric)[keyof typeof FleetMetric];

export type FleetCounters = {
  add(metric: FleetCount, n?: number): void;
  /** Everything counted since the last take (non-zero only), as metrics; resets the counts. */
  take(): EmittedMetric[];
  /** The counts so far, without resetting (tests). */
  peek(): Readonly<Partial<Record<FleetCount, number>>>;
};

/** A fresh set of counters. */
export function createFleetCounters(): FleetCounters {
  let counts: Partial<Record<FleetCount, number>> = {};
  return {
    add(metric, n = 1) {
      counts[metric] = (counts[metric] ?? 0) + n;
    },
    take() {
      const taken = counts;
      counts = {};
      return Object.entries(taken)
        .filter(([, value]) => value !== 0)
        .map(([name, value]) => ({
          name,
          value: value ?? 0,
          unit: name === FleetMetric.DriftTickLag ? "Milliseconds" : "Count",
        }));
    },
    peek: () => ({ ...counts }),
  };
}
