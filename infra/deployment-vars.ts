/** Deploy-time values for serverless.yml, computed from the validated targets file and lib/ modules. */
import { readFileSync } from "node:fs";
import { parseTargetsYaml } from "../lib/config/targets.ts";
import {
  Dimension,
  HealthMetric,
  METRIC_NAMESPACE,
  ServiceName,
  SyncMetric,
  WebhookMetric,
} from "../lib/telemetry/metric-names.ts";
import { buildDashboardBody } from "./dashboard.ts";
import { buildIamResources } from "./iam.ts";

/** Lambda's SQS guidance: the queue's visibility timeout is at least 6 × the function timeout. */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

/** Reads and validates the targets file and renders everything serverless.yml needs from it. */
export function loadDeploymentVars(input: {
  stage: string;
  region: string;
  targetsFile: string;
  workerTimeoutSeconds: number;
  webhookSecretParameter: string;
  githubAppId: string;
  githubPrivateKeyParameter: string;
  githubTokenParameter: string;
}) {
  // Throws ConfigError naming the field (e.g. `targets[1].cluster: unknown cluster "prd"`): package fails.
  const config = parseTargetsYaml(readFileSync(input.targetsFile, "utf8"), input.targetsFile);
  const insights = (metric: string, service: string = ServiceName.Worker) =>
    `SELECT SUM(${metric}) FROM SCHEMA("${METRIC_NAMESPACE}", ${Dimension.Service}, ${Dimension.Target}) WHERE ${Dimension.Service} = '${service}'`;
  return {
    metricNamespace: METRIC_NAMESPACE,
    metricNames: { webhookQueueErrors: WebhookMetric.QueueErrors },
    targetNames: config.targets.map((t) => t.name),
    queueVisibilityTimeout: input.workerTimeoutSeconds * VISIBILITY_TIMEOUT_FACTOR,
    alarmQueries: {
      syncFailed: insights(SyncMetric.Failed),
      driftDetected: insights(SyncMetric.DriftDetected),
      healthTimedOut: insights(HealthMetric.TimedOut, ServiceName.Health),
    },
    // Without an App id the worker has no use for a private key: do not pass (or grant) one.
    workerEnv: { privateKeyParameter: input.githubAppId === "" ? "" : input.githubPrivateKeyParameter },
    iamResources: buildIamResources({
      region: input.region,
      config,
      webhookSecretParameter: input.webhookSecretParameter,
      githubSecretParameters: [
        ...(input.githubAppId === "" ? [] : [input.githubPrivateKeyParameter]),
        input.githubTokenParameter,
      ],
    }),
    dashboardBody: buildDashboardBody({
      stage: input.stage,
      region: input.region,
      targets: config.targets.map((t) => t.name),
    }),
  };
}
