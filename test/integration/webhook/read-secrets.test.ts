/** The Powertools-backed secret reader with the real SDK clients, over HTTP to a local AWS JSON endpoint. */
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SSMClient } from "@aws-sdk/client-ssm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createParametersSecretReader, readSecretList } from "../../../lib/config/adapters/read-secrets.ts";
import { ConfigError, DependencyError } from "../../../lib/errors.ts";
import { startAwsJsonStub } from "./aws-json-stub.ts";

let stub: Awaited<ReturnType<typeof startAwsJsonStub>>;
const clientConfig = () => ({
  endpoint: stub.endpoint,
  region: "us-east-1",
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
  maxAttempts: 1,
});
const reader = (maxAgeSeconds = 300) =>
  createParametersSecretReader({
    maxAgeSeconds,
    ssmClient: new SSMClient(clientConfig()),
    secretsManagerClient: new SecretsManagerClient(clientConfig()),
  });

beforeAll(async () => {
  stub = await startAwsJsonStub();
});
afterAll(async () => {
  await stub.close();
});
beforeEach(() => {
  stub.state.ssm.clear();
  stub.state.secrets.clear();
  stub.state.calls.length = 0;
  stub.state.failWith = undefined;
});

describe("Powertools secret reader", () => {
  it("reads an SSM SecureString and a Secrets Manager secret, and unions their secrets", async () => {
    // Prepare
    stub.state.ssm.set("/pullbridge/prod/webhook-secret", "current-secret");
    stub.state.secrets.set("pullbridge/webhook-previous", '{"previous":"old-secret"}');

    // Act
    const secrets = await readSecretList(reader(), [
      "/pullbridge/prod/webhook-secret",
      "secretsmanager:pullbridge/webhook-previous",
    ]);

    // Assess
    expect(secrets).toEqual(["current-secret", "old-secret"]);
    expect(stub.state.calls.sort()).toEqual(["AmazonSSM.GetParameter", "secretsmanager.GetSecretValue"]);
  });

  it("reads once per container within maxAge (warm invocations make no call)", async () => {
    // Prepare
    stub.state.ssm.set("/p", "s");
    const cached = reader(300);

    // Act
    for (let i = 0; i < 5; i++) await cached.read("ssm:/p");

    // Assess
    expect(stub.state.calls).toEqual(["AmazonSSM.GetParameter"]);
  });

  it("picks up a rotated value once maxAge has passed", async () => {
    // Prepare
    stub.state.ssm.set("/p", "before");
    const uncached = reader(0);
    const first = await uncached.read("/p");
    stub.state.ssm.set("/p", "after");

    // Act
    const second = await uncached.read("/p");

    // Assess
    expect([first, second]).toEqual(["before", "after"]);
  });

  it("reports a missing secret as a ConfigError naming the reference", async () => {
    // Act
    const attempt = reader().read("ssm:/nope");

    // Assess
    await expect(attempt).rejects.toThrow(ConfigError);
    await expect(attempt).rejects.toThrow("ssm:/nope: secret not found or not readable by this function");
  });

  it("reports an unavailable store as a retryable DependencyError", async () => {
    // Prepare
    stub.state.failWith = 503;

    // Act
    const attempt = reader().read("secretsmanager:pullbridge/webhook");

    // Assess
    await expect(attempt).rejects.toThrow(DependencyError);
  });
});
