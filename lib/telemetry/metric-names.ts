/**
 * The single source of metric names. Emitters (EMF), the CloudWatch dashboard and the alarms
 * all import from here, so a renamed metric cannot silently break a widget or an alarm.
 */

export const METRIC_NAMESPACE = "Pullbridge";

/** Dimension names. */
export const Dimension = {
  Target: "target",
  Event: "event",
  Decision: "decision",
  Service: "service",
} as const;

/** Powertools `service` dimension of each function (POWERTOOLS_SERVICE_NAME in serverless.yml). */
export const ServiceName = {
  Webhook: "pullbridge-webhook",
  Worker: "pullbridge-worker",
  Drift: "pullbridge-drift",
  Images: "pullbridge-images",
  Health: "pullbridge-health",
} as const;

/** Webhook function metrics. */
export const WebhookMetric = {
  Deliveries: "WebhookDeliveries",
  SignatureFailures: "WebhookSignatureFailures",
  JobsQueued: "JobsQueued",
  HandlerLatency: "WebhookHandlerLatency",
  QueueErrors: "WebhookQueueErrors",
} as const;

/** Worker function metrics (dimension: target). */
export const SyncMetric = {
  Duration: "SyncDuration",
  Succeeded: "SyncSucceeded",
  Failed: "SyncFailed",
  ObjectsCreated: "ObjectsCreated",
  ObjectsUpdated: "ObjectsUpdated",
  ObjectsPruned: "ObjectsPruned",
  ObjectsUnchanged: "ObjectsUnchanged",
  DriftCorrected: "DriftCorrected",
  DriftDetected: "DriftDetected",
  JobAge: "JobAge",
  Superseded: "Superseded",
  DryRunFallbacks: "DryRunFallbacks",
  ApiRequests: "ApiRequests",
} as const;

/** Pull-request preview metrics (dimension: target). */
export const PreviewMetric = {
  Run: "PreviewsRun",
  Failed: "PreviewsFailed",
  Duration: "PreviewDuration",
} as const;

/** Health consumer metrics (dimension: target). */
export const HealthMetric = {
  Checks: "HealthChecks",
  Healthy: "HealthHealthy",
  TimeToHealthy: "TimeToHealthy",
  Failed: "HealthFailed",
  TimedOut: "HealthTimedOut",
  Superseded: "HealthSuperseded",
  ApiRequests: "HealthApiRequests",
  /** A step of a multi-step sync was healthy and its next step queued. */
  StepsAdvanced: "LifecycleStepsAdvanced",
} as const;

/** Drift schedule metrics. */
export const DriftScheduleMetric = {
  JobsQueued: "DriftJobsQueued",
} as const;

/** Image automation metrics (dimension: reason for ImageUpdatesIgnored). */
export const ImageMetric = {
  Committed: "ImageUpdatesCommitted",
  Proposed: "ImageUpdatesProposed",
  Ignored: "ImageUpdatesIgnored",
  Failed: "ImageUpdatesFailed",
  JobsQueued: "ImageJobsQueued",
} as const;

/** Dimension of ImageUpdatesIgnored: a stable ignore/reject code (`tag-not-newer`, `account-not-allowed`, …). */
export const ImageDimension = { Reason: "reason" } as const;
