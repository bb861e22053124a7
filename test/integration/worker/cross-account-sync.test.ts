/**
 * One stack, clusters in three AWS accounts and two regions, end to end: signed push → webhook →
 * SQS → the real worker, which assumes each cluster's role in STS (moto), describes the cluster
 * in its region with those credentials, and syncs through the real API server, whose token
 * webhook maps each role to a group that may write only that target's namespace — a sync made with
 * the wrong account's credentials would be forbidden. Drift checks, previews and health checks go
 * the same way; denials and throttling come from the fault proxy in front of STS.
 */
import { CoreV1Api } from "@kubernetes/client-node";
import { afterEach, describe, expect, inject, it } from "vitest";
import { configMapYaml } from "../../factories/manifest-text.ts";
import { type Bridge, type BridgeOptions, startBridge } from "../../support/bridge.ts";
import {
  type AccountClusterSpec,
  type CrossAccountWorld,
  startCrossAccountWorld,
} from "../../support/cross-account.ts";
import { type FaultProxy, startFaultProxy } from "../../support/fault-proxy.ts";
import { grantHealthReader } from "../../support/health-reader.ts";
import { createTestNamespace, kubeConfigFor } from "../../support/kube.ts";
import { MOTO_CREDENTIALS } from "../../support/moto.ts";
import { assumedRoles, tokenReviews } from "../../support/token-webhook.ts";

const MINUTE = 60_000;
const core = () => kubeConfigFor("admin").makeApiClient(CoreV1Api);

const configMapsIn = async (namespace: string) =>
  (await core().listNamespacedConfigMap({ namespace })).items.map((c) => c.metadata?.name ?? "");
const secretsIn = async (namespace: string) =>
  (await core().listNamespacedSecret({ namespace })).items.map((c) => c.metadata?.name ?? "");

/** Final status of each target's context on `sha`. */
function finalStates(bridge: Bridge, sha: string): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const target of bridge.config.targets) {
    out[target.name] = bridge.world.fake
      .statuses(sha)
      .filter((s) => s.context === `pullbridge/${target.name}`)
      .at(-1)?.state;
  }
  return out;
}

type Setup = {
  world: CrossAccountWorld;
  bridge: Bridge;
  /** Target name → its namespace. */
  namespaces: Record<string, string>;
};

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

/** A world of `specs`, one target per `targets` entry (name → cluster key), each in its own namespace granted to that cluster's group only. */
async function setUp(
  specs: AccountClusterSpec[],
  targets: Record<string, { cluster: string; preview?: boolean }>,
  options: { sts?: FaultProxy; bridge?: Partial<BridgeOptions> } = {},
): Promise<Setup> {
  const world = await startCrossAccountWorld(specs, options.sts ? { sts: options.sts.url } : {});
  cleanup.push(() => world.stop());
  const namespaces: Record<string, string> = {};
  for (const [name, target] of Object.entries(targets)) {
    const namespace = await createTestNamespace(name);
    namespaces[name] = namespace;
    const cluster = world.clusters[target.cluster];
    if (!cluster) throw new Error(`no cluster ${target.cluster}`);
    await world.grant(namespace, cluster.group);
    if (cluster.healthRoleArn) await grantHealthReader(namespace, name);
  }
  const bridge = await startBridge({
    config: {
      clusters: world.targetsClusters,
      targets: Object.entries(targets).map(([name, target]) => ({
        name,
        repo: "placeholder/replaced",
        branch: "main",
        path: "deploy",
        cluster: target.cluster,
        namespace: namespaces[name] ?? "",
        preview: target.preview ?? false,
        health: { wait: specs.some((s) => s.healthRole) },
      })),
    },
    aws: { credentials: MOTO_CREDENTIALS, endpoints: world.endpoints },
    ...options.bridge,
  });
  cleanup.push(() => bridge.close());
  return { world, bridge, namespaces };
}

const THREE_ACCOUNTS: AccountClusterSpec[] = [
  { key: "dev", account: "111111111111", region: "eu-west-1" },
  { key: "staging", account: "222222222222", region: "eu-west-1", externalId: "acme-staging" },
  { key: "prod", account: "333333333333", region: "us-east-1" },
];

