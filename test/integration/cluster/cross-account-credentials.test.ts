/**
 * Clusters in other AWS accounts, with real protocol servers throughout: STS is moto (AssumeRole
 * and the GetCallerIdentity an EKS token replays), DescribeCluster answers per account and region
 * after checking the request's signature (test/support/eks-fake.ts), and the real kube-apiserver
 * authenticates the EKS token through the harness's TokenReview webhook, which verifies it with
 * the independent SigV4 verifier and maps the assumed role to its group — so RBAC decides with the
 * assumed identity. What STS emulators do not do (trust policies, throttling) comes through the
 * fault proxy in front of moto.
 */
import { AuthenticationV1Api, CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  createAssumedRoleCredentials,
  roleSessionName,
} from "../../../lib/cluster/adapters/assumed-role-credentials.ts";
import {
  type ClusterCredentialsResolver,
  createClusterCredentialsResolver,
} from "../../../lib/cluster/adapters/credentials-resolver.ts";
import { createEksClusterInfoSource } from "../../../lib/cluster/adapters/eks-cluster-info.ts";
import { EKS_TOKEN_PREFIX } from "../../../lib/cluster/adapters/eks-token.ts";
import { kubeConfigFromToken } from "../../../lib/cluster/adapters/kube-config.ts";
import { createEksTokenCache } from "../../../lib/cluster/eks-token-cache.ts";
import { parseTargetsConfig, type TargetsFile } from "../../../lib/config/targets.ts";
import { ClusterError } from "../../../lib/errors.ts";
import { type CrossAccountWorld, startCrossAccountWorld } from "../../support/cross-account.ts";
import { type FaultProxy, startFaultProxy } from "../../support/fault-proxy.ts";
import { createTestNamespace } from "../../support/kube.ts";
import { MOTO_CREDENTIALS } from "../../support/moto.ts";
import { expectedPresignedSignature } from "../../support/sigv4.ts";
import { assumedRoles } from "../../support/token-webhook.ts";

/** The functions' own region: STS is called there (in a VPC, where its endpoint is). */
const FUNCTION_REGION = "us-east-1";
const MINUTE = 60_000;

type Clock = { now: () => Date; advance(ms: number): void };
function clock(): Clock {
  let offset = 0;
  return {
    now: () => new Date(Date.now() + offset),
    advance: (ms) => {
      offset += ms;
    },
  };
}

/** The credentials resolver as compose-cluster-connector.ts builds it, pointed at the emulators. */
function resolverFor(
  world: CrossAccountWorld,
  options: { fn: "worker" | "health"; now: () => Date; sts?: string },
): ClusterCredentialsResolver {
  return createClusterCredentialsResolver({
    clusterInfo: createEksClusterInfoSource({ endpoint: world.endpoints.eks }),
    tokens: createEksTokenCache({
      credentials: MOTO_CREDENTIALS,
      now: options.now,
      refreshBeforeExpiryMs: 5 * MINUTE,
    }),
    assumedRoles: createAssumedRoleCredentials({
      functionName: options.fn,
      baseCredentials: MOTO_CREDENTIALS,
      region: FUNCTION_REGION,
      endpoint: options.sts ?? world.endpoints.sts,
      now: options.now,
      refreshBeforeExpiryMs: 5 * MINUTE,
    }),
    roleOf: options.fn,
    secrets: { read: async (ref) => Promise.reject(new Error(`no secret ${ref}`)) },
  });
}

async function tokenFor(resolver: ClusterCredentialsResolver, config: TargetsFile, key: string) {
  const cluster = config.clusters[key];
  if (!cluster) throw new Error(`no cluster ${key}`);
  const { credentials } = await resolver.resolve({ cluster, clusterKey: key });
  if (credentials.kind !== "token") throw new Error("expected an EKS token");
  return credentials;
}

async function whoAmI(kc: KubeConfig) {
  const review = await kc.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: {} });
  return { username: review.status?.userInfo?.username, groups: review.status?.userInfo?.groups ?? [] };
}

function decodeToken(token: string): URL {
  return new URL(Buffer.from(token.slice(EKS_TOKEN_PREFIX.length), "base64url").toString("utf8"));
}

/** STS's answer for a denied AssumeRole, as AWS words it. */
function accessDenied(roleArn: string) {
  return {
    respond: {
      status: 403,
      headers: { "content-type": "text/xml" },
      body: `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:sts::123456789012:assumed-role/pullbridge-ci-worker/pullbridge-ci-worker is not authorized to perform: sts:AssumeRole on resource: ${roleArn}</Message></Error><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ErrorResponse>`,
    },
  };
}

const THROTTLED = {
  respond: {
    status: 400,
    headers: { "content-type": "text/xml" },
    body: `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c8</RequestId></ErrorResponse>`,
  },
};

