/** The webhook's metrics port: one record per delivery (the EMF adapter is emf-delivery-metrics.ts). */

/** The outcome of one delivery, as metrics see it. */
export type DeliveryOutcome = {
  /** Verified `X-GitHub-Event`, or `unverified` when the signature did not match (never raw input). */
  readonly event: string;
  /** Coarse, low-cardinality decision: queued, ping, ignored, unauthorized, bad_request, too_large, unavailable, error. */
  readonly decision: string;
  readonly jobsQueued: number;
  readonly signatureFailure: boolean;
  readonly latencyMs: number;
};

export interface DeliveryMetrics {
  record(outcome: DeliveryOutcome): void;
}
