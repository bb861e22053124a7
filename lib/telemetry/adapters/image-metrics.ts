/**
 * Image automation metrics as one EMF record per outcome: ImageUpdatesCommitted / Proposed /
 * Failed, ImageJobsQueued, and ImageUpdatesIgnored with a `reason` dimension (a stable code such
 * as `tag-not-newer` or `account-not-allowed`), so the dashboard can split ignores by cause.
 */
import type { Metrics } from "@aws-lambda-powertools/metrics";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { ImageDimension, ImageMetric } from "../metric-names.ts";

/** One outcome to count. */
export type ImageOutcome =
  | { kind: "committed" | "proposed" | "failed" }
  | { kind: "queued"; jobs: number }
  | { kind: "ignored"; reason: string };

/** Publishes at once: each outcome may carry its own `reason` dimension. */
export function publishImageOutcome(metrics: Metrics, outcome: ImageOutcome): void {
  switch (outcome.kind) {
    case "committed":
      metrics.addMetric(ImageMetric.Committed, MetricUnit.Count, 1);
      break;
    case "proposed":
      metrics.addMetric(ImageMetric.Proposed, MetricUnit.Count, 1);
      break;
    case "failed":
      metrics.addMetric(ImageMetric.Failed, MetricUnit.Count, 1);
      break;
    case "queued":
      metrics.addMetric(ImageMetric.JobsQueued, MetricUnit.Count, outcome.jobs);
      break;
    case "ignored":
      metrics.addDimension(ImageDimension.Reason, outcome.reason);
      metrics.addMetric(ImageMetric.Ignored, MetricUnit.Count, 1);
      break;
  }
  metrics.publishStoredMetrics();
}