describe("clusters in other accounts: STS, DescribeCluster and the EKS token", () => {
  let world: CrossAccountWorld;
  let config: TargetsFile;
  let namespace: string;
  let sts: FaultProxy;

  beforeAll(async () => {
    sts = await startFaultProxy({ upstream: inject("motoEndpoint") });
    world = await startCrossAccountWorld(
      [
        {
          key: "staging",
          account: "222222222222",
          region: "eu-west-1",
          externalId: "acme-staging",
          healthRole: true,
        },
        { key: "prod", account: "333333333333", region: "us-west-2" },
      ],
      { sts: sts.url },
    );
    namespace = await createTestNamespace("xacct");
    await world.grant(namespace, world.clusters.staging?.group ?? "");
    config = parseTargetsConfig({
      version: 1,
      clusters: world.targetsClusters,
      targets: [{ name: "web", repo: "acme/config", cluster: "staging", namespace }],
    });
  });

  afterAll(async () => {
    await world.stop();
    await sts.close();
  });

  it("assumes the cluster's role with its external id and a per-cluster session, signs DescribeCluster and the token with it, and RBAC sees the role", async () => {
    // Prepare
    const staging = world.clusters.staging;
    if (!staging) throw new Error("no staging cluster");
    const resolver = resolverFor(world, { fn: "worker", now: () => new Date() });

    // Act
    const credentials = await tokenFor(resolver, config, "staging");
    const identity = await whoAmI(kubeConfigFromToken(credentials));

    // Assess: the AssumeRole STS recorded (role, external id, session name)…
    const sessions = (await assumedRoles(world.motoEndpoint)).filter((r) => r.role_arn === staging.roleArn);
    expect(sessions.map((r) => [r.session_name, r.external_id])).toEqual([
      ["pullbridge-worker-staging", "acme-staging"],
    ]);
    const [session] = sessions;
    if (!session) throw new Error("no session");
    // …the token is presigned for the cluster's region with the assumed credentials, and its
    // signature (over x-k8s-aws-id) verifies with the assumed secret…
    const url = decodeToken(credentials.token);
    expect(url.host).toBe("sts.eu-west-1.amazonaws.com");
    expect(url.searchParams.get("X-Amz-Credential")).toMatch(
      new RegExp(`^${session.access_key_id}/\\d{8}/eu-west-1/sts/aws4_request$`),
    );
    expect(url.searchParams.get("X-Amz-Security-Token")).toBe(session.session_token);
    expect(expectedPresignedSignature(url, session.secret_access_key, { "x-k8s-aws-id": staging.name })).toBe(
      url.searchParams.get("X-Amz-Signature"),
    );
    // …DescribeCluster was signed with the same credentials, in the cluster's region…
    expect(world.eks.calls.filter((c) => c.name === staging.name)).toEqual([
      {
        name: staging.name,
        region: "eu-west-1",
        accessKeyId: session.access_key_id,
        account: "222222222222",
        roleArn: staging.roleArn,
        status: 200,
      },
    ]);
    // …and the API server authenticated the assumed role, mapped by its access entry.
    expect(identity).toEqual({
      username: `arn:aws:sts::222222222222:assumed-role/${staging.roleArn.split("/").at(-1)}/pullbridge-worker-staging`,
      groups: expect.arrayContaining([staging.group]),
    });
    const pods = await kubeConfigFromToken(credentials)
      .makeApiClient(CoreV1Api)
      .listNamespacedPod({ namespace })
      .then(() => "allowed");
    expect(pods).toBe("allowed");
  });

  it("reuses the role's credentials until 5 minutes before they expire, then assumes it again", async () => {
    // Prepare: STS says these credentials last 10 minutes.
    const prod = world.clusters.prod;
    if (!prod) throw new Error("no prod cluster");
    const time = clock();
    const resolver = resolverFor(world, { fn: "worker", now: time.now });
    const expiry = new Date(Date.now() + 10 * MINUTE).toISOString();
    sts.setRule(({ body }) =>
      body.includes("Action=AssumeRole")
        ? {
            forward: true,
            rewrite: (xml) =>
              xml.replace(/<Expiration>[^<]*<\/Expiration>/, `<Expiration>${expiry}</Expiration>`),
          }
        : undefined,
    );

    // Act: a first token, one 4 minutes later (6 minutes left: kept), one 6 minutes later (4 left: renewed)
    const first = await tokenFor(resolver, config, "prod");
    time.advance(4 * MINUTE);
    const second = await tokenFor(resolver, config, "prod");
    sts.setRule(undefined);
    time.advance(2 * MINUTE);
    const third = await tokenFor(resolver, config, "prod");

    // Assess
    const sessions = (await assumedRoles(world.motoEndpoint)).filter((r) => r.role_arn === prod.roleArn);
    expect(sessions.map((s) => s.session_name)).toEqual(["pullbridge-worker-prod", "pullbridge-worker-prod"]);
    const keyOf = (t: { token: string }) =>
      decodeToken(t.token).searchParams.get("X-Amz-Credential")?.split("/")[0];
    expect([keyOf(first), keyOf(second), keyOf(third)]).toEqual([
      sessions[0]?.access_key_id,
      sessions[0]?.access_key_id,
      sessions[1]?.access_key_id,
    ]);
    // A token never outlives the credentials that signed it.
    expect(first.expiresAt.toISOString()).toBe(expiry);
  });

  it("has the health function assume the cluster's read-only health role, mapped to the health group", async () => {
    // Prepare
    const staging = world.clusters.staging;
    if (!staging?.healthRoleArn) throw new Error("no staging health role");
    const resolver = resolverFor(world, { fn: "health", now: () => new Date() });

    // Act
    const credentials = await tokenFor(resolver, config, "staging");
    const identity = await whoAmI(kubeConfigFromToken(credentials));

    // Assess
    const sessions = (await assumedRoles(world.motoEndpoint)).filter(
      (r) => r.role_arn === staging.healthRoleArn,
    );
    expect(sessions.map((r) => [r.session_name, r.external_id])).toEqual([
      ["pullbridge-health-staging", "acme-staging"],
    ]);
    expect(identity.groups).toContain("pullbridge:health");
    expect(identity.groups).not.toContain(staging.group);
  });

  it("fails permanently, naming the role and what to check, when STS denies the AssumeRole", async () => {
    // Prepare
    const staging = world.clusters.staging;
    if (!staging) throw new Error("no staging cluster");
    const resolver = resolverFor(world, { fn: "worker", now: () => new Date() });
    sts.setRule(({ body }) =>
      body.includes("Action=AssumeRole") ? accessDenied(staging.roleArn) : undefined,
    );

    // Act
    const failure = await tokenFor(resolver, config, "staging").then(
      () => undefined,
      (error: unknown) => error,
    );
    sts.setRule(undefined);

    // Assess
    expect(failure).toBeInstanceOf(ClusterError);
    expect(failure).toMatchObject({ retryable: false, status: 403 });
    expect((failure as Error).message).toContain(
      `cannot assume role ${staging.roleArn} for cluster "staging" (worker function): not authorized to assume it: the role is missing, its trust policy does not trust this function's role, or the external id does not match the trust policy's sts:ExternalId`,
    );
  });

  it("refuses a wrong external id as the role's trust policy does: permanent, naming the external id", async () => {
    // Prepare: the trust policy (played by the proxy) requires another external id than the file's.
    const staging = world.clusters.staging;
    if (!staging) throw new Error("no staging cluster");
    const resolver = resolverFor(world, { fn: "worker", now: () => new Date() });
    const before = sts.seen.length;
    sts.setRule(({ body }) =>
      body.includes("Action=AssumeRole") && !body.includes("ExternalId=the-real-one")
        ? accessDenied(staging.roleArn)
        : undefined,
    );

    // Act
    const failure = await tokenFor(resolver, config, "staging").then(
      () => undefined,
      (error: unknown) => error,
    );
    const asked = sts.seen.slice(before).length;
    sts.setRule(undefined);

    // Assess: one request (a denial is not retried), and the message points at the external id.
    expect(asked).toBe(1);
    expect(failure).toMatchObject({ name: "ClusterError", retryable: false });
    expect((failure as Error).message).toContain("external id does not match");
    expect((failure as Error).message).toContain(staging.roleArn);
  });

  it("returns a throttled AssumeRole to the queue (retryable), and the next attempt succeeds", async () => {
    // Prepare
    const prod = world.clusters.prod;
    if (!prod) throw new Error("no prod cluster");
    const resolver = resolverFor(world, { fn: "worker", now: () => new Date() });
    const before = sts.seen.length;
    sts.setRule(({ body }) => (body.includes("Action=AssumeRole") ? THROTTLED : undefined));

    // Act
    const failure = await tokenFor(resolver, config, "prod").then(
      () => undefined,
      (error: unknown) => error,
    );
    const throttled = sts.seen.slice(before).filter((r) => r.action === "respond").length;
    sts.setRule(undefined);
    const retried = await tokenFor(resolver, config, "prod");

    // Assess: the SDK retried in-process first; then the job's retry assumes the role.
    expect(failure).toMatchObject({ name: "ClusterError", retryable: true });
    expect((failure as Error).message).toContain(`cannot assume role ${prod.roleArn} for cluster "prod"`);
    expect((failure as Error).message).toContain("Throttling: Rate exceeded");
    expect(throttled).toBeGreaterThan(1);
    expect(retried.kind).toBe("token");
  });

  it("names one STS session per function and cluster within STS's 64 characters", () => {
    // Act
    const short = roleSessionName("worker", "prod");
    const long = roleSessionName("health", "a".repeat(52));
    const other = roleSessionName("health", `${"a".repeat(51)}b`);

    // Assess
    expect(short).toBe("pullbridge-worker-prod");
    expect(long.length).toBe(64);
    expect(long).not.toBe(other);
    expect(long).toMatch(/^pullbridge-health-a+-[0-9a-f]{8}$/);
  });
});
