/**
 * Packages the real serverless.yml offline with osls + serverless-esbuild (no AWS credentials)
 * and asserts on the generated CloudFormation template.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { statePrefixStatements } from "../../../infra/iam.ts";
import { checkMemoryBudget } from "../../../lib/config/worker-env.ts";
import {
  DriftScheduleMetric,
  FleetMetric,
  HealthMetric,
  ImageMetric,
  METRIC_NAMESPACE,
  PreviewMetric,
  ServiceName,
  SyncMetric,
  WebhookMetric,
} from "../../../lib/telemetry/metric-names.ts";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..", "..", "..");
/** Every metric the functions emit: dashboards and alarms may name only these. */
const ALL_METRIC_NAMES: readonly string[] = [
  WebhookMetric,
  SyncMetric,
  PreviewMetric,
  HealthMetric,
  DriftScheduleMetric,
  ImageMetric,
  FleetMetric,
].flatMap((metrics) => Object.values(metrics));
type Resource = {
  Type: string;
  Properties: Record<string, unknown>;
  Condition?: string;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
};
type Template = { Resources: Record<string, Resource> };

async function osls(args: string[]) {
  const env = {
    ...process.env,
    AWS_ACCESS_KEY_ID: "",
    AWS_SECRET_ACCESS_KEY: "",
    AWS_PROFILE: "",
    SLS_TELEMETRY_DISABLED: "1",
  };
  return await run(join(root, "node_modules", ".bin", "osls"), args, { cwd: root, env, maxBuffer: 16 << 20 });
}

/** cfn-lint findings this template keeps, each with its reason in docs/decisions/0076-cfn-lint-zero-errors-one-kept-warning.md. */
const KEPT_CFN_LINT_WARNINGS = new Set([
  // osls writes `DependsOn` on the role / integration next to the GetAtt / Ref that already implies it.
  "W3005",
]);
type CfnLintFinding = { Level: string; Message: string; Rule: { Id: string }; Location: { Path: unknown[] } };

/**
 * Runs cfn-lint (PyPI; `.ci/run` installs the pinned version) on a packaged template. A missing
 * cfn-lint fails the test with the fix: a lint that silently did not run would prove nothing.
 */
async function cfnLint(templateFile: string): Promise<CfnLintFinding[]> {
  const command = process.env.PULLBRIDGE_CFN_LINT ?? "cfn-lint";
  try {
    await run(command, ["--version"]);
  } catch (error) {
    throw new Error(
      `cfn-lint is not installed (${command}): \`bash .ci/run\` installs the pinned version, ` +
        "or run `pip install cfn-lint` and put it on PATH",
      { cause: error },
    );
  }
  const result = await run(command, ["--format", "json", templateFile], { maxBuffer: 16 << 20 }).then(
    (r) => r.stdout,
    // Exit codes 2/4/8 (errors / warnings / infos) still print the findings as JSON.
    (error: { stdout?: string; code?: number }) => {
      if (!error.stdout) throw error;
      return error.stdout;
    },
  );
  return JSON.parse(result) as CfnLintFinding[];
}
/** The one wildcard resource allowed: a key prefix of the state bucket, exactly as statePrefixStatements writes it. */
const STATE_PREFIX_GRANT =
  /^\{"Fn::Sub":"\$\{StateBucket\.Arn\}\/[a-z0-9][a-z0-9._-]*\/(?:[a-z0-9][a-z0-9._-]*\/)*\*"\}$/;
const describeFinding = (f: CfnLintFinding) => `${f.Rule.Id} ${f.Location.Path.join("/")}: ${f.Message}`;

let template: Template;
let packageDir: string;
const byType = (type: string) => Object.entries(template.Resources).filter(([, r]) => r.Type === type);
const resource = (id: string): Resource => {
  const r = template.Resources[id];
  if (!r) throw new Error(`no resource ${id} in the template`);
  return r;
};

/** A state grant is `${StateBucket.Arn}/<prefix>*`: every key under one prefix, nothing else. */
beforeAll(async () => {
  packageDir = await mkdtemp(join(tmpdir(), "pullbridge-package-"));
  const out = packageDir;
  await osls(["package", "--stage", "ci", "--region", "eu-west-1", "--package", out]);
  template = JSON.parse(
    await readFile(join(out, "cloudformation-template-update-stack.json"), "utf8"),
  ) as Template;
}, 300_000);

