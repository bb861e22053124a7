import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EKSClient } from "@aws-sdk/client-eks";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SSMClient } from "@aws-sdk/client-ssm";
import { ApiException, AuthenticationV1Api, type KubeConfig, VersionApi } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  type ClusterCredentials,
  type ClusterCredentialsResolver,
  createClusterCredentialsResolver,
} from "../../../lib/cluster/adapters/credentials-resolver.ts";
import { createEksClusterInfoSource } from "../../../lib/cluster/adapters/eks-cluster-info.ts";
import { EKS_TOKEN_PREFIX } from "../../../lib/cluster/adapters/eks-token.ts";
import { kubeConfigFromText, kubeConfigFromToken } from "../../../lib/cluster/adapters/kube-config.ts";
import { createEksTokenCache } from "../../../lib/cluster/eks-token-cache.ts";
import { createParametersSecretReader } from "../../../lib/config/adapters/read-secrets.ts";
import { WORKER_USER } from "../../support/control-plane/control-plane.ts";
import { kubeConfigFor } from "../../support/kube.ts";

// The credentials resolver wired with its real adapters (Powertools + SSM / Secrets Manager
// clients, EKS client) against local fakes of those AWS APIs, and the credentials it returns
// used against the real kube-apiserver of the test control plane.

const SSM_NAME = "/pullbridge/it/kubeconfig";
const SECRET_NAME = "pullbridge/it/kubeconfig";
const EKS_CLUSTER = "it-cluster";
const AWS_TEST_CLIENT = {
  region: "eu-west-1",
  credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" },
  maxAttempts: 1,
};

/** One local HTTP server speaking SSM GetParameter, Secrets Manager GetSecretValue and EKS DescribeCluster. */
async function startFakeAws(answers: {
  kubeconfig: string;
  server: string;
  caData: string;
}): Promise<Server> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const target = String(req.headers["x-amz-target"] ?? "");
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as Record<string, unknown>;
      let status = 200;
      let reply: unknown;
      if (target === "AmazonSSM.GetParameter" && body.Name === SSM_NAME) {
        reply = { Parameter: { Name: SSM_NAME, Type: "SecureString", Value: answers.kubeconfig } };
      } else if (target === "secretsmanager.GetSecretValue" && body.SecretId === SECRET_NAME) {
        reply = { Name: SECRET_NAME, SecretString: answers.kubeconfig };
      } else if (req.method === "GET" && req.url === `/clusters/${EKS_CLUSTER}`) {
        reply = {
          cluster: {
            name: EKS_CLUSTER,
            status: "ACTIVE",
            endpoint: answers.server,
            certificateAuthority: { data: answers.caData },
          },
        };
      } else {
        status = 400;
        reply = { __type: "ResourceNotFoundException", message: "not found" };
      }
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(reply));
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return server;
}

/** The KubeConfig the cluster-client factory builds from resolved credentials. */
function kubeConfigFromCredentials(credentials: ClusterCredentials): KubeConfig {
  return credentials.kind === "kubeconfig"
    ? kubeConfigFromText({ text: credentials.kubeconfig, context: credentials.context })
    : kubeConfigFromToken(credentials);
}

async function whoAmI(kc: KubeConfig): Promise<string | undefined> {
  const review = await kc.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: {} });
  return review.status?.userInfo?.username;
}

describe("cluster credentials resolver against the real API server", () => {
  let fakeAws: Server;
  let workDir: string;
  let kubeconfigText: string;
  let resolver: ClusterCredentialsResolver;

  beforeAll(async () => {
    const cp = inject("controlPlane");
    kubeconfigText = kubeConfigFor("worker").exportConfig();
    fakeAws = await startFakeAws({
      kubeconfig: kubeconfigText,
      server: cp.server,
      caData: Buffer.from(cp.caPem).toString("base64"),
    });
    const endpoint = `http://127.0.0.1:${(fakeAws.address() as AddressInfo).port}`;
    workDir = await mkdtemp(join(tmpdir(), "pullbridge-credentials-"));
    await writeFile(join(workDir, "kubeconfig"), kubeconfigText);

    resolver = createClusterCredentialsResolver({
      clusterInfo: createEksClusterInfoSource({
        clientFor: (region) => new EKSClient({ ...AWS_TEST_CLIENT, region, endpoint }),
      }),
      tokens: createEksTokenCache({ credentials: AWS_TEST_CLIENT.credentials, now: () => new Date() }),
      secrets: createParametersSecretReader({
        ssmClient: new SSMClient({ ...AWS_TEST_CLIENT, endpoint }),
        secretsManagerClient: new SecretsManagerClient({ ...AWS_TEST_CLIENT, endpoint }),
      }),
      localMode: true,
    });
  });

  afterAll(async () => {
    await new Promise((resolve) => fakeAws.close(resolve));
    await rm(workDir, { recursive: true, force: true });
  });

  it.each([`ssm:${SSM_NAME}`, `secretsmanager:${SECRET_NAME}`, "file:<workdir>/kubeconfig"])(
    "resolves a kubeconfig from %s that authenticates as the worker",
    async (template) => {
      // Prepare
      const source = template.replace("<workdir>", workDir);

      // Act
      const { credentials } = await resolver.resolve({ cluster: { type: "kubeconfig", source } });

      // Assess
      expect(credentials).toEqual({ kind: "kubeconfig", kubeconfig: kubeconfigText });
      expect(await whoAmI(kubeConfigFromCredentials(credentials))).toBe(WORKER_USER);
    },
  );

  it("resolves an EKS cluster to its endpoint and CA, and presents the STS token as the bearer", async () => {
    // Prepare
    const cp = inject("controlPlane");

    // Act
    const { credentials } = await resolver.resolve({
      cluster: { type: "eks", name: EKS_CLUSTER, region: "eu-west-1" },
    });

    // Assess: TLS is trusted through caData, and the API server answers 401 to the bearer token
    // rather than a TLS failure (its token webhook knows no secret for these fixed test keys).
    expect(credentials.kind).toBe("token");
    if (credentials.kind !== "token") return;
    expect(credentials.server).toBe(cp.server);
    const url = new URL(
      Buffer.from(credentials.token.slice(EKS_TOKEN_PREFIX.length), "base64url").toString(),
    );
    expect(url.host).toBe("sts.eu-west-1.amazonaws.com");
    expect(url.searchParams.get("X-Amz-SignedHeaders")).toBe("host;x-k8s-aws-id");
    const status = await kubeConfigFromCredentials(credentials)
      .makeApiClient(VersionApi)
      .getCode()
      .then(
        () => 200,
        (error: unknown) => (error instanceof ApiException ? error.code : String(error)),
      );
    expect(status).toBe(401);
  });
});
