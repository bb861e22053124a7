/**
 * Ordered lifecycles on the rolling cluster: waves, hooks (Argo CD, Helm, pullbridge), run step by
 * step through the real queues — the worker applies a step and returns, the health consumer queues
 * the next step once it is healthy. Real controller-manager, scheduler and KWOK (Job pods complete,
 * or fail when labelled `pullbridge.test/fault: fail`), real SQS (fauxqs), the GitHub fake.
 */
import { AppsV1Api, BatchV1Api } from "@kubernetes/client-node";
import { afterEach, describe, expect, it } from "vitest";
import type { TargetInput } from "../../lib/config/targets.ts";
import { type Bridge, type BridgeOptions, startBridge } from "../support/bridge.ts";
import { FAULT_LABEL } from "../support/control-plane/rolling-cluster.ts";
import { kubeConfigFor } from "../support/kube.ts";

let bridge: Bridge | undefined;

afterEach(async () => {
  await bridge?.close();
  bridge = undefined;
});

async function start(target: Partial<TargetInput> = {}, more: Partial<BridgeOptions> = {}): Promise<Bridge> {
  bridge = await startBridge({ target, health: { initialDelaySeconds: 1, maxDelaySeconds: 2 }, ...more });
  return bridge;
}

const statusesOf = (b: Bridge, sha: string, target = "web") =>
  b.world.fake.statuses(sha).filter((s) => s.context === `pullbridge/${target}`);

const apps = () => kubeConfigFor("admin").makeApiClient(AppsV1Api);
const batch = () => kubeConfigFor("admin").makeApiClient(BatchV1Api);

async function deploymentExists(namespace: string, name: string): Promise<boolean> {
  return await apps()
    .readNamespacedDeployment({ name, namespace })
    .then(() => true)
    .catch(() => false);
}

async function jobsIn(namespace: string) {
  return (await batch().listNamespacedJob({ namespace })).items;
}

/** A workload's pod template lines (under `spec:`), KWOK-friendly. */
function podSpec(app: string, options: { image?: string; labels?: Record<string, string> } = {}): string[] {
  const labels = { app, ...(options.labels ?? {}) };
  return [
    "  selector:",
    "    matchLabels:",
    `      app: ${app}`,
    "  template:",
    "    metadata:",
    "      labels:",
    ...Object.entries(labels).map(([k, v]) => `        ${k}: ${JSON.stringify(v)}`),
    "    spec:",
    "      terminationGracePeriodSeconds: 0",
    "      containers:",
    "        - name: app",
    `          image: ${options.image ?? "registry.example/app:1"}`,
  ];
}

function statefulSet(name: string, annotations: Record<string, string>, replicas = 2): string {
  return [
    "apiVersion: apps/v1",
    "kind: StatefulSet",
    "metadata:",
    `  name: ${name}`,
    "  annotations:",
    ...Object.entries(annotations).map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`),
    "spec:",
    `  replicas: ${replicas}`,
    `  serviceName: ${name}`,
    ...podSpec(name),
    "",
  ].join("\n");
}

function deployment(
  name: string,
  annotations: Record<string, string>,
  options: { image?: string; replicas?: number; labels?: Record<string, string> } = {},
): string {
  return [
    "apiVersion: apps/v1",
    "kind: Deployment",
    "metadata:",
    `  name: ${name}`,
    ...(Object.keys(annotations).length > 0
      ? ["  annotations:", ...Object.entries(annotations).map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`)]
      : []),
    "spec:",
    `  replicas: ${options.replicas ?? 2}`,
    ...podSpec(name, options),
    "",
  ].join("\n");
}

/** A hook Job (`generateName` when `generate`), failing when `fail`. */
function job(
  name: string,
  annotations: Record<string, string>,
  options: { generate?: boolean; fail?: boolean } = {},
): string {
  return [
    "apiVersion: batch/v1",
    "kind: Job",
    "metadata:",
    options.generate ? `  generateName: ${name}-` : `  name: ${name}`,
    "  annotations:",
    ...Object.entries(annotations).map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`),
    "spec:",
    "  backoffLimit: 0",
    "  template:",
    ...(options.fail ? ["    metadata:", "      labels:", `        ${FAULT_LABEL}: fail`] : []),
    "    spec:",
    "      restartPolicy: Never",
    "      containers:",
    `        - name: ${name}`,
    "          image: registry.example/tools:1",
    "",
  ].join("\n");
}

describe("waves", () => {
  it("applies wave 1 only once wave 0 is healthy (Argo CD sync-wave: a database StatefulSet, then the app)", async () => {
    // Prepare
    const b = await start();
    const { sha } = await b.push({
      "deploy/db.yaml": statefulSet("db", { "argocd.argoproj.io/sync-wave": "0" }),
      "deploy/app.yaml": deployment("app", { "argocd.argoproj.io/sync-wave": "1" }),
    });

    // Act: the worker applies wave 0 and returns
    await b.drain();
    const afterWave0 = statusesOf(b, sha).at(-1);
    const appAfterWave0 = await deploymentExists(b.namespace, "app");
    const dbAfterWave0 = await apps().readNamespacedStatefulSet({ name: "db", namespace: b.namespace });
    await b.settle(sha, { timeoutMs: 90_000 });

    // Assess
    expect(afterWave0).toMatchObject({
      state: "pending",
      description: "wave 0 (step 1 of 2): applied 1 object; waiting for 1 (StatefulSet db)",
    });
    expect(appAfterWave0).toBe(false);
    expect(dbAfterWave0.metadata?.name).toBe("db");
    const app = await apps().readNamespacedDeployment({ name: "app", namespace: b.namespace });
    const db = await apps().readNamespacedStatefulSet({ name: "db", namespace: b.namespace });
    expect(Date.parse(String(app.metadata?.creationTimestamp))).toBeGreaterThanOrEqual(
      Date.parse(String(db.metadata?.creationTimestamp)),
    );
    expect(statusesOf(b, sha).at(-1)).toMatchObject({
      state: "success",
      description: expect.stringMatching(/^2 objects healthy in \d+\.\ds \(2 steps\)$/),
    });
    expect(b.world.fake.deployments(sha).flatMap((d) => d.statuses.map((s) => s.state))).toEqual([
      "in_progress",
      "success",
    ]);
  });
});