describe("serverless.yml packaged offline", () => {
  it("deploys every function on nodejs24.x / arm64 with its own role", () => {
    // Prepare / Act
    const functions = byType("AWS::Lambda::Function");

    // Assess
    expect(functions.map(([id]) => id).sort()).toEqual([
      "DriftLambdaFunction",
      "HealthLambdaFunction",
      "ImagesIntakeLambdaFunction",
      "ImagesLambdaFunction",
      "WebhookLambdaFunction",
      "WorkerLambdaFunction",
    ]);
    const roles = functions.map(([, f]) => JSON.stringify(f.Properties.Role));
    expect(new Set(roles).size).toBe(6);
    for (const [, f] of functions) {
      expect(f.Properties.Runtime).toBe("nodejs24.x");
      expect(f.Properties.Architectures).toEqual(["arm64"]);
    }
    const services = functions.map(
      ([, f]) =>
        (f.Properties.Environment as { Variables: Record<string, unknown> }).Variables
          .POWERTOOLS_SERVICE_NAME,
    );
    expect([...new Set(services)].sort()).toEqual(Object.values(ServiceName).sort());
  });

  it("gives the worker memory for Node's heap cap and the renderer's bound at once (the budget the worker checks at start)", () => {
    // Prepare
    const worker = resource("WorkerLambdaFunction").Properties;
    const variables = (worker.Environment as { Variables: Record<string, string> }).Variables;

    // Act
    const check = () =>
      checkMemoryBudget({
        functionMemoryMb: worker.MemorySize as number,
        nodeOptions: variables.NODE_OPTIONS,
        renderMaxMemoryBytes: Number(variables.PULLBRIDGE_RENDER_MAX_MEMORY_MB) * 2 ** 20,
      });

    // Assess
    expect(variables.NODE_OPTIONS).toMatch(/--max-old-space-size=\d+/);
    expect(variables.PULLBRIDGE_RENDER_MAX_MEMORY_MB).toMatch(/^\d+$/);
    expect(check).not.toThrow();
  });

  it("wires a FIFO queue to a FIFO DLQ at maxReceiveCount 5 with visibility ≥ 6× the worker timeout", () => {
    // Prepare
    const queue = resource("JobsQueue").Properties;
    const dlq = resource("JobsDeadLetterQueue").Properties;
    const worker = resource("WorkerLambdaFunction").Properties;

    // Assess
    expect(queue.FifoQueue).toBe(true);
    expect(dlq.FifoQueue).toBe(true);
    expect(queue.RedrivePolicy).toEqual({
      deadLetterTargetArn: { "Fn::GetAtt": ["JobsDeadLetterQueue", "Arn"] },
      maxReceiveCount: 5,
    });
    expect(Number(queue.VisibilityTimeout)).toBeGreaterThanOrEqual(6 * Number(worker.Timeout));
    // The worker announces retries as "attempt n of N" with the queue's own N.
    expect(
      (worker.Environment as { Variables: Record<string, unknown> }).Variables.PULLBRIDGE_MAX_RECEIVE_COUNT,
    ).toBe("5");
  });

  it("feeds the worker from the queue in batches with partial-batch responses and bounded concurrency", () => {
    // Prepare
    const entry = byType("AWS::Lambda::EventSourceMapping").find(
      ([, m]) =>
        JSON.stringify(m.Properties.FunctionName) ===
        JSON.stringify({ "Fn::GetAtt": ["WorkerLambdaFunction", "Arn"] }),
    );
    if (!entry) throw new Error("no event source mapping in the template");
    const [, mapping] = entry;

    // Assess
    expect(mapping.Properties).toMatchObject({
      BatchSize: 10,
      EventSourceArn: { "Fn::GetAtt": ["JobsQueue", "Arn"] },
      FunctionName: { "Fn::GetAtt": ["WorkerLambdaFunction", "Arn"] },
      FunctionResponseTypes: ["ReportBatchItemFailures"],
    });
    expect(
      (mapping.Properties.ScalingConfig as { MaximumConcurrency: number }).MaximumConcurrency,
    ).toBeGreaterThanOrEqual(2);
  });

  it("gives no function a wildcard action or resource, but exactly its state-bucket key prefixes", () => {
    for (const id of [
      "WebhookRole",
      "WorkerRole",
      "HealthRole",
      "DriftRole",
      "ImagesIntakeRole",
      "ImagesRole",
    ]) {
      // Prepare
      const policies = resource(id).Properties.Policies as {
        PolicyDocument: { Statement: { Action: string[]; Resource: unknown[] }[] };
      }[];
      const statements = policies.flatMap((p) => p.PolicyDocument.Statement);

      // Assess
      expect(statements.length).toBeGreaterThan(0);
      for (const s of statements) {
        for (const action of s.Action) expect(action, `${id} action`).not.toContain("*");
        for (const r of s.Resource) {
          const text = JSON.stringify(r);
          if (!STATE_PREFIX_GRANT.test(text)) expect(text, `${id} resource`).not.toContain("*");
        }
      }
    }
  });

  it("lets each role do exactly its job", () => {
    // Prepare
    const actions = (id: string) =>
      (resource(id).Properties.Policies as { PolicyDocument: { Statement: { Action: string[] }[] } }[])
        .flatMap((p) => p.PolicyDocument.Statement.flatMap((s) => s.Action))
        .sort();

    // Assess
    expect(actions("WebhookRole")).toEqual([
      "logs:CreateLogStream",
      "logs:PutLogEvents",
      // Derived routing: the webhook reads routing/ (issue 26).
      "s3:GetObject",
      "s3:ListBucket",
      "sqs:SendMessage",
      "ssm:GetParameter",
    ]);
    expect(actions("DriftRole")).toEqual([
      "logs:CreateLogStream",
      "logs:PutLogEvents",
      "s3:GetObject",
      "s3:ListBucket",
      "sqs:SendMessage",
    ]);
    expect(actions("WorkerRole")).toContain("eks:DescribeCluster");
    expect(actions("WorkerRole")).toEqual(
      expect.arrayContaining(["sqs:ReceiveMessage", "sqs:DeleteMessage"]),
    );
    // The worker sends to the health queue (the first check after an apply) and to the job queue (a
    // drift tick's checks, issue 26; a config change's syncs, issue 25); the health consumer sends
    // checks to its queue and the next step of a multi-step sync to the job queue (the worker runs it).
    const sendsTo = (id: string) =>
      (
        resource(id).Properties.Policies as {
          PolicyDocument: { Statement: { Action: string[]; Resource: unknown[] }[] };
        }[]
      )
        .flatMap((p) => p.PolicyDocument.Statement)
        .filter((st) => st.Action.includes("sqs:SendMessage"))
        .flatMap((st) => st.Resource);
    expect(sendsTo("WorkerRole")).toEqual([
      { "Fn::GetAtt": ["HealthQueue", "Arn"] },
      { "Fn::GetAtt": ["JobsQueue", "Arn"] },
    ]);
    expect(sendsTo("HealthRole")).toEqual([
      { "Fn::GetAtt": ["HealthQueue", "Arn"] },
      { "Fn::GetAtt": ["JobsQueue", "Arn"] },
    ]);
    expect(actions("HealthRole")).toContain("eks:DescribeCluster");
  });

  it("runs the drift function on a schedule it is allowed to be invoked by", () => {
    // Prepare
    const [[ruleId, rule] = []] = byType("AWS::Events::Rule").filter(
      ([, r]) => r.Properties.ScheduleExpression !== undefined,
    );
    const permissions = byType("AWS::Lambda::Permission").map(([, p]) => p.Properties);

    // Assess
    expect(rule?.Properties.ScheduleExpression).toBe("rate(10 minutes)");
    expect(permissions).toContainEqual(
      expect.objectContaining({
        Action: "lambda:InvokeFunction",
        Principal: "events.amazonaws.com",
        SourceArn: { "Fn::GetAtt": [ruleId, "Arn"] },
      }),
    );
  });

  it("builds the dashboard only from metrics named in lib/telemetry/metric-names.ts", () => {
    // Prepare
    const body = JSON.parse(resource("Dashboard").Properties.DashboardBody as string) as {
      widgets: { properties: { metrics: unknown[][] } }[];
    };
    const named = new Set<string>();
    for (const widget of body.widgets) {
      for (const row of widget.properties.metrics) {
        if (row[0] === METRIC_NAMESPACE) named.add(String(row[1]));
        const expression = (row[0] as { expression?: string }).expression;
        for (const m of expression?.matchAll(/MetricName="([^"]+)"/g) ?? []) named.add(String(m[1]));
      }
    }

    // Assess
    expect(body.widgets.length).toBeGreaterThanOrEqual(10);
    expect(named.size).toBeGreaterThan(10);
    for (const name of named) expect(ALL_METRIC_NAMES, `dashboard metric ${name}`).toContain(name);
  });

  it("has the alarms an operator needs", () => {
    // Prepare
    const alarms = byType("AWS::CloudWatch::Alarm")
      .map(([id]) => id)
      .sort();

    // Assess
    expect(alarms).toEqual([
      "DeadLetterQueueNotEmptyAlarm",
      "DriftDetectedAlarm",
      "DriftTickLagAlarm",
      "GitHubBudgetAlarm",
      "HealthDeadLetterQueueNotEmptyAlarm",
      "HealthTimeoutsAlarm",
      "ImageUpdatesFailedAlarm",
      "OldestJobAgeAlarm",
      "SyncFailuresAlarm",
      "WebhookErrorsAlarm",
    ]);
    const queries = JSON.stringify([resource("SyncFailuresAlarm"), resource("DriftDetectedAlarm")]);
    expect(queries).toContain("SUM(SyncFailed)");
    expect(queries).toContain("SUM(DriftDetected)");
    expect(JSON.stringify(resource("HealthTimeoutsAlarm"))).toContain("SUM(HealthTimedOut)");
    // Fleet scale: the hourly GitHub budget and a drift tick outlasting the schedule (issue 26).
    expect(resource("GitHubBudgetAlarm").Properties).toMatchObject({
      MetricName: FleetMetric.GitHubBudgetUsed,
      Period: 3600,
      Threshold: 2500,
    });
    expect(JSON.stringify(resource("DriftTickLagAlarm"))).toContain(FleetMetric.DriftTickLag);
  });

  it("passes cfn-lint with no errors and only the warnings the decision record lists", async () => {
    // Act
    const findings = await cfnLint(join(packageDir, "cloudformation-template-update-stack.json"));

    // Assess
    expect(findings.filter((f) => f.Level === "Error").map(describeFinding)).toEqual([]);
    expect(findings.filter((f) => !KEPT_CFN_LINT_WARNINGS.has(f.Rule.Id)).map(describeFinding)).toEqual([]);
  });

  it("adds the EKS access entry and the alarm e-mail only when asked, and still passes cfn-lint", async () => {
    // Prepare
    expect(template.Resources.WorkerEksAccessEntry).toBeUndefined();
    expect(template.Resources.AlarmEmailSubscription).toBeUndefined();
    const out = await mkdtemp(join(tmpdir(), "pullbridge-package-options-"));

    // Act
    await osls([
      ...["package", "--stage", "ci", "--region", "eu-west-1", "--package", out],
      ...["--param", "eksAccessCluster=prod", "--param", "alarmEmail=ops@example.com"],
    ]);
    const file = join(out, "cloudformation-template-update-stack.json");
    const withOptions = JSON.parse(await readFile(file, "utf8")) as Template;
    const findings = await cfnLint(file);

    // Assess
    expect(withOptions.Resources.WorkerEksAccessEntry).toEqual({
      Type: "AWS::EKS::AccessEntry",
      Properties: {
        ClusterName: "prod",
        PrincipalArn: { "Fn::GetAtt": ["WorkerRole", "Arn"] },
        Type: "STANDARD",
        KubernetesGroups: ["pullbridge:workers"],
      },
    });
    expect(withOptions.Resources.AlarmEmailSubscription).toEqual({
      Type: "AWS::SNS::Subscription",
      Properties: { TopicArn: { Ref: "AlarmTopic" }, Protocol: "email", Endpoint: "ops@example.com" },
    });
    expect(findings.filter((f) => !KEPT_CFN_LINT_WARNINGS.has(f.Rule.Id)).map(describeFinding)).toEqual([]);
    await rm(out, { recursive: true, force: true });
  }, 300_000);

  it("fails packaging on a typo in the targets file, naming the field", async () => {
    // Act
    const failure = await osls([
      "package",
      "--stage",
      "ci",
      "--param",
      "targetsFile=test/fixtures/deploy/targets-typo.yaml",
    ]).then(
      () => "packaged",
      (error: { stdout?: string; stderr?: string }) => `${error.stdout ?? ""}${error.stderr ?? ""}`,
    );

    // Assess
    expect(failure).toContain('targets[0].cluster: unknown cluster "prd"');
  });

  it.each(["webhook", "worker", "health", "drift", "images"])(
    "ships a %s bundle that loads cold with Lambda's environment",
    async (fn) => {
      // Prepare: unzip inside the repository, so the AWS SDK (provided by the nodejs24.x runtime,
      // external to the bundles) resolves from node_modules as it would from the runtime.
      const dir = join(root, ".build", "package-smoke", fn);
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true });
      await run("unzip", ["-q", join(packageDir, `${fn}.zip`), "-d", dir]);
      const probe = `const m = await import(${JSON.stringify(join(dir, "functions", fn, "handler.mjs"))}); console.log(typeof m.handler);`;

      // Act
      const { stdout } = await run(process.execPath, ["--input-type=module", "-e", probe], {
        cwd: dir,
        env: {
          PATH: process.env.PATH ?? "",
          LAMBDA_TASK_ROOT: dir,
          AWS_REGION: "eu-west-1",
          // What serverless.yml sets: the webhook reads the packaged JSON, the others the YAML.
          PULLBRIDGE_TARGETS_FILE: fn === "webhook" ? ".build/targets.json" : "infra/targets.yaml",
          PULLBRIDGE_QUEUE_URL: "https://sqs.eu-west-1.amazonaws.com/123456789012/pullbridge-ci-jobs.fifo",
          PULLBRIDGE_WEBHOOK_SECRET_PARAMETER: "/pullbridge/ci/webhook-secret",
          PULLBRIDGE_HEALTH_QUEUE_URL:
            "https://sqs.eu-west-1.amazonaws.com/123456789012/pullbridge-ci-health",
        },
      });

      // Assess
      expect(stdout.trim()).toBe("function");
    },
  );
});

