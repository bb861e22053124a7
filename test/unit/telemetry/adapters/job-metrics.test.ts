import { Metrics } from "@aws-lambda-powertools/metrics";
import { describe, expect, it } from "vitest";
import { publishJobMetrics } from "../../../../lib/telemetry/adapters/job-metrics.ts";
import { METRIC_NAMESPACE, ServiceName, SyncMetric } from "../../../../lib/telemetry/metric-names.ts";

type EmfRecord = {
  _aws: {
    CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string; Unit: string }[];
    }[];
  };
  [field: string]: unknown;
};

/** The EMF lines Powertools writes to stdout while `act` runs (as CloudWatch Logs would ingest them). */
function emfWrittenBy(act: () => void): EmfRecord[] {
  const lines: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  try {
    act();
  } finally {
    process.stdout.write = write;
  }
  return lines
    .flatMap((l) => l.split("\n"))
    .filter((l) => l.includes('"_aws"'))
    .map((l) => JSON.parse(l) as EmfRecord);
}

describe("publishJobMetrics", () => {
  it("emits one EMF record per job with the dimensions the alarms and dashboard query (service, target)", () => {
    // Prepare
    const metrics = new Metrics({ namespace: METRIC_NAMESPACE, serviceName: ServiceName.Worker });

    // Act
    const records = emfWrittenBy(() => {
      publishJobMetrics(metrics, "web", [
        { name: SyncMetric.Succeeded, value: 1, unit: "Count" },
        { name: SyncMetric.Duration, value: 812, unit: "Milliseconds" },
      ]);
      publishJobMetrics(metrics, "api", [{ name: SyncMetric.Failed, value: 1, unit: "Count" }]);
    });

    // Assess
    expect(records).toHaveLength(2);
    expect(records.map((r) => [r.target, r.service])).toEqual([
      ["web", ServiceName.Worker],
      ["api", ServiceName.Worker],
    ]);
    const [web, api] = records;
    expect(web?._aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: METRIC_NAMESPACE,
      Dimensions: [["service", "target"]],
      Metrics: [
        { Name: SyncMetric.Succeeded, Unit: "Count" },
        { Name: SyncMetric.Duration, Unit: "Milliseconds" },
      ],
    });
    expect(web).toMatchObject({ [SyncMetric.Succeeded]: 1, [SyncMetric.Duration]: 812 });
    expect(api).toMatchObject({ [SyncMetric.Failed]: 1 });
    expect(api).not.toHaveProperty(SyncMetric.Succeeded);
  });

  it("emits nothing for a job without metrics", () => {
    // Prepare
    const metrics = new Metrics({ namespace: METRIC_NAMESPACE, serviceName: ServiceName.Worker });

    // Act
    const records = emfWrittenBy(() => publishJobMetrics(metrics, "web", []));

    // Assess
    expect(records).toEqual([]);
  });
});