describe("one stack, clusters in three accounts and two regions", () => {
  it("syncs each target with its cluster's role, region and account — and drift checks and previews reuse them", async () => {
    // Prepare: the repository the bridge's GitHub fake serves is the targets' repository.
    const { world, bridge, namespaces } = await setUp(THREE_ACCOUNTS, {
      "web-dev": { cluster: "dev" },
      "web-staging": { cluster: "staging", preview: true },
      "web-prod": { cluster: "prod" },
    });

    // Act: a push, the drift schedule, a pull request
    const push = await bridge.push({ "deploy/app.yaml": configMapYaml("app", { color: "blue" }) });
    await bridge.drain();
    const afterPush = finalStates(bridge, push.sha);
    await bridge.scheduleDrift();
    await bridge.drain();
    const pr = await bridge.openPullRequest({
      branch: "feature",
      files: { "deploy/app.yaml": configMapYaml("app", { color: "green" }) },
    });
    await bridge.drain();

    // Assess: every target synced into its own namespace…
    expect(afterPush).toEqual({ "web-dev": "success", "web-staging": "success", "web-prod": "success" });
    for (const namespace of Object.values(namespaces)) expect(await configMapsIn(namespace)).toContain("app");
    // …each after one AssumeRole of its cluster's role, reused by the drift check and the preview…
    const sessions = await assumedRoles(world.motoEndpoint);
    for (const cluster of Object.values(world.clusters)) {
      const own = sessions.filter((s) => s.role_arn === cluster.roleArn);
      expect(
        own.map((s) => [s.session_name, s.account_id, s.external_id]),
        cluster.key,
      ).toEqual([[`pullbridge-worker-${cluster.key}`, cluster.account, cluster.externalId ?? null]]);
      // …DescribeCluster in the cluster's region, as its account…
      expect(
        world.eks.calls.filter((c) => c.name === cluster.name).map((c) => [c.region, c.account, c.status]),
        cluster.key,
      ).toEqual([[cluster.region, cluster.account, 200]]);
      // …and the API server saw the role's identity, with tokens presigned for the cluster's region.
      const reviews = (await tokenReviews(inject("tokenWebhook"))).filter((r) => r.cluster === cluster.name);
      expect(reviews.length, cluster.key).toBeGreaterThan(0);
      for (const review of reviews) {
        expect(review).toMatchObject({
          authenticated: true,
          region: cluster.region,
          accessKeyId: own[0]?.access_key_id,
          groups: [cluster.group],
        });
      }
    }
    // The drift check found nothing to change; the preview ran on the preview-enabled target.
    expect(finalStates(bridge, push.sha)).toEqual(afterPush);
    const preview = bridge.world.fake
      .checkRuns(pr.sha)
      .find((r) => r.name === "pullbridge preview / web-staging");
    expect(preview).toMatchObject({ status: "completed", conclusion: "success" });
  });

  it("has the health function check each cluster with its read-only health role", async () => {
    // Prepare
    const specs = THREE_ACCOUNTS.map((s) => ({ ...s, healthRole: true }));
    const { world, bridge } = await setUp(
      specs,
      { "web-dev": { cluster: "dev" }, "web-prod": { cluster: "prod" } },
      { bridge: { health: { initialDelaySeconds: 0 } } },
    );
    // A Service's health is read live (a ConfigMap's is not), so the health consumer has to connect.
    const service =
      "apiVersion: v1\nkind: Service\nmetadata:\n  name: api\nspec:\n  ports:\n    - port: 80\n";
    const push = await bridge.push({ "deploy/api.yaml": service });
    await bridge.drain();

    // Act: the health consumer until both statuses are final (a bound, not an assertion)
    for (let i = 0; i < 20 && Object.values(finalStates(bridge, push.sha)).includes("pending"); i++) {
      await bridge.pollHealth(1);
    }

    // Assess
    expect(finalStates(bridge, push.sha)).toEqual({ "web-dev": "success", "web-prod": "success" });
    const sessions = await assumedRoles(world.motoEndpoint);
    for (const key of ["dev", "prod"]) {
      const cluster = world.clusters[key];
      expect(
        sessions.filter((s) => s.role_arn === cluster?.healthRoleArn).map((s) => s.session_name),
        key,
      ).toEqual([`pullbridge-health-${key}`]);
      const health = (await tokenReviews(inject("tokenWebhook"))).filter(
        (r) => r.cluster === cluster?.name && r.groups?.includes("pullbridge:health"),
      );
      expect(health.length, key).toBeGreaterThan(0);
    }
  });
});