describe("serverless.yml: the worker ships without client-node", () => {
  it("reads stored kubeconfigs with its own inline-credentials reader: no @kubernetes/client-node in the worker's zip", async () => {
    // Prepare: client-node's own error text survives minification and marks where it was bundled.
    const marker = "HTTP protocol is not allowed when skipTLSVerify is not set or false";
    const dir = join(root, ".build", "package-smoke", "worker-chunks");
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    await run("unzip", ["-q", join(packageDir, "worker.zip"), "functions/worker/*.mjs", "-d", dir]);

    // Act: grep exits 1 when nothing matches.
    const found = await run("grep", ["-l", "-F", marker, "-r", join(dir, "functions", "worker")]).then(
      ({ stdout }) => stdout.trim(),
      (error: { code?: number }) => (error.code === 1 ? "" : Promise.reject(error)),
    );
    const handler = await readFile(join(dir, "functions", "worker", "handler.mjs"), "utf8");

    // Assess: the marker is nowhere, and the reader that replaces it is in the entry.
    expect(found).toBe("");
    expect(handler).toContain("stored kubeconfig: ");
  });
});

describe("serverless.yml: the worker ships the renderer", () => {
  it("puts the linux/arm64 renderer, executable, in the worker's zip and in no other", async () => {
    // Prepare
    const renderer = ".build/bin/pullbridge-renderer";
    const listing = async (fn: string) => (await run("unzip", ["-Z", join(packageDir, `${fn}.zip`)])).stdout;

    // Act
    const worker = await listing("worker");
    const webhook = await listing("webhook");
    const dir = join(root, ".build", "package-smoke", "worker-renderer");
    await rm(dir, { recursive: true, force: true });
    await run("unzip", ["-q", join(packageDir, "worker.zip"), renderer, "-d", dir]);
    const head = (await readFile(join(dir, renderer))).subarray(0, 20);

    // Assess: -rwx mode in the zip; an ELF file whose e_machine (bytes 18-19, little-endian) is AArch64 (0xB7).
    expect(worker).toMatch(new RegExp(`^-rwx.* ${renderer.replaceAll(".", "\\.")}$`, "m"));
    expect(webhook).not.toContain(renderer);
    expect(head.subarray(0, 4).toString("latin1")).toBe("\x7fELF");
    expect(head.readUInt16LE(18)).toBe(0xb7);
  });
});

