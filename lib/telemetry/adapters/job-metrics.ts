/** Emits a worker job's metrics as one EMF record with dimensions `service` and `target`. */
import type { Metrics } from "@aws-lambda-powertools/metrics";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import type { EmittedMetric } from "../emitted-metric.ts";
import { Dimension } from "../metric-names.ts";

/** Publishes immediately: a batch holds jobs for several targets, each needs its own dimension. */
export function publishJobMetrics(metrics: Metrics, target: string, emitted: readonly EmittedMetric[]): void {
  if (emitted.length === 0) return;
  metrics.addDimension(Dimension.Target, target);
  for (const m of emitted) {
    metrics.addMetric(
      m.name,
      m.unit === "Milliseconds" ? MetricUnit.Milliseconds : MetricUnit.Count,
      m.value,
    );
  }
  metrics.publishStoredMetrics();
}

/** Publishes fleet-level metrics with the `service` dimension only (cache and GitHub budget totals). */
export function publishServiceMetrics(metrics: Metrics, emitted: readonly EmittedMetric[]): void {
  if (emitted.length === 0) return;
  for (const m of emitted) {
    metrics.addMetric(
      m.name,
      m.unit === "Milliseconds" ? MetricUnit.Milliseconds : MetricUnit.Count,
      m.value,
    );
  }
  metrics.publishStoredMetrics();
}
