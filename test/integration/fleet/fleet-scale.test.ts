/**
 * Fleet scale (issue 26) end to end on real servers: the webhook and worker on fauxqs, the real
 * kube-apiserver, the OpenAPI-checked GitHub fake (counting requests by GitHub's rate-limit rules)
 * and moto as the state bucket. A drift tick resolves each branch head once, conditionally; a
 * commit's tree is downloaded once for every target; renders are reused while their inputs are
 * unchanged; a damaged cached object is discarded, never applied; a drift check never rolls a
 * target back.
 */

import { join } from "node:path";
import { CoreV1Api } from "@kubernetes/client-node";
import { afterEach, describe, expect, inject, it } from "vitest";
import { createSqsJobQueue } from "../../../lib/jobs/adapters/sqs-job-queue.ts";
import { type DriftJob, validateJob } from "../../../lib/jobs/job-codec.ts";
import { createS3ObjectStore, lazyS3Client } from "../../../lib/state/adapters/s3-object-store.ts";
import { FleetMetric } from "../../../lib/telemetry/metric-names.ts";
import { configMapYaml } from "../../factories/manifest-text.ts";
import { type Bridge, startBridge } from "../../support/bridge.ts";
import { createTestNamespace, grantWorker, kubeConfigFor } from "../../support/kube.ts";
import { MOTO_CREDENTIALS, MOTO_REGION } from "../../support/moto.ts";

const APPS = ["a", "b", "c"] as const;
const core = () => kubeConfigFor("admin").makeApiClient(CoreV1Api);

let bridge: Bridge | undefined;
afterEach(async () => {
  await bridge?.close();
  bridge = undefined;
});

/** A bridge with three plain targets `a`, `b`, `c` (paths `apps/<name>`) on one branch, each in its own namespace. */
async function startFleet(): Promise<{ bridge: Bridge; namespaces: Record<string, string> }> {
  const namespaces: Record<string, string> = {};
  for (const app of APPS) {
    namespaces[app] = await createTestNamespace(`fleet-${app}`);
    await grantWorker(namespaces[app]);
  }
  const cp = inject("controlPlane");
  const started = await startBridge({
    fleet: true,
    config: {
      clusters: { test: { type: "kubeconfig", source: `file:${join(cp.dir, "worker.kubeconfig")}` } },
      targets: APPS.map((app) => ({
        name: app,
        repo: "placeholder/replaced",
        branch: "main",
        path: `apps/${app}`,
        cluster: "test",
        namespace: namespaces[app] ?? "",
      })),
    },
  });
  return { bridge: started, namespaces };
}

const allApps = (color: string) =>
  Object.fromEntries(APPS.map((app) => [`apps/${app}/cm.yaml`, configMapYaml(`cm-${app}`, { color })]));

async function colorOf(namespace: string, name: string): Promise<string | undefined> {
  const cm = await core().readNamespacedConfigMap({ namespace, name });
  return cm.data?.color;
}

