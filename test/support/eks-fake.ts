/**
 * EKS `DescribeCluster` for clusters in several accounts and regions, all served by the test's one
 * real API server. moto has EKS, but invents each cluster's endpoint and CA; this answers with the
 * control plane's. Who asks decides what they see, as in AWS: the caller's account comes from its
 * access key (an assumed role's, as moto issued it), the region from the request's signing scope,
 * and the SigV4 signature is checked with that key's secret by the independent verifier — so a
 * DescribeCluster made with the wrong credentials, or for the wrong region, finds nothing.
 */
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { parseAuthorization, verifyHeaderSignature } from "./sigv4.ts";
import { assumedRoles } from "./token-webhook.ts";

/** An EKS cluster of the fake: `name` in `region` of `account`, served at `endpoint`. */
export type FakeEksCluster = {
  account: string;
  region: string;
  name: string;
  endpoint: string;
  caPem: string;
};

/** One DescribeCluster the fake answered. */
export type DescribeClusterCall = {
  name: string;
  region: string;
  accessKeyId: string;
  /** The caller's account, from its key; undefined when the key is unknown. */
  account: string | undefined;
  /** The assumed role behind the key, when it is one. */
  roleArn: string | undefined;
  status: number;
};

export type EksFake = {
  /** `http://127.0.0.1:<port>`: the EKS endpoint the code under test is pointed at. */
  url: string;
  calls: DescribeClusterCall[];
  stop(): Promise<void>;
};

/** Starts the fake; keys are looked up in moto (`motoEndpoint`), plus `staticKeys` (id → secret, account). */
export async function startEksFake(options: {
  motoEndpoint: string;
  clusters: readonly FakeEksCluster[];
  staticKeys?: Readonly<Record<string, { secret: string; account: string }>>;
}): Promise<EksFake> {
  const calls: DescribeClusterCall[] = [];
  const keyOf = async (accessKeyId: string) => {
    const fixed = options.staticKeys?.[accessKeyId];
    if (fixed) return { secret: fixed.secret, account: fixed.account, roleArn: undefined };
    const role = (await assumedRoles(options.motoEndpoint)).find((r) => r.access_key_id === accessKeyId);
    return role && { secret: role.secret_access_key, account: role.account_id, roleArn: role.role_arn };
  };
  const server: Server = createServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks);
      const reply = (status: number, payload: unknown, type?: string) => {
        res.writeHead(status, {
          "content-type": "application/json",
          ...(type ? { "x-amzn-errortype": type } : {}),
        });
        res.end(JSON.stringify(payload));
      };
      const auth = parseAuthorization(req.headers.authorization);
      const name = decodeURIComponent(/^\/clusters\/([^/?]+)$/.exec(req.url ?? "")?.[1] ?? "");
      if (req.method !== "GET" || name === "" || !auth || auth.service !== "eks") {
        reply(400, { message: `unsupported request ${req.method} ${req.url}` }, "InvalidRequestException");
        return;
      }
      const key = await keyOf(auth.accessKeyId);
      const record = (status: number) =>
        calls.push({
          name,
          region: auth.region,
          accessKeyId: auth.accessKeyId,
          account: key?.account,
          roleArn: key?.roleArn,
          status,
        });
      const signed =
        key !== undefined &&
        verifyHeaderSignature({
          method: "GET",
          url: req.url ?? "/",
          headers: req.headers,
          body,
          secretAccessKey: key.secret,
        });
      if (!key || !signed) {
        record(403);
        reply(
          403,
          { message: "The security token included in the request is invalid." },
          "UnrecognizedClientException",
        );
        return;
      }
      const cluster = options.clusters.find(
        (c) => c.account === key.account && c.region === auth.region && c.name === name,
      );
      if (!cluster) {
        record(404);
        reply(404, { message: `No cluster found for name: ${name}.` }, "ResourceNotFoundException");
        return;
      }
      record(200);
      reply(200, {
        cluster: {
          name,
          arn: `arn:aws:eks:${auth.region}:${key.account}:cluster/${name}`,
          status: "ACTIVE",
          endpoint: cluster.endpoint,
          certificateAuthority: { data: Buffer.from(cluster.caPem).toString("base64") },
        },
      });
    })();
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
