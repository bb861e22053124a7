/**
 * The webhook's metrics port as EMF (Powertools Metrics). One record per delivery; the middy
 * `logMetrics` middleware flushes it at the end of the invocation.
 */
import { type Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { DeliveryMetrics } from "../delivery-metrics.ts";
import { Dimension, WebhookMetric } from "../metric-names.ts";

const KNOWN_EVENT = /^[a-z_]{1,40}$/;

/**
 * EMF through Powertools Metrics. Two dimension sets: the service total and a per event ×
 * decision breakdown. Event names are GitHub's (finite); anything else is folded into `other`
 * so a caller cannot mint dimension values.
 */
export function createEmfDeliveryMetrics(metrics: Metrics): DeliveryMetrics {
  return {
    record(outcome) {
      const event = KNOWN_EVENT.test(outcome.event) ? outcome.event : "other";
      // An empty set is the service-only total (alarms and dashboard widgets use it).
      metrics.addDimensions({});
      metrics.addDimensions({ [Dimension.Event]: event, [Dimension.Decision]: outcome.decision });
      metrics.addMetric(WebhookMetric.Deliveries, MetricUnit.Count, 1);
      metrics.addMetric(WebhookMetric.JobsQueued, MetricUnit.Count, outcome.jobsQueued);
      metrics.addMetric(WebhookMetric.SignatureFailures, MetricUnit.Count, outcome.signatureFailure ? 1 : 0);
      metrics.addMetric(WebhookMetric.HandlerLatency, MetricUnit.Milliseconds, outcome.latencyMs);
      if (outcome.decision === "queue_error")
        metrics.addMetric(WebhookMetric.QueueErrors, MetricUnit.Count, 1);
    },
  };
}