describe("serverless.yml: image automation", () => {
  it("routes only successful ECR pushes to the intake function, which may only queue image jobs", () => {
    // Prepare
    const rule = byType("AWS::Events::Rule").find(([, r]) => r.Properties.EventPattern !== undefined);
    const actions = (id: string) =>
      (
        resource(id).Properties.Policies as {
          PolicyDocument: { Statement: { Action: string[]; Resource: unknown[] }[] };
        }[]
      )
        .flatMap((p) => p.PolicyDocument.Statement)
        .flatMap((st) => st.Action.map((a) => `${a} ${JSON.stringify(st.Resource)}`))
        // Logs and the state bucket's prefixes are checked for every role elsewhere.
        .filter((a) => !a.startsWith("logs:") && !a.startsWith("s3:"))
        .sort();

    // Assess
    expect(rule?.[1].Properties.EventPattern).toEqual({
      source: ["aws.ecr"],
      "detail-type": ["ECR Image Action"],
      detail: { "action-type": ["PUSH"], result: ["SUCCESS"] },
    });
    expect(actions("ImagesIntakeRole")).toEqual([`sqs:SendMessage [{"Fn::GetAtt":["ImagesQueue","Arn"]}]`]);
    const updater = actions("ImagesRole");
    expect(updater.filter((a) => a.startsWith("sqs:"))).toEqual(
      ["ChangeMessageVisibility", "DeleteMessage", "GetQueueAttributes", "ReceiveMessage"].map(
        (a) => `sqs:${a} [{"Fn::GetAtt":["ImagesQueue","Arn"]}]`,
      ),
    );
    // GitHub secrets only: no EKS, no kubeconfig, no Secrets Manager.
    expect(updater.filter((a) => !a.startsWith("sqs:")).every((a) => a.startsWith("ssm:GetParameter "))).toBe(
      true,
    );
    expect(JSON.stringify(resource("ImagesRole"))).not.toMatch(/eks:|secretsmanager:|kubeconfig/);
  });

  it("feeds the image updater from its own FIFO queue with a DLQ", () => {
    // Prepare
    const queue = resource("ImagesQueue").Properties;
    const mapping = byType("AWS::Lambda::EventSourceMapping").find(
      ([, m]) =>
        JSON.stringify(m.Properties.FunctionName) ===
        JSON.stringify({ "Fn::GetAtt": ["ImagesLambdaFunction", "Arn"] }),
    );

    // Assess
    expect(queue).toMatchObject({
      FifoQueue: true,
      RedrivePolicy: {
        deadLetterTargetArn: { "Fn::GetAtt": ["ImagesDeadLetterQueue", "Arn"] },
        maxReceiveCount: 5,
      },
    });
    expect(mapping?.[1].Properties).toMatchObject({
      EventSourceArn: { "Fn::GetAtt": ["ImagesQueue", "Arn"] },
      FunctionResponseTypes: ["ReportBatchItemFailures"],
    });
  });
});

