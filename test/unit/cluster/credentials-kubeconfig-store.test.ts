import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SSMClient } from "@aws-sdk/client-ssm";
import { afterEach, describe, expect, it } from "vitest";
import { createClusterCredentialsResolver } from "../../../lib/cluster/adapters/credentials-resolver.ts";
import type { EksClusterInfoSource } from "../../../lib/cluster/adapters/eks-cluster-info.ts";
import { createEksTokenCache } from "../../../lib/cluster/eks-token-cache.ts";
import { createParametersSecretReader } from "../../../lib/config/adapters/read-secrets.ts";
import { ConfigError, DependencyError } from "../../../lib/errors.ts";

// Kubeconfigs stored in SSM Parameter Store or Secrets Manager, read by the resolver through the
// shared Powertools reader (lib/config/adapters/read-secrets.ts). AWS is a unit-level fake of the two
// JSON 1.1 operations involved (GetParameter, GetSecretValue), driven by the real SDK clients.

type Call = { target: string; body: Record<string, unknown> };
type Answer = { status: number; body: unknown };
type FakeStores = {
  url: string;
  calls: Call[];
  parameters: Map<string, Answer>;
  secrets: Map<string, Answer>;
};

const KUBECONFIG = "apiVersion: v1\nkind: Config\nclusters: []\n";

const ok = (body: unknown): Answer => ({ status: 200, body });
const fault = (status: number, type: string, message = type): Answer => ({
  status,
  body: { __type: type, message },
});

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function startFakeStores(): Promise<FakeStores> {
  const calls: Call[] = [];
  const parameters = new Map<string, Answer>();
  const secrets = new Map<string, Answer>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const target = String(req.headers["x-amz-target"] ?? "");
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as Record<string, unknown>;
      calls.push({ target, body });
      const answer =
        target === "AmazonSSM.GetParameter"
          ? (parameters.get(String(body.Name)) ?? fault(400, "ParameterNotFound"))
          : target === "secretsmanager.GetSecretValue"
            ? (secrets.get(String(body.SecretId)) ??
              fault(400, "ResourceNotFoundException", "Secrets Manager can't find the specified secret."))
            : fault(400, "UnknownOperationException");
      res.writeHead(answer.status, { "content-type": "application/x-amz-json-1.1" });
      res.end(JSON.stringify(answer.body));
    });
  });
  servers.push(server);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, calls, parameters, secrets };
}

function resolverFor(stores: FakeStores, maxAgeSeconds = 300) {
  const clientConfig = {
    region: "eu-west-1",
    endpoint: stores.url,
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
    maxAttempts: 1,
  };
  const unusedEks: EksClusterInfoSource = {
    describe: async () => {
      throw new Error("EKS is not involved in kubeconfig tests");
    },
  };
  return createClusterCredentialsResolver({
    clusterInfo: unusedEks,
    tokens: createEksTokenCache({ credentials: clientConfig.credentials, now: () => new Date(0) }),
    secrets: createParametersSecretReader({
      maxAgeSeconds,
      ssmClient: new SSMClient(clientConfig),
      secretsManagerClient: new SecretsManagerClient(clientConfig),
    }),
  });
}

function parameter(name: string, value: string): Answer {
  return ok({ Parameter: { Name: name, Type: "SecureString", Value: value, Version: 1 } });
}

const kubeconfigAt = (source: string) => ({ cluster: { type: "kubeconfig" as const, source } });

