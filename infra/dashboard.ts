/**
 * The CloudWatch dashboard body, generated from the single metric-names module so a widget can
 * never point at a metric nobody emits. Per-target widgets list the targets from the targets file.
 */
import {
  Dimension,
  FleetMetric,
  HealthMetric,
  ImageDimension,
  ImageMetric,
  METRIC_NAMESPACE,
  PreviewMetric,
  ServiceName,
  SyncMetric,
  WebhookMetric,
} from "../lib/telemetry/metric-names.ts";

type MetricRow = (string | Record<string, unknown>)[];
type Widget = {
  type: "metric" | "text";
  x: number;
  y: number;
  width: number;
  height: number;
  properties: object;
};

const FUNCTIONS = ["webhook", "worker", "health", "drift", "imagesIntake", "images"] as const;

function perTarget(
  metric: string,
  targets: readonly string[],
  stat?: string,
  service: string = ServiceName.Worker,
): MetricRow[] {
  return targets.map((target) => [
    METRIC_NAMESPACE,
    metric,
    Dimension.Service,
    service,
    Dimension.Target,
    target,
    { label: `${target} ${metric}`, ...(stat ? { stat } : {}) },
  ]);
}

/** A SEARCH over every dimension combination of a custom metric (used where dimensions vary). */
function search(metric: string, dims: readonly string[], stat: string, id: string): MetricRow {
  const schema = [METRIC_NAMESPACE, ...dims].join(",");
  return [{ expression: `SEARCH('{${schema}} MetricName="${metric}"', '${stat}', 300)`, id, label: metric }];
}