describe("fleet scale", () => {
  it("a quiet drift tick costs one free (304) head lookup per branch, no tarball and no render", async () => {
    // Prepare
    const fleet = await startFleet();
    bridge = fleet.bridge;
    await bridge.push({ ...allApps("blue"), "docs/README.md": "docs\n" });
    await bridge.drain();
    const afterPush = bridge.world.fake.budget();
    await bridge.scheduleDrift();
    await bridge.drain();
    const mark = bridge.world.fake.requests.length;
    const counted = { ...bridge.fleet?.totals.peek() };

    // Act
    await bridge.scheduleDrift();
    await bridge.drain();

    // Assess
    // The push's three jobs shared one tarball (one target downloaded, two read the cache).
    expect(afterPush.archives).toBe(1);
    const quiet = bridge.world.fake.budget(mark);
    expect(quiet).toMatchObject({ rateLimited: 0, notModified: 1, archives: 0 });
    expect(bridge.world.fake.restCallsByRoute()["GET /repos/{owner}/{repo}/git/ref/{ref}"]).toBe(2 + 3);
    const now = bridge.fleet?.totals.peek() ?? {};
    expect(now[FleetMetric.RenderCacheMisses] ?? 0).toBe(counted[FleetMetric.RenderCacheMisses] ?? 0);
    expect((now[FleetMetric.RenderCacheHits] ?? 0) - (counted[FleetMetric.RenderCacheHits] ?? 0)).toBe(3);
    for (const app of APPS) expect(await colorOf(fleet.namespaces[app] ?? "", `cm-${app}`)).toBe("blue");
  });

  it("a push touching one app downloads the tree once and renders only that target; drift then corrects from the cache", async () => {
    // Prepare
    const fleet = await startFleet();
    bridge = fleet.bridge;
    await bridge.push(allApps("blue"));
    await bridge.drain();
    const mark = bridge.world.fake.requests.length;
    const before = { ...bridge.fleet?.totals.peek() };

    // Act
    const push = await bridge.push({ "apps/a/cm.yaml": configMapYaml("cm-a", { color: "green" }) });
    await bridge.drain();
    await core().patchNamespacedConfigMap({
      namespace: fleet.namespaces.b ?? "",
      name: "cm-b",
      body: [{ op: "replace", path: "/data/color", value: "tampered" }],
    });
    const beforeTick = bridge.world.fake.budget();
    await bridge.scheduleDrift();
    await bridge.drain();

    // Assess
    // Derived routing: only `a`'s record names the changed file.
    expect(push.body).toMatchObject({ queued: ["a"] });
    expect(bridge.world.fake.budget(mark).archives).toBe(1);
    const after = bridge.fleet?.totals.peek() ?? {};
    expect((after[FleetMetric.RenderCacheMisses] ?? 0) - (before[FleetMetric.RenderCacheMisses] ?? 0)).toBe(
      1,
    );
    expect(await colorOf(fleet.namespaces.a ?? "", "cm-a")).toBe("green");
    // The drift tick found the new head, read every target's render from the cache, fixed `b`.
    expect(bridge.world.fake.budget().archives).toBe(beforeTick.archives);
    expect(await colorOf(fleet.namespaces.b ?? "", "cm-b")).toBe("blue");
  });

  it("discards damaged cached renders and blobs (digest mismatch), refetches, and never applies them", async () => {
    // Prepare
    const fleet = await startFleet();
    bridge = fleet.bridge;
    await bridge.push(allApps("blue"));
    await bridge.drain();
    const store = bridge.fleet?.store;
    if (store === undefined) throw new Error("no state store");
    const tampered = async (prefix: string) => {
      let n = 0;
      for (const { key } of await store.list(prefix)) {
        const got = await store.get(key);
        if (got.kind !== "found") continue;
        const text = new TextDecoder().decode(got.body).replaceAll("blue", "evil");
        await store.put(key, text, { unconditional: true });
        n += 1;
      }
      return n;
    };
    expect(await tampered("cache/renders/")).toBe(3);
    expect(await tampered("cache/trees/blobs/")).toBeGreaterThanOrEqual(1);
    const mark = bridge.world.fake.requests.length;
    const writes = bridge.clusterRequests().writes;

    // Act
    await bridge.scheduleDrift();
    await bridge.drain();

    // Assess
    const totals = bridge.fleet?.totals.peek() ?? {};
    expect(totals[FleetMetric.CacheCorruptObjects] ?? 0).toBeGreaterThanOrEqual(3 + 1);
    expect(totals[FleetMetric.CacheFallbacks] ?? 0).toBeGreaterThanOrEqual(1);
    // The fallback read the targets' files from GitHub.
    expect(bridge.world.fake.budget(mark).archives).toBeGreaterThanOrEqual(1);
    expect(bridge.clusterRequests().writes).toBe(writes);
    for (const app of APPS) expect(await colorOf(fleet.namespaces[app] ?? "", `cm-${app}`)).toBe("blue");
  });

  it("a drift check resolved at an older commit never rolls the target back", async () => {
    // Prepare
    const fleet = await startFleet();
    bridge = fleet.bridge;
    const old = await bridge.push(allApps("blue"));
    await bridge.drain();
    // The tick resolved `old`; before its checks ran, a newer commit was pushed and synced.
    await bridge.scheduleDrift();
    await bridge.drain();
    const newer = await bridge.push(allApps("green"));
    await bridge.drain();
    const queue = createSqsJobQueue({ client: bridge.sqs, queueUrl: bridge.queue.queueUrl });
    const stale = APPS.map(
      (app) =>
        validateJob({
          type: "drift",
          target: app,
          repo: bridge?.config.targets[0]?.repo ?? "",
          sha: old.sha,
          deliveryId: "drift-stale-tick",
          receivedAt: new Date().toISOString(),
        }) as DriftJob,
    );

    const oldDeployments = bridge.world.fake.deployments(old.sha).length;
    const statuses = bridge.world.fake.statuses().length;
    const writes = bridge.clusterRequests().writes;

    // Act
    await queue.enqueue(stale);
    await bridge.drain();

    // Assess
    for (const app of APPS) expect(await colorOf(fleet.namespaces[app] ?? "", `cm-${app}`)).toBe("green");
    expect(bridge.world.fake.deployments(old.sha)).toHaveLength(oldDeployments);
    expect(bridge.clusterRequests().writes).toBe(writes);
    // Nothing reported: the checks re-resolved the head, found it synced and the cluster unchanged.
    expect(bridge.world.fake.statuses()).toHaveLength(statuses);
    expect(newer.status).toBe(202);
  });

  it("syncs as without the cache when the state bucket cannot be reached, counting the errors", async () => {
    // Prepare
    const unreachable = createS3ObjectStore({
      bucket: "no-such-bucket-h26-fleet",
      client: lazyS3Client({
        endpoint: inject("motoEndpoint"),
        region: MOTO_REGION,
        credentials: MOTO_CREDENTIALS,
        maxAttempts: 1,
      }),
    });
    bridge = await startBridge({ fleet: { store: unreachable } });

    // Act
    const push = await bridge.push({ "deploy/app.yaml": configMapYaml("app", { color: "blue" }) });
    await bridge.drain();
    await bridge.scheduleDrift();
    await bridge.drain();

    // Assess
    expect(bridge.world.fake.statuses(push.sha).map((s) => s.state)).toEqual(["pending", "success"]);
    expect(await colorOf(bridge.namespace, "app")).toBe("blue");
    expect(bridge.fleet?.totals.peek()[FleetMetric.StateStoreErrors] ?? 0).toBeGreaterThan(0);
  });
});
