import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { EKSClient } from "@aws-sdk/client-eks";
import { afterEach, describe, expect, it } from "vitest";
import { createEksClusterInfoSource } from "../../../../lib/cluster/adapters/eks-cluster-info.ts";
import { ClusterError } from "../../../../lib/errors.ts";

// A unit-level fake of the EKS REST-JSON API (GET /clusters/{name}), since real AWS is not
// reachable from tests. Only DescribeCluster is spoken.

type FakeResponse = { status: number; errorType?: string; body: unknown };
type FakeEks = {
  url: string;
  requests: string[];
  respond: Map<string, FakeResponse>;
  close(): Promise<void>;
};

const CA_DATA = Buffer.from("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n").toString(
  "base64",
);

function activeCluster(
  name: string,
  endpoint = `https://${name}.gr7.eu-west-1.eks.amazonaws.com`,
): FakeResponse {
  return {
    status: 200,
    body: {
      cluster: {
        name,
        arn: `arn:aws:eks:eu-west-1:123456789012:cluster/${name}`,
        endpoint,
        certificateAuthority: { data: CA_DATA },
        status: "ACTIVE",
        version: "1.34",
      },
    },
  };
}

function awsError(status: number, errorType: string, message: string): FakeResponse {
  return { status, errorType, body: { message } };
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function startFakeEks(): Promise<FakeEks> {
  const requests: string[] = [];
  const respond = new Map<string, FakeResponse>();
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const match = /^\/clusters\/([^/?]+)$/.exec(req.url ?? "");
    const name = match?.[1] === undefined ? "" : decodeURIComponent(match[1]);
    const answer =
      respond.get(name) ?? awsError(404, "ResourceNotFoundException", `No cluster found for name: ${name}.`);
    res.writeHead(answer.status, {
      "content-type": "application/json",
      ...(answer.errorType === undefined ? {} : { "x-amzn-errortype": answer.errorType }),
    });
    res.end(JSON.stringify(answer.body));
  });
  servers.push(server);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    respond,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function clientFor(endpoint: string, regions: string[] = []) {
  return (region: string) => {
    regions.push(region);
    return new EKSClient({
      region,
      endpoint,
      credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
      // One attempt, so each fake response maps to one observable outcome.
      maxAttempts: 1,
    });
  };
}

async function rejectionOf(promise: Promise<unknown>): Promise<ClusterError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ClusterError);
  return error as ClusterError;
}