/** Renders the dashboard JSON for one stage. */
export function buildDashboardBody(input: {
  stage: string;
  region: string;
  targets: readonly string[];
}): string {
  const { stage, region, targets } = input;
  const fn = (name: string) => `pullbridge-${stage}-${name}`;
  const queue = `pullbridge-${stage}-jobs.fifo`;
  const dlq = `pullbridge-${stage}-jobs-dlq.fifo`;
  const widgets: Widget[] = [];
  let y = 0;
  const row = (...cells: { title: string; metrics: MetricRow[]; stat?: string; view?: string }[]) => {
    const width = Math.floor(24 / cells.length);
    cells.forEach((cell, i) => {
      widgets.push({
        type: "metric",
        x: i * width,
        y,
        width,
        height: 6,
        properties: {
          title: cell.title,
          region,
          view: cell.view ?? "timeSeries",
          stacked: false,
          stat: cell.stat ?? "Sum",
          period: 300,
          metrics: cell.metrics,
        },
      });
    });
    y += 6;
  };

  row(
    {
      title: "Syncs succeeded / failed per target",
      metrics: [...perTarget(SyncMetric.Succeeded, targets), ...perTarget(SyncMetric.Failed, targets)],
    },
    {
      title: "Sync duration p50 / p99 (ms)",
      stat: "p50",
      metrics: [
        ...perTarget(SyncMetric.Duration, targets, "p50"),
        ...perTarget(SyncMetric.Duration, targets, "p99"),
      ],
    },
  );
  row(
    {
      title: "Objects changed and pruned",
      metrics: [
        ...perTarget(SyncMetric.ObjectsCreated, targets),
        ...perTarget(SyncMetric.ObjectsUpdated, targets),
        ...perTarget(SyncMetric.ObjectsPruned, targets),
      ],
    },
    {
      title: "Drift corrected / detected",
      metrics: [
        ...perTarget(SyncMetric.DriftCorrected, targets),
        ...perTarget(SyncMetric.DriftDetected, targets),
      ],
    },
  );
  row(
    {
      title: "Job age (ms, p99): delivery → worker start",
      stat: "p99",
      metrics: perTarget(SyncMetric.JobAge, targets, "p99"),
    },
    {
      title: "Queue depth, oldest message age, DLQ",
      stat: "Maximum",
      metrics: [
        ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", queue, { label: "queued" }],
        ["AWS/SQS", "ApproximateNumberOfMessagesNotVisible", "QueueName", queue, { label: "in flight" }],
        [
          "AWS/SQS",
          "ApproximateAgeOfOldestMessage",
          "QueueName",
          queue,
          { label: "oldest (s)", yAxis: "right" },
        ],
        [
          "AWS/SQS",
          "ApproximateNumberOfMessagesVisible",
          "QueueName",
          dlq,
          { label: "DLQ", color: "#d62728" },
        ],
      ],
    },
  );
  row(
    {
      title: "Webhook deliveries by event/decision, signature failures",
      metrics: [
        search(
          WebhookMetric.Deliveries,
          [Dimension.Decision, Dimension.Event, Dimension.Service],
          "Sum",
          "deliveries",
        ),
        [
          METRIC_NAMESPACE,
          WebhookMetric.SignatureFailures,
          Dimension.Service,
          ServiceName.Webhook,
          { color: "#d62728" },
        ],
        [METRIC_NAMESPACE, WebhookMetric.JobsQueued, Dimension.Service, ServiceName.Webhook],
      ],
    },
    {
      title: "Previews run / failed",
      metrics: [...perTarget(PreviewMetric.Run, targets), ...perTarget(PreviewMetric.Failed, targets)],
    },
  );
  const images = `pullbridge-${stage}-images.fifo`;
  row(
    {
      title: "Image updates committed / proposed / failed",
      metrics: [
        [METRIC_NAMESPACE, ImageMetric.Committed, Dimension.Service, ServiceName.Images],
        [METRIC_NAMESPACE, ImageMetric.Proposed, Dimension.Service, ServiceName.Images],
        [METRIC_NAMESPACE, ImageMetric.Failed, Dimension.Service, ServiceName.Images, { color: "#d62728" }],
        [METRIC_NAMESPACE, ImageMetric.JobsQueued, Dimension.Service, ServiceName.Images],
      ],
    },
    {
      title: "Image events ignored, by reason; image queue and DLQ",
      metrics: [
        search(ImageMetric.Ignored, [ImageDimension.Reason, Dimension.Service], "Sum", "imageIgnored"),
        [
          "AWS/SQS",
          "ApproximateNumberOfMessagesVisible",
          "QueueName",
          images,
          { label: "image jobs queued", yAxis: "right" },
        ],
        [
          "AWS/SQS",
          "ApproximateNumberOfMessagesVisible",
          "QueueName",
          images.replace(".fifo", "-dlq.fifo"),
          { label: "image DLQ", color: "#d62728", yAxis: "right" },
        ],
      ],
    },
  );
  const health = (metric: string, stat?: string) => perTarget(metric, targets, stat, ServiceName.Health);
  row(
    {
      title: "Time to healthy p50 / p90 (ms): apply → every object Current",
      stat: "p50",
      metrics: [...health(HealthMetric.TimeToHealthy, "p50"), ...health(HealthMetric.TimeToHealthy, "p90")],
    },
    {
      title: "Health: healthy / failed / timed out / superseded; checks per sync",
      metrics: [
        ...health(HealthMetric.Healthy),
        ...health(HealthMetric.Failed),
        ...health(HealthMetric.TimedOut),
        ...health(HealthMetric.Superseded),
        ...health(HealthMetric.Checks),
      ],
    },
  );
  const worker = (metric: string, stat = "Sum") => [
    METRIC_NAMESPACE,
    metric,
    "service",
    ServiceName.Worker,
    { stat },
  ];
  row(
    {
      title: "Fleet: GitHub requests, rate-limited (budget), 304s (hourly)",
      metrics: [
        worker(FleetMetric.GitHubRequests),
        worker(FleetMetric.GitHubBudgetUsed),
        worker(FleetMetric.GitHubNotModified),
      ],
    },
    {
      title: "Fleet: tree and render cache hits / misses, fallbacks, damaged objects",
      metrics: [
        worker(FleetMetric.TreeCacheHits),
        worker(FleetMetric.TreeCacheMisses),
        worker(FleetMetric.RenderCacheHits),
        worker(FleetMetric.RenderCacheMisses),
        worker(FleetMetric.CacheFallbacks),
        worker(FleetMetric.CacheCorruptObjects),
        worker(FleetMetric.StateStoreErrors),
      ],
    },
    {
      title: "Fleet: drift tick lag max (ms)",
      stat: "Maximum",
      metrics: [worker(FleetMetric.DriftTickLag, "Maximum")],
    },
  );
  row(
    {
      title: "Lambda errors and throttles",
      metrics: FUNCTIONS.flatMap((f) => [
        ["AWS/Lambda", "Errors", "FunctionName", fn(f), { label: `${f} errors` }],
        ["AWS/Lambda", "Throttles", "FunctionName", fn(f), { label: `${f} throttles` }],
      ]),
    },
    {
      title: "Lambda duration p99 (ms)",
      stat: "p99",
      metrics: FUNCTIONS.map((f) => ["AWS/Lambda", "Duration", "FunctionName", fn(f), { label: f }]),
    },
  );
  return JSON.stringify({ widgets });
}