describe("serverless.yml: the state bucket", () => {
  it("is private, encrypted, versioned, kept when the stack goes, and expires old versions and the cache", () => {
    // Prepare
    const bucket = resource("StateBucket");

    // Assess
    expect(bucket.Type).toBe("AWS::S3::Bucket");
    expect([bucket.DeletionPolicy, bucket.UpdateReplacePolicy]).toEqual(["Retain", "Retain"]);
    expect(bucket.Properties.BucketName).toBeUndefined();
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.Properties.OwnershipControls).toEqual({
      Rules: [{ ObjectOwnership: "BucketOwnerEnforced" }],
    });
    expect(bucket.Properties.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }],
    });
    expect(bucket.Properties.VersioningConfiguration).toEqual({ Status: "Enabled" });
    const rules = (bucket.Properties.LifecycleConfiguration as { Rules: Record<string, unknown>[] }).Rules;
    expect(rules).toContainEqual(
      expect.objectContaining({
        Status: "Enabled",
        NoncurrentVersionExpiration: { NoncurrentDays: 30 },
        ExpiredObjectDeleteMarker: true,
      }),
    );
    expect(rules).toContainEqual(
      expect.objectContaining({ Status: "Enabled", Prefix: "cache/", ExpirationInDays: 14 }),
    );
    expect(rules.filter((r) => r.Prefix === undefined && r.ExpirationInDays !== undefined)).toEqual([]);
  });

  it("refuses every request that is not over TLS", () => {
    // Prepare
    const policy = resource("StateBucketPolicy").Properties as {
      Bucket: unknown;
      PolicyDocument: { Statement: Record<string, unknown>[] };
    };

    // Assess
    expect(policy.Bucket).toEqual({ Ref: "StateBucket" });
    expect(policy.PolicyDocument.Statement).toContainEqual({
      Sid: "DenyInsecureTransport",
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: [{ "Fn::GetAtt": ["StateBucket", "Arn"] }, { "Fn::Sub": `\${StateBucket.Arn}/*` }],
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    });
  });

  it("names the bucket to every function, and grants each only its key prefixes: config/ written by the worker, verdicts/ by the health consumer, the fleet cache and routing/ by the worker (the webhook reads routing/)", () => {
    // Prepare
    const functions = byType("AWS::Lambda::Function");
    const s3Grants = (id: string) =>
      (
        resource(id).Properties.Policies as {
          PolicyDocument: { Statement: { Action: string[]; Resource: unknown[] }[] };
        }[]
      )
        .flatMap((p) => p.PolicyDocument.Statement)
        .filter((st) => st.Action.some((a) => a.startsWith("s3:")))
        .map((st) => `${st.Action.join(",")} ${JSON.stringify(st.Resource)}`);
    const bucket = `[{"Fn::GetAtt":["StateBucket","Arn"]}]`;
    const config = `[{"Fn::Sub":"\${StateBucket.Arn}/config/*"}]`;

    // Assess
    for (const [id, f] of functions) {
      const variables = (f.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(variables.PULLBRIDGE_STATE_BUCKET, id).toEqual({ Ref: "StateBucket" });
    }
    const verdicts = `[{"Fn::Sub":"\${StateBucket.Arn}/verdicts/*"}]`;
    const under = (prefix: string) => `{"Fn::Sub":"\${StateBucket.Arn}/${prefix}*"}`;
    // `config/` (issue 25): the worker writes the config in force, everyone else reads it.
    // `verdicts/` (issue 24): the health consumer records them, the worker reads them for dependsOn.
    // `heads/`, `cache/`, `routing/` (issue 26): the worker's; the webhook reads `routing/`.
    expect(s3Grants("WorkerRole")).toEqual([
      `s3:ListBucket ${bucket}`,
      `s3:GetObject ${verdicts}`,
      `s3:GetObject,s3:PutObject,s3:DeleteObject [${["config/", "heads/", "cache/trees/", "cache/renders/", "routing/"].map(under).join(",")}]`,
    ]);
    expect(s3Grants("HealthRole")).toEqual([
      `s3:ListBucket ${bucket}`,
      `s3:GetObject ${config}`,
      `s3:GetObject,s3:PutObject,s3:DeleteObject ${verdicts}`,
    ]);
    expect(s3Grants("WebhookRole")).toEqual([
      `s3:ListBucket ${bucket}`,
      `s3:GetObject [${["config/", "routing/"].map(under).join(",")}]`,
    ]);
    for (const id of ["DriftRole", "ImagesIntakeRole", "ImagesRole"]) {
      expect(s3Grants(id), id).toEqual([`s3:ListBucket ${bucket}`, `s3:GetObject ${config}`]);
    }
  });

  it("still passes cfn-lint when a role is granted state prefixes with infra/iam.ts's helper", async () => {
    // Prepare: the packaged template, with the health role granted two prefixes.
    const granted = structuredClone(template) as Template;
    const health = granted.Resources.HealthRole?.Properties as {
      Policies: { PolicyDocument: { Statement: unknown[] } }[];
    };
    health.Policies[0]?.PolicyDocument.Statement.push(
      ...statePrefixStatements([
        { prefix: "verdicts/", access: "read-write" },
        { prefix: "config/", access: "read" },
      ]),
    );
    const file = join(packageDir, "granted-template.json");
    await writeFile(file, JSON.stringify(granted));

    // Act
    const findings = await cfnLint(file);

    // Assess
    expect(JSON.stringify(granted.Resources.HealthRole)).toContain(`\${StateBucket.Arn}/verdicts/*`);
    expect(findings.filter((f) => !KEPT_CFN_LINT_WARNINGS.has(f.Rule.Id)).map(describeFinding)).toEqual([]);
  });
});

