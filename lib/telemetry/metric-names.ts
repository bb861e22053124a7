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

/**
 * Fleet-scale metrics (issue 26), emitted by the worker per container batch with dimension
 * `service` only: the artifact and render caches, and the GitHub budget spent.
 */
export const FleetMetric = {
  /** A commit's tree index found in the state bucket (no download). */
  TreeCacheHits: "TreeCacheHits",
  /** A commit's tree downloaded from GitHub into the cache (one tarball). */
  TreeCacheMisses: "TreeCacheMisses",
  /** A job read from GitHub directly: an object missing, unreadable or too large to cache. */
  CacheFallbacks: "CacheFallbacks",
  /** A cached object whose digest did not match: discarded, refetched, never applied. */
  CacheCorruptObjects: "CacheCorruptObjects",
  /** A rendered desired set reused (no render). */
  RenderCacheHits: "RenderCacheHits",
  /** A render run (no cached set for its inputs). */
  RenderCacheMisses: "RenderCacheMisses",
  /** A state-bucket request failed (the job went on without the cache, or without writing it). */
  StateStoreErrors: "StateStoreErrors",
  /** GitHub API requests made (all). */
  GitHubRequests: "GitHubRequests",
  /** GitHub API requests counted against the installation's rate limit (a 304 is not): the budget used. */
  GitHubBudgetUsed: "GitHubBudgetUsed",
  /** Conditional GitHub requests answered 304 (free). */
  GitHubNotModified: "GitHubNotModified",
  /** A drift check finished this long after its schedule tick (the tick's completion, per job). */
  DriftTickLag: "DriftTickLag",
} as const;

/** Drift schedule metrics. */
export const DriftScheduleMetric = {
  JobsQueued: "DriftJobsQueued",
  /** Branch head lookups queued (one per repository and branch with scheduled targets). */
  ResolvesQueued: "DriftResolvesQueued",
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
