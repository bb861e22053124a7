import { Metrics } from "@aws-lambda-powertools/metrics";
import { describe, expect, it } from "vitest";
import { createEmfDeliveryMetrics } from "../../../../lib/telemetry/adapters/emf-delivery-metrics.ts";
import { METRIC_NAMESPACE, WebhookMetric } from "../../../../lib/telemetry/metric-names.ts";

function emf(record: Parameters<ReturnType<typeof createEmfDeliveryMetrics>["record"]>[0]) {
  const metrics = new Metrics({ namespace: METRIC_NAMESPACE, serviceName: "pullbridge-webhook" });
  createEmfDeliveryMetrics(metrics).record(record);
  return metrics.serializeMetrics() as unknown as Record<string, unknown> & {
    _aws: {
      CloudWatchMetrics: {
        Namespace: string;
        Dimensions: string[][];
        Metrics: { Name: string; Unit: string }[];
      }[];
    };
  };
}

describe("EMF delivery metrics", () => {
  it("emits every webhook metric with a service total and an event × decision breakdown", () => {
    // Act
    const output = emf({
      event: "push",
      decision: "queued",
      jobsQueued: 2,
      signatureFailure: false,
      latencyMs: 4.5,
    });

    // Assess
    const directive = output._aws.CloudWatchMetrics[0];
    expect(directive?.Namespace).toBe("Pullbridge");
    expect(directive?.Dimensions).toEqual(
      expect.arrayContaining([["service"], ["service", "event", "decision"]]),
    );
    expect(directive?.Metrics).toEqual(
      expect.arrayContaining([
        { Name: WebhookMetric.Deliveries, Unit: "Count" },
        { Name: WebhookMetric.JobsQueued, Unit: "Count" },
        { Name: WebhookMetric.SignatureFailures, Unit: "Count" },
        { Name: WebhookMetric.HandlerLatency, Unit: "Milliseconds" },
      ]),
    );
    expect(output).toMatchObject({
      service: "pullbridge-webhook",
      event: "push",
      decision: "queued",
      [WebhookMetric.Deliveries]: 1,
      [WebhookMetric.JobsQueued]: 2,
      [WebhookMetric.SignatureFailures]: 0,
      [WebhookMetric.HandlerLatency]: 4.5,
    });
  });

  it("counts a signature failure and a queue error", () => {
    // Act
    const refused = emf({
      event: "unverified",
      decision: "unauthorized",
      jobsQueued: 0,
      signatureFailure: true,
      latencyMs: 1,
    });
    const down = emf({
      event: "push",
      decision: "queue_error",
      jobsQueued: 0,
      signatureFailure: false,
      latencyMs: 1,
    });

    // Assess
    expect(refused[WebhookMetric.SignatureFailures]).toBe(1);
    expect(down[WebhookMetric.QueueErrors]).toBe(1);
  });

  it("folds an unexpected event name into `other` so callers cannot mint dimension values", () => {
    // Act
    const output = emf({
      event: "Push<script>",
      decision: "ignored",
      jobsQueued: 0,
      signatureFailure: false,
      latencyMs: 1,
    });

    // Assess
    expect(output.event).toBe("other");
  });
});
