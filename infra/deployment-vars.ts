/** Deploy-time values for serverless.yml, computed from the validated targets file and lib/ modules. */
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { packTargets } from "../lib/config/packaged-targets.ts";
import { parseTargetsYaml } from "../lib/config/targets.ts";
import { DEFAULT_MAX_RECEIVE_COUNT } from "../lib/config/worker-env.ts";
import {
  Dimension,
  FleetMetric,
  HealthMetric,
  ImageMetric,
  METRIC_NAMESPACE,
  ServiceName,
  SyncMetric,
  WebhookMetric,
} from "../lib/telemetry/metric-names.ts";
import { buildDashboardBody } from "./dashboard.ts";
import { buildIamResources } from "./iam.ts";
import { buildOptionalResources } from "./optional-resources.ts";
import { STATE_GRANTS } from "./state-grants.ts";
import { buildVpc, LAMBDA_VPC_ACCESS_POLICY, type VpcParams } from "./vpc.ts";

/** Lambda's SQS guidance: the queue's visibility timeout is at least 6 × the function timeout. */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

/**
 * Where packaging writes the webhook's targets (serverless.yml ships it and points the webhook's
 * PULLBRIDGE_TARGETS_FILE at it), relative to the repository root.
 */
const PACKAGED_TARGETS_FILE = ".build/targets.json";

/**
 * Where packaging puts the Kustomize/Helm renderer for Lambda (linux/arm64), relative to the
 * repository root; the worker's `package.patterns` ship it and the worker runs it from
 * `$LAMBDA_TASK_ROOT/.build/bin/pullbridge-renderer` (lib/config/worker-env.ts).
 */
const PACKAGED_RENDERER = ".build/bin/pullbridge-renderer";

/** Builds the renderer once per version (or finds it in its cache) and stages the arm64 binary for the worker's zip. */
function stageRenderer(root: string): void {
  const out = execFileSync("bash", [join(root, "infra", "renderer", "build.sh")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  const dir = out.trim().split("\n").at(-1) ?? "";
  const target = join(root, PACKAGED_RENDERER);
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(join(dir, "pullbridge-renderer-linux-arm64"), target);
  chmodSync(target, 0o755);
}

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
  eksAccessCluster: string;
  eksAccessGroup: string;
  eksHealthAccessGroup?: string;
  alarmEmail: string;
  /** Private endpoints: the worker and health functions in a VPC, and its endpoints (infra/vpc.ts). */
  vpc?: VpcParams;
}) {
  // Throws ConfigError naming the field (e.g. `targets[1].cluster: unknown cluster "prd"`): package fails.
  const config = parseTargetsYaml(readFileSync(input.targetsFile, "utf8"), input.targetsFile);
  // Checked before anything is built: a wrong id fails `package` naming the parameter.
  const vpc = buildVpc(
    input.vpc ?? {
      vpcSubnetIds: "",
      vpcSecurityGroupIds: "",
      vpcEndpoints: "",
      vpcId: "",
      vpcRouteTableIds: "",
    },
  );
  const packaged = join(import.meta.dirname, "..", PACKAGED_TARGETS_FILE);
  mkdirSync(dirname(packaged), { recursive: true });
  writeFileSync(packaged, packTargets(config, input.targetsFile));
  stageRenderer(join(import.meta.dirname, ".."));
  const insights = (metric: string, service: string = ServiceName.Worker) =>
    `SELECT SUM(${metric}) FROM SCHEMA("${METRIC_NAMESPACE}", ${Dimension.Service}, ${Dimension.Target}) WHERE ${Dimension.Service} = '${service}'`;
  return {
    metricNamespace: METRIC_NAMESPACE,
    metricNames: {
      webhookQueueErrors: WebhookMetric.QueueErrors,
      imageUpdatesFailed: ImageMetric.Failed,
      githubBudgetUsed: FleetMetric.GitHubBudgetUsed,
      driftTickLag: FleetMetric.DriftTickLag,
    },
    targetNames: config.targets.map((t) => t.name),
    queueVisibilityTimeout: input.workerTimeoutSeconds * VISIBILITY_TIMEOUT_FACTOR,
    // One value for the queue's redrive policy and the worker's "attempt n of N" statuses.
    maxReceiveCount: DEFAULT_MAX_RECEIVE_COUNT,
    maxReceiveCountText: String(DEFAULT_MAX_RECEIVE_COUNT),
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
      stateGrants: STATE_GRANTS,
      vpcPolicyArns: vpc.inVpc ? [LAMBDA_VPC_ACCESS_POLICY] : [],
    }),
    functionVpc: vpc.functionVpc,
    vpcResources: vpc.resources,
    optionalResources: buildOptionalResources({
      eksAccessCluster: input.eksAccessCluster,
      eksAccessGroup: input.eksAccessGroup,
      ...(input.eksHealthAccessGroup === undefined
        ? {}
        : { eksHealthAccessGroup: input.eksHealthAccessGroup }),
      alarmEmail: input.alarmEmail,
    }),
    dashboardBody: buildDashboardBody({
      stage: input.stage,
      region: input.region,
      targets: config.targets.map((t) => t.name),
    }),
  };
}