describe("kubeconfig from SSM / Secrets Manager through the shared Powertools reader", () => {
  it("reads an SSM SecureString with decryption", async () => {
    // Prepare
    const stores = await startFakeStores();
    stores.parameters.set(
      "/pullbridge/prod/kubeconfig",
      parameter("/pullbridge/prod/kubeconfig", KUBECONFIG),
    );
    const resolver = resolverFor(stores);

    // Act
    const { credentials } = await resolver.resolve(kubeconfigAt("ssm:/pullbridge/prod/kubeconfig"));

    // Assess
    expect(credentials).toEqual({ kind: "kubeconfig", kubeconfig: KUBECONFIG });
    expect(stores.calls).toEqual([
      {
        target: "AmazonSSM.GetParameter",
        body: { Name: "/pullbridge/prod/kubeconfig", WithDecryption: true },
      },
    ]);
  });

  it("reads a Secrets Manager secret string, by name or ARN", async () => {
    // Prepare
    const arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:kube-AbCdEf";
    const stores = await startFakeStores();
    stores.secrets.set("pullbridge/kube", ok({ Name: "pullbridge/kube", SecretString: KUBECONFIG }));
    stores.secrets.set(arn, ok({ Name: "kube", SecretString: "other" }));
    const resolver = resolverFor(stores);

    // Act
    const byName = await resolver.resolve(kubeconfigAt("secretsmanager:pullbridge/kube"));
    const byArn = await resolver.resolve(kubeconfigAt(`secretsmanager:${arn}`));

    // Assess
    expect(byName.credentials).toEqual({ kind: "kubeconfig", kubeconfig: KUBECONFIG });
    expect(byArn.credentials).toEqual({ kind: "kubeconfig", kubeconfig: "other" });
    expect(stores.calls.map((c) => c.body.SecretId)).toEqual(["pullbridge/kube", arn]);
  });

  it("decodes a binary secret as UTF-8", async () => {
    // Prepare
    const stores = await startFakeStores();
    stores.secrets.set("bin", ok({ Name: "bin", SecretBinary: Buffer.from(KUBECONFIG).toString("base64") }));
    const resolver = resolverFor(stores);

    // Act
    const { credentials } = await resolver.resolve(kubeconfigAt("secretsmanager:bin"));

    // Assess
    expect(credentials).toEqual({ kind: "kubeconfig", kubeconfig: KUBECONFIG });
  });

  it("asks each store once per container while maxAge lasts", async () => {
    // Prepare
    const stores = await startFakeStores();
    stores.parameters.set("/k", parameter("/k", KUBECONFIG));
    stores.secrets.set("s", ok({ Name: "s", SecretString: KUBECONFIG }));
    const resolver = resolverFor(stores, 300);

    // Act
    for (let i = 0; i < 3; i++) {
      await resolver.resolve(kubeconfigAt("ssm:/k"));
      await resolver.resolve(kubeconfigAt("secretsmanager:s"));
    }

    // Assess
    expect(stores.calls.map((c) => c.target)).toEqual([
      "AmazonSSM.GetParameter",
      "secretsmanager.GetSecretValue",
    ]);
  });

  it("asks again every time when maxAge is 0", async () => {
    // Prepare
    const stores = await startFakeStores();
    stores.parameters.set("/k", parameter("/k", KUBECONFIG));
    const resolver = resolverFor(stores, 0);

    // Act
    await resolver.resolve(kubeconfigAt("ssm:/k"));
    await resolver.resolve(kubeconfigAt("ssm:/k"));

    // Assess
    expect(stores.calls).toHaveLength(2);
  });

  it.each([
    ["a missing SSM parameter", "ssm:/missing", undefined],
    ["a missing secret", "secretsmanager:missing", undefined],
    [
      "denied access",
      "ssm:/denied",
      fault(400, "AccessDeniedException", "not authorized to perform ssm:GetParameter"),
    ],
  ] as const)("turns %s into a permanent ConfigError naming the reference", async (_, ref, answer) => {
    // Prepare
    const stores = await startFakeStores();
    if (answer !== undefined) stores.parameters.set("/denied", answer);
    const resolver = resolverFor(stores);

    // Act
    const result = resolver.resolve(kubeconfigAt(ref));

    // Assess
    await expect(result).rejects.toBeInstanceOf(ConfigError);
    await expect(result).rejects.toMatchObject({ field: ref, retryable: false });
  });

  it.each([
    ["throttling", fault(400, "ThrottlingException", "Rate exceeded")],
    ["an internal error", fault(500, "InternalServerError")],
  ] as const)("turns %s into a retryable DependencyError", async (_, answer) => {
    // Prepare
    const stores = await startFakeStores();
    stores.parameters.set("/busy", answer);
    const resolver = resolverFor(stores);

    // Act
    const result = resolver.resolve(kubeconfigAt("ssm:/busy"));

    // Assess
    await expect(result).rejects.toBeInstanceOf(DependencyError);
    await expect(result).rejects.toMatchObject({ retryable: true });
  });
});