describe("cross-account failures", () => {
  it("fails permanently when the role may not be assumed: the status names the role, nothing is written", async () => {
    // Prepare: STS (the proxy plays the role's trust policy) denies the dev role.
    const sts = await startFaultProxy({ upstream: inject("motoEndpoint") });
    cleanup.push(() => sts.close());
    const { world, bridge, namespaces } = await setUp(
      [THREE_ACCOUNTS[0] as AccountClusterSpec],
      { web: { cluster: "dev" } },
      { sts },
    );
    const roleArn = world.clusters.dev?.roleArn ?? "";
    sts.setRule(({ body }) =>
      body.includes("Action=AssumeRole")
        ? {
            respond: {
              status: 403,
              headers: { "content-type": "text/xml" },
              body: `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:sts::123456789012:assumed-role/pullbridge-worker/x is not authorized to perform: sts:AssumeRole on resource: ${roleArn}</Message></Error><RequestId>1</RequestId></ErrorResponse>`,
            },
          }
        : undefined,
    );

    // Act
    const push = await bridge.push({ "deploy/app.yaml": configMapYaml("app", { color: "blue" }) });
    const polls = await bridge.drain();

    // Assess: one attempt (permanent), a failure naming the role and the reasons, nothing in the namespace.
    expect(polls.reduce((n, p) => n + p.failed, 0)).toBe(0);
    const last = bridge.world.fake.statuses(push.sha).at(-1);
    expect(last?.state).toBe("failure");
    expect(last?.description).toContain("cannot assume role");
    const [checkRun] = bridge.world.fake.checkRuns(push.sha);
    const text = JSON.stringify(checkRun);
    expect(text).toContain(roleArn);
    expect(text).toContain("not authorized to assume it");
    expect(text).toContain("the role is missing, its trust policy does not trust this function's role");
    expect(await configMapsIn(namespaces.web ?? "")).not.toContain("app");
    expect(await secretsIn(namespaces.web ?? "")).not.toContain("pullbridge-web");
  });

  it("returns a throttled AssumeRole to the queue and syncs on the next attempt", async () => {
    // Prepare: STS throttles every AssumeRole until the first attempt has gone back to the queue.
    const sts = await startFaultProxy({ upstream: inject("motoEndpoint") });
    cleanup.push(() => sts.close());
    const { bridge, namespaces } = await setUp(
      [THREE_ACCOUNTS[2] as AccountClusterSpec],
      { web: { cluster: "prod" } },
      { sts },
    );
    sts.setRule(({ body }) =>
      body.includes("Action=AssumeRole")
        ? {
            respond: {
              status: 400,
              headers: { "content-type": "text/xml" },
              body: `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>2</RequestId></ErrorResponse>`,
            },
          }
        : undefined,
    );
    const push = await bridge.push({ "deploy/app.yaml": configMapYaml("app", { color: "blue" }) });

    // Act
    const throttled = await bridge.pollOnce();
    const whileThrottled = bridge.world.fake.statuses(push.sha).at(-1);
    sts.setRule(undefined);
    await bridge.drain();

    // Assess: the attempt went back to the queue (said on the commit), the next one synced.
    expect(throttled).toMatchObject({ received: 1, failed: 1 });
    expect(whileThrottled?.state).toBe("pending");
    expect(whileThrottled?.description).toMatch(/retry|attempt/i);
    expect(bridge.world.fake.statuses(push.sha).at(-1)?.state).toBe("success");
    expect(await configMapsIn(namespaces.web ?? "")).toContain("app");
  });

  it("assumes the role again when its credentials expire between two jobs of one batch", async () => {
    // Prepare: two targets on one cluster, one batch. STS's first answer expires in 6 minutes; the
    // worker's clock moves 2 minutes on once the first target is reported (4 minutes left: renew).
    const sts = await startFaultProxy({ upstream: inject("motoEndpoint") });
    cleanup.push(() => sts.close());
    let firstDone = () => false;
    const { world, bridge } = await setUp(
      [THREE_ACCOUNTS[1] as AccountClusterSpec],
      { "web-a": { cluster: "staging" }, "web-b": { cluster: "staging" } },
      { sts, bridge: { now: () => new Date(Date.now() + (firstDone() ? 2 * MINUTE : 0)) } },
    );
    let assumed = 0;
    sts.setRule(({ body }) => {
      if (!body.includes("Action=AssumeRole") || assumed++ > 0) return undefined;
      const expiry = new Date(Date.now() + 6 * MINUTE).toISOString();
      return {
        forward: true,
        rewrite: (xml) =>
          xml.replace(/<Expiration>[^<]*<\/Expiration>/, `<Expiration>${expiry}</Expiration>`),
      };
    });
    const push = await bridge.push({ "deploy/app.yaml": configMapYaml("app", { color: "blue" }) });
    firstDone = () =>
      bridge.world.fake
        .statuses(push.sha)
        .some((s) => s.state === "success" && s.context.startsWith("pullbridge/web-"));

    // Act: one poll receives both jobs (one message group each) and runs them in order.
    const poll = await bridge.pollOnce();

    // Assess: both synced, the second with a freshly assumed session.
    expect(poll).toMatchObject({ received: 2, failed: 0 });
    expect(finalStates(bridge, push.sha)).toEqual({ "web-a": "success", "web-b": "success" });
    const roleArn = world.clusters.staging?.roleArn;
    const sessions = (await assumedRoles(world.motoEndpoint)).filter((s) => s.role_arn === roleArn);
    expect(sessions.map((s) => s.session_name)).toEqual([
      "pullbridge-worker-staging",
      "pullbridge-worker-staging",
    ]);
    const keys = (await tokenReviews(inject("tokenWebhook")))
      .filter((r) => r.cluster === world.clusters.staging?.name && r.authenticated)
      .map((r) => r.accessKeyId);
    expect([...new Set(keys)]).toEqual(sessions.map((s) => s.access_key_id));
  });
});
