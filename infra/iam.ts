/**
 * One IAM role per function, least privilege, rendered from the validated targets file:
 * the worker may describe only the EKS clusters the targets name and read only the secrets
 * they reference. Written in TypeScript because YAML cannot loop over the targets.
 */
import type { TargetsFile } from "../lib/config/targets.ts";
import { ConfigError } from "../lib/errors.ts";

type Statement = { Effect: "Allow"; Action: string[]; Resource: unknown[] };
type CfnObject = Record<string, unknown>;

const sub = (template: string) => ({ "Fn::Sub": template });

/** Write access to the function's own log group only (Serverless names it `<Function>LogGroup`). */
function logStatement(functionKey: string): Statement {
  const logicalId = `${functionKey[0]?.toUpperCase() ?? ""}${functionKey.slice(1)}LogGroup`;
  return {
    Effect: "Allow",
    Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
    Resource: [{ "Fn::GetAtt": [logicalId, "Arn"] }],
  };
}

function ssmParameterArn(name: string) {
  const path = name.startsWith("/") ? name.slice(1) : name;
  return sub(`arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/${path}`);
}

/** A Secrets Manager secret by name (`-??????` is the random suffix Secrets Manager appends). */
function secretArn(name: string) {
  return sub(
    `arn:\${AWS::Partition}:secretsmanager:\${AWS::Region}:\${AWS::AccountId}:secret:${name}-??????`,
  );
}

function role(functionKey: string, statements: Statement[], managedPolicyArns: unknown[] = []): CfnObject {
  return {
    Type: "AWS::IAM::Role",
    Properties: {
      Description: `pullbridge ${functionKey} function (least privilege)`,
      ...(managedPolicyArns.length === 0 ? {} : { ManagedPolicyArns: managedPolicyArns }),
      AssumeRolePolicyDocument: {
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" },
        ],
      },
      Policies: [
        {
          PolicyName: `pullbridge-${functionKey}`,
          PolicyDocument: { Version: "2012-10-17", Statement: statements },
        },
      ],
    },
  };
}

/** The functions, by their key in serverless.yml (each has its own role). */
type FunctionKey = "webhook" | "worker" | "health" | "drift" | "imagesIntake" | "images";

/**
 * Access to the keys under one prefix of the state bucket (infra/state-bucket.yml). `read` can get
 * and list them; `read-write` can also put (conditional writes need no extra action) and delete.
 */
export type StateGrant = { prefix: string; access: "read" | "read-write" };

// A top-level concern and optional sub-folders, always ending in "/": `config/`, `cache/renders/`.
// No wildcards: a grant names exactly the keys it covers.
const STATE_PREFIX = /^[a-z0-9][a-z0-9._-]*\/(?:[a-z0-9][a-z0-9._-]*\/)*$/;

/**
 * IAM statements that let a function read or write only the objects under these key prefixes of
 * the state bucket (`<bucket>/<prefix>*`), plus `s3:ListBucket` on the bucket. The list right is
 * what makes S3 answer 404 — not 403, indistinguishable from a denial — for a missing key; S3 does
 * not document that a prefix condition on it still yields the 404, so it is unconditional: a
 * granted function can list key names across the bucket (names only, never content).
 */
export function statePrefixStatements(grants: readonly StateGrant[], field = "stateGrants"): Statement[] {
  grants.forEach((grant, i) => {
    if (!STATE_PREFIX.test(grant.prefix)) {
      throw new ConfigError(
        `${field}[${i}].prefix`,
        `"${grant.prefix}" is not a state key prefix (lowercase path segments ending in "/", no wildcards, e.g. "config/")`,
      );
    }
  });
  if (grants.length === 0) return [];
  const objects = (access: StateGrant["access"]) =>
    grants.filter((g) => g.access === access).map((g) => sub(`\${StateBucket.Arn}/${g.prefix}*`));
  const statements: Statement[] = [
    { Effect: "Allow", Action: ["s3:ListBucket"], Resource: [{ "Fn::GetAtt": ["StateBucket", "Arn"] }] },
  ];
  const read = objects("read");
  if (read.length > 0) statements.push({ Effect: "Allow", Action: ["s3:GetObject"], Resource: read });
  const readWrite = objects("read-write");
  if (readWrite.length > 0) {
    statements.push({
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
      Resource: readWrite,
    });
  }
  return statements;
}

