import { describe, expect, it } from "vitest";
import { packTargets } from "../../../lib/config/packaged-targets.ts";
import { parseTargetsYaml } from "../../../lib/config/targets.ts";
import { loadWebhookEnv } from "../../../lib/config/webhook-env.ts";
import { ConfigError } from "../../../lib/errors.ts";

const TARGETS_YAML = `version: 1
clusters:
  prod: { type: eks, name: prod }
targets:
  - { name: web, repo: acme/app, path: apps/web, cluster: prod, namespace: web }
`;
/** What `osls package` writes for the webhook (infra/deployment-vars.ts). */
const TARGETS_JSON = packTargets(parseTargetsYaml(TARGETS_YAML), "infra/targets.yaml");

const base = {
  PULLBRIDGE_QUEUE_URL: "https://sqs.eu-west-1.amazonaws.com/123456789012/pullbridge-jobs.fifo",
  PULLBRIDGE_WEBHOOK_SECRET_PARAMETER: "/pullbridge/prod/webhook-secret",
  PULLBRIDGE_TARGETS_FILE: ".build/targets.json",
  LAMBDA_TASK_ROOT: "/var/task",
};

function load(
  env: Record<string, string | undefined>,
  files: Record<string, string> = { "/var/task/.build/targets.json": TARGETS_JSON },
) {
  return loadWebhookEnv(env, {
    readFile: (path) => {
      const text = files[path];
      if (text === undefined) throw new Error(`ENOENT: ${path}`);
      return text;
    },
  });
}

function configErrorField(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.field;
    throw error;
  }
  return undefined;
}

describe("loadWebhookEnv", () => {
  it("reads the queue, the packaged targets file (relative to the task root) and the secret references", () => {
    // Act
    const env = load(base);

    // Assess
    expect(env).toMatchObject({
      queueUrl: base.PULLBRIDGE_QUEUE_URL,
      sqsEndpoint: undefined,
      secrets: { kind: "store", refs: ["/pullbridge/prod/webhook-secret"] },
      maxBodyBytes: 1024 * 1024,
      secretsMaxAgeSeconds: 300,
      localMode: false,
    });
    expect(env.targets.targets.map((t) => t.name)).toEqual(["web"]);
  });

  it("accepts several secret references for rotation, in either store", () => {
    // Act
    const env = load({
      ...base,
      PULLBRIDGE_WEBHOOK_SECRET_PARAMETER: "ssm:/pullbridge/new, secretsmanager:pullbridge/old",
    });

    // Assess
    expect(env.secrets).toEqual({
      kind: "store",
      refs: ["ssm:/pullbridge/new", "secretsmanager:pullbridge/old"],
    });
  });

  it("takes the packaged targets inline from PULLBRIDGE_TARGETS_JSON", () => {
    // Act
    const env = load(
      { ...base, PULLBRIDGE_TARGETS_FILE: undefined, PULLBRIDGE_TARGETS_JSON: TARGETS_JSON },
      {},
    );

    // Assess
    expect(env.targets.targets[0]?.repo).toBe("acme/app");
  });

  it("allows the secret in the environment only in local mode", () => {
    // Prepare
    const withLiteral = {
      ...base,
      PULLBRIDGE_WEBHOOK_SECRET_PARAMETER: undefined,
      PULLBRIDGE_WEBHOOK_SECRET: "s3cret",
    };

    // Act
    const field = configErrorField(() => load(withLiteral));
    const local = load({ ...withLiteral, PULLBRIDGE_LOCAL_MODE: "1" });

    // Assess
    expect(field).toBe("PULLBRIDGE_WEBHOOK_SECRET");
    expect(local.secrets).toEqual({ kind: "inline", secrets: ["s3cret"] });
    expect(local.localMode).toBe(true);
  });

  it("never puts the secret value in its error message", () => {
    // Act
    let message = "";
    try {
      load({ ...base, PULLBRIDGE_WEBHOOK_SECRET: "do-not-print-me" });
    } catch (error) {
      message = (error as Error).message;
    }

    // Assess
    expect(message).toContain("PULLBRIDGE_WEBHOOK_SECRET");
    expect(message).not.toContain("do-not-print-me");
  });

  it.each([
    ["PULLBRIDGE_QUEUE_URL", { PULLBRIDGE_QUEUE_URL: undefined }],
    ["PULLBRIDGE_QUEUE_URL", { PULLBRIDGE_QUEUE_URL: "not a url" }],
    ["PULLBRIDGE_WEBHOOK_SECRET_PARAMETER", { PULLBRIDGE_WEBHOOK_SECRET_PARAMETER: undefined }],
    ["PULLBRIDGE_WEBHOOK_SECRET_PARAMETER[1]", { PULLBRIDGE_WEBHOOK_SECRET_PARAMETER: "/ok,vault:nope" }],
    ["PULLBRIDGE_WEBHOOK_MAX_BODY_BYTES", { PULLBRIDGE_WEBHOOK_MAX_BODY_BYTES: "1MB" }],
    ["PULLBRIDGE_WEBHOOK_MAX_BODY_BYTES", { PULLBRIDGE_WEBHOOK_MAX_BODY_BYTES: "99999999999" }],
    ["PULLBRIDGE_SECRETS_MAX_AGE_SECONDS", { PULLBRIDGE_SECRETS_MAX_AGE_SECONDS: "-1" }],
    ["PULLBRIDGE_TARGETS_FILE", { PULLBRIDGE_TARGETS_FILE: "missing.yaml" }],
    ["PULLBRIDGE_TARGETS_JSON", { PULLBRIDGE_TARGETS_JSON: TARGETS_JSON }],
    ["PULLBRIDGE_SQS_ENDPOINT", { PULLBRIDGE_SQS_ENDPOINT: "::" }],
  ])("names %s when it is wrong", (field, overrides) => {
    // Act
    const actual = configErrorField(() => load({ ...base, ...overrides }));

    // Assess
    expect(actual).toBe(field);
  });

  it("refuses a targets file that is not the packaged form, naming the variable", () => {
    // Act: the YAML itself (validated at package time, never read by the webhook), then broken JSON.
    const yaml = configErrorField(() => load(base, { "/var/task/.build/targets.json": TARGETS_YAML }));
    const foreign = configErrorField(() => load(base, { "/var/task/.build/targets.json": '{"version":1}' }));

    // Assess
    expect(yaml).toBe("PULLBRIDGE_TARGETS_FILE");
    expect(foreign).toBe("PULLBRIDGE_TARGETS_FILE");
  });

  it("reads back exactly the validated targets, defaults filled in", () => {
    // Act
    const env = load(base);

    // Assess
    expect(env.targets).toEqual(parseTargetsYaml(TARGETS_YAML));
  });
});
