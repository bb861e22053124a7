/** Powertools Metrics (EMF on stdout) for a function, in the project namespace. */
import { Metrics } from "@aws-lambda-powertools/metrics";
import { METRIC_NAMESPACE } from "../metric-names.ts";

/** Creates the function's metrics emitter; `service` becomes the default dimension. */
export function createServiceMetrics(serviceName: string): Metrics {
  return new Metrics({ namespace: METRIC_NAMESPACE, serviceName });
}
