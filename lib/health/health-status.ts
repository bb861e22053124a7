/**
 * The health vocabulary (kstatus' statuses): what one object's live state says about its rollout.
 * Pure types and constants; no I/O.
 */

/** kstatus' statuses. `Current`: fully reconciled and healthy; `InProgress`: still converging; `Failed`: will not converge without a change; `Terminating`: being deleted; `NotFound`: absent from the cluster. */
export const HealthStatus = {
  Current: "Current",
  InProgress: "InProgress",
  Failed: "Failed",
  Terminating: "Terminating",
  NotFound: "NotFound",
} as const;
export type HealthStatus = (typeof HealthStatus)[keyof typeof HealthStatus];

/** The verdict on one object: its status, a one-line message a person can act on, and the reason code when one exists (`ProgressDeadlineExceeded`, `ImagePullBackOff`, `BackoffLimitExceeded`…). */
export type ObjectHealth = {
  status: HealthStatus;
  message: string;
  reason?: string;
};

/** A Kubernetes condition as it appears in `status.conditions`. */
export type Condition = {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
};
