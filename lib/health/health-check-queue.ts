/** The health queue port: where a follow-up health check goes, to be delivered after a delay. */
import type { JobInput } from "../jobs/job-codec.ts";
import type { HealthCheckInput } from "./health-check-codec.ts";

export interface HealthCheckQueue {
  /** Queues `check` to be delivered in `delaySeconds` (0–900). Rejects with DependencyError when it could not be queued. */
  schedule(check: HealthCheckInput, delaySeconds: number): Promise<void>;
  /** Has the health consumer put `job` back on the FIFO job queue in `delaySeconds` (0–900): a delayed re-check. */
  relay(job: JobInput, delaySeconds: number): Promise<void>;
}