/**
 * `sts:AssumeRole` on exactly the roles the targets file names for this function: the worker its
 * clusters' `roleArn`, the health consumer their `healthRoleArn` (or `roleArn` where none is set).
 * Nothing when no cluster names a role.
 */
export function assumeRoleStatements(config: TargetsFile, fn: "worker" | "health"): Statement[] {
  const arns = new Set<string>();
  for (const c of Object.values(config.clusters)) {
    if (c.type !== "eks") continue;
    const arn = fn === "health" ? (c.healthRoleArn ?? c.roleArn) : c.roleArn;
    if (arn !== undefined) arns.add(arn);
  }
  return arns.size === 0 ? [] : [{ Effect: "Allow", Action: ["sts:AssumeRole"], Resource: [...arns].sort() }];
}

/** Renders the roles as CloudFormation resources (`WebhookRole`, `WorkerRole`, `HealthRole`, `DriftRole`, `ImagesIntakeRole`, `ImagesRole`). */
export function buildIamResources(input: {
  region: string;
  config: TargetsFile;
  webhookSecretParameter: string;
  /** SSM parameters holding the GitHub App private key and/or token (exact names, no wildcard). */
  githubSecretParameters: readonly string[];
  /** Key prefixes of the state bucket each function may use (none unless listed). */
  stateGrants?: Partial<Record<FunctionKey, readonly StateGrant[]>>;
  /** Managed policies for the functions placed in a VPC (infra/vpc.ts: the ENI permissions). */
  vpcPolicyArns?: readonly unknown[];
}): { Resources: Record<string, CfnObject> } {
  const vpcPolicies = [...(input.vpcPolicyArns ?? [])];
  const state = (key: FunctionKey) =>
    statePrefixStatements(input.stateGrants?.[key] ?? [], `stateGrants.${key}`);
  const queueArn = { "Fn::GetAtt": ["JobsQueue", "Arn"] };
  const imagesQueueArn = { "Fn::GetAtt": ["ImagesQueue", "Arn"] };
  const healthQueueArn = { "Fn::GetAtt": ["HealthQueue", "Arn"] };
  // A cluster reached through a role is described with that role's credentials: the function's
  // own policy needs only sts:AssumeRole on it (crossAccountRoleStatement).
  const eksArns = Object.values(input.config.clusters).flatMap((c) =>
    c.type === "eks" && c.roleArn === undefined
      ? [sub(`arn:\${AWS::Partition}:eks:${c.region ?? input.region}:\${AWS::AccountId}:cluster/${c.name}`)]
      : [],
  );
  const kubeconfigSsm = Object.values(input.config.clusters).flatMap((c) =>
    c.type === "kubeconfig" && c.source.startsWith("ssm:") ? [ssmParameterArn(c.source.slice(4))] : [],
  );
  const kubeconfigSecrets = Object.values(input.config.clusters).flatMap((c) =>
    c.type === "kubeconfig" && c.source.startsWith("secretsmanager:") ? [secretArn(c.source.slice(15))] : [],
  );

  // SOPS keys (docs/secrets.md): the worker may decrypt with exactly the KMS keys the stack file
  // lists, and read exactly the age private keys it references. Nothing else holds a decrypt right.
  const keys = Object.values(input.config.keys ?? {});
  const kmsKeyArns = [...new Set(keys.flatMap((k) => (k.type === "kms" ? [k.arn] : [])))];
  const ageSsm = keys.flatMap((k) =>
    k.type === "age" && k.privateKey.startsWith("ssm:") ? [ssmParameterArn(k.privateKey.slice(4))] : [],
  );
  const ageSecrets = keys.flatMap((k) =>
    k.type === "age" && k.privateKey.startsWith("secretsmanager:")
      ? [secretArn(k.privateKey.slice("secretsmanager:".length))]
      : [],
  );

  const worker: Statement[] = [
    logStatement("worker"),
    ...state("worker"),
    {
      Effect: "Allow",
      Action: [
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:ChangeMessageVisibility",
        "sqs:GetQueueAttributes",
      ],
      Resource: [queueArn],
    },
    // The worker queues the first health check after an apply; a drift tick's resolve jobs queue the
    // branch's drift checks (issue 26), and config jobs the syncs and removals a config change needs.
    { Effect: "Allow", Action: ["sqs:SendMessage"], Resource: [healthQueueArn, queueArn] },
    {
      Effect: "Allow",
      Action: ["ssm:GetParameter"],
      Resource: [...input.githubSecretParameters.map(ssmParameterArn), ...kubeconfigSsm, ...ageSsm],
    },
  ];
  if (kmsKeyArns.length > 0) worker.push({ Effect: "Allow", Action: ["kms:Decrypt"], Resource: kmsKeyArns });
  if (ageSecrets.length > 0) {
    worker.push({ Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: ageSecrets });
  }
  // The health consumer: its own role (mapped to the read-only Kubernetes group), the health queue
  // only, the same GitHub secrets and cluster access as the worker — but read-only RBAC in the cluster.
  const health: Statement[] = [
    logStatement("health"),
    ...state("health"),
    {
      Effect: "Allow",
      Action: [
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:ChangeMessageVisibility",
        "sqs:GetQueueAttributes",
        "sqs:SendMessage",
      ],
      Resource: [healthQueueArn],
    },
    // A healthy step of a multi-step sync queues the next step (the worker writes; this role never does).
    { Effect: "Allow", Action: ["sqs:SendMessage"], Resource: [queueArn] },
    {
      Effect: "Allow",
      Action: ["ssm:GetParameter"],
      Resource: [...input.githubSecretParameters.map(ssmParameterArn), ...kubeconfigSsm],
    },
  ];
  worker.push(...assumeRoleStatements(input.config, "worker"));
  health.push(...assumeRoleStatements(input.config, "health"));
  for (const statements of [worker, health]) {
    if (eksArns.length > 0)
      statements.push({ Effect: "Allow", Action: ["eks:DescribeCluster"], Resource: eksArns });
    if (kubeconfigSecrets.length > 0) {
      statements.push({
        Effect: "Allow",
        Action: ["secretsmanager:GetSecretValue"],
        Resource: kubeconfigSecrets,
      });
    }
  }

  return {
    Resources: {
      WebhookRole: role("webhook", [
        logStatement("webhook"),
        ...state("webhook"),
        // GHCR `package` deliveries become image jobs: the webhook may send to the image queue too.
        { Effect: "Allow", Action: ["sqs:SendMessage"], Resource: [queueArn, imagesQueueArn] },
        {
          Effect: "Allow",
          Action: ["ssm:GetParameter"],
          Resource: [ssmParameterArn(input.webhookSecretParameter)],
        },
      ]),
      WorkerRole: role("worker", worker, vpcPolicies),
      HealthRole: role("health", health, vpcPolicies),
      DriftRole: role("drift", [
        logStatement("drift"),
        ...state("drift"),
        { Effect: "Allow", Action: ["sqs:SendMessage"], Resource: [queueArn] },
      ]),
      // Image automation: intake only queues; the updater reads its queue and the GitHub secrets. Neither touches a cluster.
      ImagesIntakeRole: role("imagesIntake", [
        logStatement("imagesIntake"),
        ...state("imagesIntake"),
        { Effect: "Allow", Action: ["sqs:SendMessage"], Resource: [imagesQueueArn] },
      ]),
      ImagesRole: role("images", [
        logStatement("images"),
        ...state("images"),
        {
          Effect: "Allow",
          Action: [
            "sqs:ReceiveMessage",
            "sqs:DeleteMessage",
            "sqs:ChangeMessageVisibility",
            "sqs:GetQueueAttributes",
          ],
          Resource: [imagesQueueArn],
        },
        {
          Effect: "Allow",
          Action: ["ssm:GetParameter"],
          Resource: input.githubSecretParameters.map(ssmParameterArn),
        },
      ]),
    },
  };
}