describe("serverless.yml: clusters in other accounts and private endpoints", () => {
  const SUBNETS = "subnet-0123456789abcdef0,subnet-0fedcba9876543210";
  const GROUP = "sg-0123456789abcdef0";
  const packageWith = async (name: string, params: string[]) => {
    const out = await mkdtemp(join(tmpdir(), `pullbridge-package-${name}-`));
    await osls([
      ...["package", "--stage", "ci", "--region", "eu-west-1", "--package", out],
      ...["--param", "targetsFile=test/fixtures/deploy/targets-multi-account.yaml"],
      ...params.flatMap((p) => ["--param", p]),
    ]);
    const file = join(out, "cloudformation-template-update-stack.json");
    return { out, file, template: JSON.parse(await readFile(file, "utf8")) as Template };
  };
  const statementsOf = (t: Template, id: string) =>
    (
      (t.Resources[id]?.Properties.Policies ?? []) as {
        PolicyDocument: { Statement: { Action: string[]; Resource: unknown[] }[] };
      }[]
    ).flatMap((p) => p.PolicyDocument.Statement);
  let inVpc: Awaited<ReturnType<typeof packageWith>>;
  let withEndpoints: Awaited<ReturnType<typeof packageWith>>;

  beforeAll(async () => {
    inVpc = await packageWith("vpc", [`vpcSubnetIds=${SUBNETS}`, `vpcSecurityGroupIds=${GROUP}`]);
    withEndpoints = await packageWith("vpce", [
      `vpcSubnetIds=${SUBNETS}`,
      `vpcSecurityGroupIds=${GROUP}`,
      "vpcEndpoints=true",
      "vpcId=vpc-0123456789abcdef0",
      "vpcRouteTableIds=rtb-0123456789abcdef0",
    ]);
  }, 600_000);

  it("lets the worker and health functions assume exactly the roles the targets file names", () => {
    // Prepare
    const assumable = (id: string) =>
      statementsOf(inVpc.template, id)
        .filter((s) => s.Action.includes("sts:AssumeRole"))
        .flatMap((s) => s.Resource);

    // Assess
    expect(assumable("WorkerRole")).toEqual([
      "arn:aws:iam::111111111111:role/pullbridge-deployer",
      "arn:aws:iam::222222222222:role/pullbridge-deployer",
      "arn:aws:iam::333333333333:role/pullbridge-deployer",
    ]);
    expect(assumable("HealthRole")).toEqual([
      "arn:aws:iam::111111111111:role/pullbridge-deployer",
      "arn:aws:iam::222222222222:role/pullbridge-health",
      "arn:aws:iam::333333333333:role/pullbridge-health",
    ]);
    for (const id of ["WebhookRole", "DriftRole", "ImagesIntakeRole", "ImagesRole"]) {
      expect(JSON.stringify(statementsOf(inVpc.template, id)), id).not.toContain("sts:");
    }
    // Clusters reached through a role are described with its credentials: only the own-account one here.
    expect(
      statementsOf(inVpc.template, "WorkerRole")
        .filter((s) => s.Action.includes("eks:DescribeCluster"))
        .flatMap((s) => s.Resource),
    ).toEqual([{ "Fn::Sub": `arn:\${AWS::Partition}:eks:eu-west-1:\${AWS::AccountId}:cluster/tools` }]);
    // And still no wildcard anywhere in an inline policy (but a state-bucket key prefix).
    for (const id of ["WorkerRole", "HealthRole"]) {
      for (const s of statementsOf(inVpc.template, id))
        for (const r of s.Resource) {
          const text = JSON.stringify(r);
          if (!STATE_PREFIX_GRANT.test(text)) expect(text, id).not.toContain("*");
        }
    }
  });

  it("places only the worker and health functions in the VPC, with the ENI permissions, and passes cfn-lint", async () => {
    // Prepare
    const functions = Object.entries(inVpc.template.Resources).filter(
      ([, r]) => r.Type === "AWS::Lambda::Function",
    );

    // Act
    const findings = await cfnLint(inVpc.file);

    // Assess
    const placed = functions.filter(([, f]) => f.Properties.VpcConfig !== undefined).map(([id]) => id);
    expect(placed.sort()).toEqual(["HealthLambdaFunction", "WorkerLambdaFunction"]);
    expect(inVpc.template.Resources.WorkerLambdaFunction?.Properties.VpcConfig).toEqual({
      SecurityGroupIds: [GROUP],
      SubnetIds: SUBNETS.split(","),
    });
    for (const id of ["WorkerRole", "HealthRole"]) {
      expect(inVpc.template.Resources[id]?.Properties.ManagedPolicyArns, id).toEqual([
        { "Fn::Sub": `arn:\${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole` },
      ]);
    }
    expect(Object.keys(inVpc.template.Resources).filter((id) => id.startsWith("VpcEndpoint"))).toEqual([]);
    expect(template.Resources.WorkerLambdaFunction?.Properties.VpcConfig).toBeUndefined();
    expect(findings.filter((f) => !KEPT_CFN_LINT_WARNINGS.has(f.Rule.Id)).map(describeFinding)).toEqual([]);
  });

  it("creates the VPC endpoints the functions need when vpcEndpoints=true, and passes cfn-lint", async () => {
    // Act
    const findings = await cfnLint(withEndpoints.file);

    // Assess
    const endpoints = Object.values(withEndpoints.template.Resources).filter(
      (r) => r.Type === "AWS::EC2::VPCEndpoint",
    );
    const services = endpoints.map((r) => {
      const name = (r.Properties.ServiceName as { "Fn::Sub": string })["Fn::Sub"];
      return `${name.replace(`com.amazonaws.\${AWS::Region}.`, "")} ${r.Properties.VpcEndpointType}`;
    });
    expect(services.sort()).toEqual([
      "eks Interface",
      "kms Interface",
      "logs Interface",
      "monitoring Interface",
      "s3 Gateway",
      "secretsmanager Interface",
      "sqs Interface",
      "ssm Interface",
      "sts Interface",
    ]);
    for (const endpoint of endpoints.filter((r) => r.Properties.VpcEndpointType === "Interface")) {
      expect(endpoint.Properties).toMatchObject({
        VpcId: "vpc-0123456789abcdef0",
        SubnetIds: SUBNETS.split(","),
        SecurityGroupIds: [{ Ref: "VpcEndpointSecurityGroup" }],
        PrivateDnsEnabled: true,
      });
    }
    expect(
      withEndpoints.template.Resources.VpcEndpointSecurityGroup?.Properties.SecurityGroupIngress,
    ).toEqual([
      {
        IpProtocol: "tcp",
        FromPort: 443,
        ToPort: 443,
        SourceSecurityGroupId: GROUP,
        Description: "pullbridge functions",
      },
    ]);
    expect(findings.filter((f) => !KEPT_CFN_LINT_WARNINGS.has(f.Rule.Id)).map(describeFinding)).toEqual([]);
    await rm(inVpc.out, { recursive: true, force: true });
    await rm(withEndpoints.out, { recursive: true, force: true });
  });

  it.each([
    ["targets-unknown-region.yaml", [], "clusters.prod-us.region: is not an AWS region"],
    ["targets-malformed-role.yaml", [], "clusters.staging.healthRoleArn: must be an IAM role ARN"],
    [
      "targets-multi-account.yaml",
      ["vpcSubnetIds=subnet-1"],
      '--param vpcSubnetIds: item 1 "subnet-1" is not a subnet- id',
    ],
  ])("fails packaging %s %j, naming the field", async (file, params, expected) => {
    // Act
    const failure = await osls([
      ...["package", "--stage", "ci", "--param", `targetsFile=test/fixtures/deploy/${file}`],
      ...params.flatMap((p) => ["--param", p]),
    ]).then(
      () => "packaged",
      (error: { stdout?: string; stderr?: string }) => `${error.stdout ?? ""}${error.stderr ?? ""}`,
    );

    // Assess
    expect(failure).toContain(expected);
  });
});