describe("createEksClusterInfoSource", () => {
  it("returns the endpoint and CA data from DescribeCluster", async () => {
    // Prepare
    const eks = await startFakeEks();
    eks.respond.set("prod-eu", activeCluster("prod-eu"));
    const source = createEksClusterInfoSource({ clientFor: clientFor(eks.url) });

    // Act
    const info = await source.describe({ name: "prod-eu", region: "eu-west-1" });

    // Assess
    expect(info).toEqual({ server: "https://prod-eu.gr7.eu-west-1.eks.amazonaws.com", caData: CA_DATA });
    expect(eks.requests).toEqual(["GET /clusters/prod-eu"]);
  });

  it("calls DescribeCluster once per cluster and container, even for concurrent lookups", async () => {
    // Prepare
    const eks = await startFakeEks();
    eks.respond.set("prod-eu", activeCluster("prod-eu"));
    const source = createEksClusterInfoSource({ clientFor: clientFor(eks.url) });

    // Act
    const [a, b] = await Promise.all([
      source.describe({ name: "prod-eu", region: "eu-west-1" }),
      source.describe({ name: "prod-eu", region: "eu-west-1" }),
    ]);
    const c = await source.describe({ name: "prod-eu", region: "eu-west-1" });

    // Assess
    expect(eks.requests).toEqual(["GET /clusters/prod-eu"]);
    expect(b).toEqual(a);
    expect(c).toEqual(a);
  });

  it("keeps clusters of the same name in different regions apart, with one client per region", async () => {
    // Prepare
    const eks = await startFakeEks();
    eks.respond.set("prod", activeCluster("prod"));
    const regions: string[] = [];
    const source = createEksClusterInfoSource({ clientFor: clientFor(eks.url, regions) });

    // Act
    await source.describe({ name: "prod", region: "eu-west-1" });
    await source.describe({ name: "prod", region: "us-east-1" });
    await source.describe({ name: "other", region: "eu-west-1" }).catch(() => undefined);

    // Assess
    expect(eks.requests).toEqual(["GET /clusters/prod", "GET /clusters/prod", "GET /clusters/other"]);
    expect(regions).toEqual(["eu-west-1", "us-east-1"]);
  });

  it.each([
    ["ResourceNotFoundException", 404, "No cluster found for name: prod-eu."],
    ["AccessDeniedException", 403, "User is not authorized to perform: eks:DescribeCluster"],
    ["InvalidParameterException", 400, "The name is invalid"],
  ])("maps %s to a permanent ClusterError naming the cluster", async (errorType, status, message) => {
    // Prepare
    const eks = await startFakeEks();
    eks.respond.set("prod-eu", awsError(status, errorType, message));
    const source = createEksClusterInfoSource({ clientFor: clientFor(eks.url) });

    // Act
    const error = await rejectionOf(source.describe({ name: "prod-eu", region: "eu-west-1" }));

    // Assess
    expect(error.retryable).toBe(false);
    expect(error.status).toBe(status);
    expect(error.message).toContain('EKS cluster "prod-eu" in eu-west-1');
    expect(error.message).toContain(errorType);
  });

  it.each([
    ["ThrottlingException", 429],
    ["ServerException", 500],
    ["ServiceUnavailableException", 503],
  ])("maps %s to a retryable ClusterError", async (errorType, status) => {
    // Prepare
    const eks = await startFakeEks();
    eks.respond.set("prod-eu", awsError(status, errorType, "try again"));
    const source = createEksClusterInfoSource({ clientFor: clientFor(eks.url) });

    // Act
    const error = await rejectionOf(source.describe({ name: "prod-eu", region: "eu-west-1" }));

    // Assess
    expect(error.retryable).toBe(true);
    expect(error.status).toBe(status);
  });

  it("maps a network failure to a retryable ClusterError", async () => {
    // Prepare: a port that was just closed refuses connections
    const eks = await startFakeEks();
    await eks.close();
    const source = createEksClusterInfoSource({ clientFor: clientFor(eks.url) });

    // Act
    const error = await rejectionOf(source.describe({ name: "prod-eu", region: "eu-west-1" }));

    // Assess
    expect(error.retryable).toBe(true);
    expect(error.status).toBeUndefined();
    expect(error.message).toContain("prod-eu");
  });

  it("does not cache failures: the next lookup asks again", async () => {
    // Prepare
    const eks = await startFakeEks();
    eks.respond.set("prod-eu", awsError(500, "ServerException", "boom"));
    const source = createEksClusterInfoSource({ clientFor: clientFor(eks.url) });
    await rejectionOf(source.describe({ name: "prod-eu", region: "eu-west-1" }));
    eks.respond.set("prod-eu", activeCluster("prod-eu"));

    // Act
    const info = await source.describe({ name: "prod-eu", region: "eu-west-1" });

    // Assess
    expect(info.caData).toBe(CA_DATA);
    expect(eks.requests).toHaveLength(2);
  });

  it.each([
    ["CREATING", true],
    ["FAILED", false],
  ] as const)("refuses a %s cluster without an endpoint (retryable: %s)", async (status, retryable) => {
    // Prepare
    const eks = await startFakeEks();
    eks.respond.set("new", { status: 200, body: { cluster: { name: "new", status } } });
    const source = createEksClusterInfoSource({ clientFor: clientFor(eks.url) });

    // Act
    const error = await rejectionOf(source.describe({ name: "new", region: "eu-west-1" }));

    // Assess
    expect(error.retryable).toBe(retryable);
    expect(error.message).toContain(`status ${status}`);
  });
});