describe("serverless.yml: SOPS decryption keys", () => {
  const KMS_KEYS = [
    "arn:aws:kms:eu-west-1:111111111111:key/0a1b2c3d-4e5f-6789-abcd-ef0123456789",
    "arn:aws:kms:eu-west-1:111111111111:key/9f8e7d6c-5b4a-3210-fedc-ba9876543210",
  ];
  let out: string;
  let file: string;
  let template: Template;
  const statementsOf = (id: string) =>
    (
      (template.Resources[id]?.Properties.Policies ?? []) as {
        PolicyDocument: { Statement: { Action: string[]; Resource: unknown[] }[] };
      }[]
    ).flatMap((p) => p.PolicyDocument.Statement);
  const resourcesFor = (id: string, action: string) =>
    statementsOf(id)
      .filter((s) => s.Action.includes(action))
      .flatMap((s) => s.Resource);

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), "pullbridge-package-sops-"));
    await osls([
      ...["package", "--stage", "ci", "--region", "eu-west-1", "--package", out],
      ...["--param", "targetsFile=test/fixtures/deploy/targets-sops-keys.yaml"],
    ]);
    file = join(out, "cloudformation-template-update-stack.json");
    template = JSON.parse(await readFile(file, "utf8")) as Template;
  }, 600_000);
  afterAll(async () => {
    if (out) await rm(out, { recursive: true, force: true });
  });

  it("lets the worker kms:Decrypt exactly the stack file's keys and read exactly its age keys; no other role either", async () => {
    // Act
    const findings = await cfnLint(file);

    // Assess
    expect(resourcesFor("WorkerRole", "kms:Decrypt")).toEqual(KMS_KEYS);
    expect(resourcesFor("WorkerRole", "ssm:GetParameter")).toContainEqual({
      "Fn::Sub": `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/pullbridge/age/payments`,
    });
    expect(resourcesFor("WorkerRole", "secretsmanager:GetSecretValue")).toEqual([
      {
        "Fn::Sub": `arn:\${AWS::Partition}:secretsmanager:\${AWS::Region}:\${AWS::AccountId}:secret:pullbridge/age/shop-??????`,
      },
    ]);
    for (const id of ["WebhookRole", "HealthRole", "DriftRole", "ImagesIntakeRole", "ImagesRole"]) {
      const text = JSON.stringify(statementsOf(id));
      expect(text, id).not.toContain("kms:");
      expect(text, id).not.toContain("age/");
    }
    // No wildcard but the state bucket's key prefixes (config/, verdicts/).
    for (const s of statementsOf("WorkerRole")) {
      for (const r of s.Resource) {
        const text = JSON.stringify(r);
        if (!STATE_PREFIX_GRANT.test(text)) expect(text).not.toContain("*");
      }
    }
    expect(findings.filter((f) => f.Level === "Error").map(describeFinding)).toEqual([]);
    expect(findings.filter((f) => !KEPT_CFN_LINT_WARNINGS.has(f.Rule.Id)).map(describeFinding)).toEqual([]);
  });
});
