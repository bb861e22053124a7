/**
 * Health-gated sync results on the rolling cluster: real controller-manager, scheduler and KWOK
 * (pods really become ready, or misbehave on purpose through KWOK stages), the real worker and
 * health handlers, real SQS (fauxqs) with per-message DelaySeconds, the GitHub fake.
 */

import { join } from "node:path";
import { setTimeout } from "node:timers/promises";
import {
  ApiextensionsV1Api,
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  RbacAuthorizationV1Api,
  setHeaderOptions,
} from "@kubernetes/client-node";
import { afterEach, describe, expect, inject, it } from "vitest";
import type { TargetInput } from "../../lib/config/targets.ts";
import { deploymentYaml as deploymentYamlOf } from "../factories/manifest-text.ts";
import { type Bridge, startBridge } from "../support/bridge.ts";
import { WORKER_GROUP } from "../support/control-plane/control-plane.ts";
import { FAULT_LABEL, FAULT_MESSAGE_ANNOTATION } from "../support/control-plane/rolling-cluster.ts";
import { HEALTH_IDENTITY } from "../support/health-reader.ts";
import { kubeConfigFor } from "../support/kube.ts";

const CONTEXT = "pullbridge/web";
let bridge: Bridge | undefined;

afterEach(async () => {
  await bridge?.close();
  bridge = undefined;
});

async function start(target: Partial<TargetInput> = {}, health = true): Promise<Bridge> {
  bridge = await startBridge({
    target,
    ...(health ? { health: { initialDelaySeconds: 1, maxDelaySeconds: 2 } } : {}),
  });
  return bridge;
}

function statusesOf(b: Bridge, sha: string) {
  return b.world.fake.statuses(sha).filter((s) => s.context === CONTEXT);
}

function deploymentStatesOf(b: Bridge, sha: string): string[] {
  return b.world.fake.deployments(sha).flatMap((d) => d.statuses.map((s) => s.state));
}

type PodOptions = { labels?: Record<string, string>; annotations?: Record<string, string> };

function deploymentYaml(name: string, replicas: number, pod: PodOptions = {}, extra = ""): string {
  return deploymentYamlOf(name, {
    replicas,
    ...(pod.labels ? { podLabels: pod.labels } : {}),
    ...(pod.annotations ? { podAnnotations: pod.annotations } : {}),
    specLines: extra === "" ? [] : [extra],
  });
}

const configMapYaml = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  color: blue\n";

async function readyReplicas(namespace: string, name: string): Promise<number> {
  const apps = kubeConfigFor("admin").makeApiClient(AppsV1Api);
  const d = await apps.readNamespacedDeployment({ name, namespace });
  return d.status?.readyReplicas ?? 0;
}

describe("health-gated sync on the rolling cluster", () => {
  it("reports pending after the apply, and success only once the Deployment's pods are ready; the worker does not wait", async () => {
    // Prepare
    const b = await start();
    const { sha } = await b.push({
      "deploy/settings.yaml": configMapYaml,
      "deploy/web.yaml": deploymentYaml("web", 3),
    });

    // Act: the worker applies and returns
    await b.drain();
    const afterWorker = statusesOf(b, sha).at(-1);
    const deploymentAfterWorker = deploymentStatesOf(b, sha);
    const readyWhenWorkerReturned = await readyReplicas(b.namespace, "web");
    await b.runHealthUntilFinal(sha, 60_000);

    // Assess
    expect(afterWorker?.state).toBe("pending");
    expect(afterWorker?.description).toBe("applied 2 objects; waiting for 1 (Deployment web)");
    expect(readyWhenWorkerReturned).toBeLessThan(3);
    expect(await readyReplicas(b.namespace, "web")).toBe(3);
    const final = statusesOf(b, sha).at(-1);
    expect(final?.state).toBe("success");
    expect(final?.description).toMatch(/^2 objects healthy in \d+\.\ds$/);
    // The GitHub Deployment stays in_progress while health is checked; the health consumer ends it.
    expect(deploymentAfterWorker).toEqual(["in_progress"]);
    expect(deploymentStatesOf(b, sha)).toEqual(["in_progress", "success"]);
    // Issue 16's budget holds with health gating too: create + in_progress (worker) + final (health).
    expect(b.world.fake.restCalls().filter((c) => c.route?.includes("/deployments")).length).toBe(3);
    expect(b.world.fake.deployments(sha)[0]?.statuses[1]).toMatchObject({
      description: final?.description,
      log_url: b.world.fake.checkRuns(sha).at(-1)?.html_url,
    });
    // Statuses are posted only when their text changes: never the same description twice in a row.
    const descriptions = statusesOf(b, sha).map((s) => s.description);
    expect(descriptions.filter((d, i) => i > 0 && d === descriptions[i - 1])).toEqual([]);
  });

  it("fails as soon as the progress deadline passes, naming ProgressDeadlineExceeded and the pod, before the target's timeout", async () => {
    // Prepare
    const b = await start({ health: { timeoutSeconds: 120 } });
    const { sha } = await b.push({
      "deploy/web.yaml": deploymentYaml(
        "web",
        2,
        { labels: { [FAULT_LABEL]: "never-ready" } },
        "  progressDeadlineSeconds: 8",
      ),
    });

    // Act
    await b.drain();
    const started = Date.now();
    await b.runHealthUntilFinal(sha, 90_000);

    // Assess
    const final = statusesOf(b, sha).at(-1);
    expect(final?.state).toBe("failure");
    expect(final?.description).toMatch(
      /^Deployment web: 0\/2 ready, ProgressDeadlineExceeded: ReplicaSet "web-[a-z0-9]+" has timed out progressing\..*pod web-/,
    );
    expect(Date.now() - started).toBeLessThan(120_000);
    expect(deploymentStatesOf(b, sha)).toEqual(["in_progress", "failure"]);
  });

  it.each([
    ["image-pull", "ImagePullBackOff", /ImagePullBackOff ".*repository does not exist/],
    ["crash-loop", "CrashLoopBackOff", /CrashLoopBackOff "back-off 40s restarting failed container=app"/],
  ])(
    "fails at once when the pods are in %s, with the reason from the pod",
    async (fault, reason, pattern) => {
      // Prepare
      const b = await start();
      const { sha } = await b.push({
        "deploy/web.yaml": deploymentYaml("web", 2, {
          labels: { [FAULT_LABEL]: fault },
          annotations: { [FAULT_MESSAGE_ANNOTATION]: "repository does not exist" },
        }),
      });

      // Act
      await b.drain();
      await b.runHealthUntilFinal(sha, 60_000);

      // Assess
      const final = statusesOf(b, sha).at(-1);
      expect(final?.state).toBe("failure");
      expect(final?.description).toMatch(
        new RegExp(`^Deployment web: 0/2 ready, pod web-[a-z0-9]+-[a-z0-9]+: ${reason} "`),
      );
      // The status line is cut at 140 characters; the check run's health table has the whole message.
      const table = b.world.fake.checkRuns(sha).at(-1)?.summary ?? "";
      expect(table).toMatch(/\| `Deployment\.apps [a-z0-9-]+\/web` \| ❌ Failed \|/);
      expect(table).toMatch(pattern);
    },
  );

  it("waits for a Job to complete, and fails when it fails (BackoffLimitExceeded)", async () => {
    // Prepare
    const b = await start();
    const job = (name: string, fault?: string) =>
      [
        "apiVersion: batch/v1",
        "kind: Job",
        "metadata:",
        `  name: ${name}`,
        "spec:",
        "  backoffLimit: 0",
        "  template:",
        ...(fault ? ["    metadata:", "      labels:", `        ${FAULT_LABEL}: ${fault}`] : []),
        "    spec:",
        "      restartPolicy: Never",
        "      containers:",
        "        - name: migrate",
        "          image: registry.example/migrate:1",
        "",
      ].join("\n");
    const ok = await b.push({ "deploy/job.yaml": job("migrate") });
    await b.drain();
    await b.runHealthUntilFinal(ok.sha, 60_000);
    const bad = await b.push({ "deploy/job.yaml": null, "deploy/job2.yaml": job("migrate-2", "fail") });

    // Act
    await b.drain();
    await b.runHealthUntilFinal(bad.sha, 60_000);

    // Assess
    expect(statusesOf(b, ok.sha).at(-1)?.state).toBe("success");
    const batch = kubeConfigFor("admin").makeApiClient(BatchV1Api);
    const failedJob = await batch.readNamespacedJob({ name: "migrate-2", namespace: b.namespace });
    expect(failedJob.status?.conditions?.some((c) => c.type === "Failed" && c.status === "True")).toBe(true);
    const final = statusesOf(b, bad.sha).at(-1);
    expect(final?.state).toBe("failure");
    expect(final?.description).toMatch(/^Job migrate-2: BackoffLimitExceeded/);
  });

  it("rolls out a StatefulSet and a DaemonSet (one pod per fake node) before reporting success", async () => {
    // Prepare
    const b = await start();
    const pod = (app: string) =>
      [
        "  selector:",
        "    matchLabels:",
        `      app: ${app}`,
        "  template:",
        "    metadata:",
        "      labels:",
        `        app: ${app}`,
        "    spec:",
        "      terminationGracePeriodSeconds: 0",
        "      containers:",
        "        - name: app",
        "          image: registry.example/app:1",
      ].join("\n");
    const { sha } = await b.push({
      "deploy/db.yaml": `apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db\nspec:\n  replicas: 2\n  serviceName: db\n${pod("db")}\n`,
      "deploy/agent.yaml": `apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: agent\nspec:\n${pod("agent")}\n`,
    });

    // Act
    await b.drain();
    await b.runHealthUntilFinal(sha, 90_000);

    // Assess
    const final = statusesOf(b, sha).at(-1);
    expect(final?.state).toBe("success");
    const apps = kubeConfigFor("admin").makeApiClient(AppsV1Api);
    expect(
      (await apps.readNamespacedStatefulSet({ name: "db", namespace: b.namespace })).status?.readyReplicas,
    ).toBe(2);
    expect(
      (await apps.readNamespacedDaemonSet({ name: "agent", namespace: b.namespace })).status?.numberReady,
    ).toBe(3);
  });

  it("reports failure at the target's deadline, naming what is not ready", async () => {
    // Prepare: never ready, and no progress deadline before the target's own 6 s timeout.
    const b = await start({ health: { timeoutSeconds: 6 } });
    const { sha } = await b.push({
      "deploy/web.yaml": deploymentYaml(
        "web",
        1,
        { labels: { [FAULT_LABEL]: "never-ready" } },
        "  progressDeadlineSeconds: 600",
      ),
    });

    // Act
    await b.drain();
    await b.runHealthUntilFinal(sha, 60_000);

    // Assess
    const final = statusesOf(b, sha).at(-1);
    expect(final?.state).toBe("failure");
    expect(final?.description).toMatch(
      /^not healthy after 6\.0s: Deployment web 0\/1 ready, pod web-[a-z0-9-]+: not ready/,
    );
  });

  it("a second push while the first waits: the first is superseded, the second is gated", async () => {
    // Prepare
    const b = await start();
    const first = await b.push({
      "deploy/web.yaml": deploymentYaml("web", 2, { labels: { [FAULT_LABEL]: "never-ready" } }),
    });
    await b.drain();
    await b.pollHealth(3);
    const firstWhileWaiting = statusesOf(b, first.sha).at(-1);
    const second = await b.push({ "deploy/web.yaml": deploymentYaml("web", 3) });

    // Act
    await b.drain();
    await b.runHealthUntilFinal(first.sha, 60_000);
    await b.runHealthUntilFinal(second.sha, 60_000);

    // Assess
    expect(firstWhileWaiting).toMatchObject({
      state: "pending",
      description: expect.stringMatching(/^applied 1 object; waiting for 1 \(Deployment web 0\/2 ready/),
    });
    expect(statusesOf(b, first.sha).at(-1)).toMatchObject({
      state: "success",
      description: `superseded by ${second.sha.slice(0, 7)}`,
    });
    expect(statusesOf(b, second.sha).at(-1)?.description).toMatch(/^1 object healthy in/);
    // GitHub retires only successful deployments by itself: the replaced one is ended explicitly.
    expect(deploymentStatesOf(b, first.sha)).toEqual(["in_progress", "inactive"]);
    expect(deploymentStatesOf(b, second.sha)).toEqual(["in_progress", "success"]);
    expect(await readyReplicas(b.namespace, "web")).toBe(3);
  });

  it("wait: false keeps today's behaviour: success as soon as the objects are applied", async () => {
    // Prepare
    const b = await start({ health: { wait: false } });
    const { sha } = await b.push({
      "deploy/web.yaml": deploymentYaml("web", 2, { labels: { [FAULT_LABEL]: "never-ready" } }),
    });

    // Act
    await b.drain();

    // Assess
    expect(statusesOf(b, sha).at(-1)).toMatchObject({
      state: "success",
      description: expect.stringMatching(/^1 created in/),
    });
    expect((await b.pollHealth(1)).received).toBe(0);
  });
});

describe("custom resources and namespace deletion on the rolling cluster", () => {
  it("waits for a custom resource until its Ready condition, flipped by the test, satisfies the target's CEL rule", async () => {
    // Prepare: a CRD (no controller exists for it: the test plays the controller by patching status)
    const admin = kubeConfigFor("admin");
    const group = `w${Date.now().toString(36)}.example.com`;
    await admin.makeApiClient(ApiextensionsV1Api).createCustomResourceDefinition({
      body: {
        metadata: { name: `widgets.${group}` },
        spec: {
          group,
          names: { kind: "Widget", plural: "widgets", singular: "widget", listKind: "WidgetList" },
          scope: "Namespaced",
          versions: [
            {
              name: "v1",
              served: true,
              storage: true,
              subresources: { status: {} },
              schema: { openAPIV3Schema: { type: "object", x_kubernetes_preserve_unknown_fields: true } },
            },
          ],
        },
      },
    });
    await waitFor(
      async () =>
        (
          await admin
            .makeApiClient(ApiextensionsV1Api)
            .readCustomResourceDefinition({ name: `widgets.${group}` })
        ).status?.conditions?.some((c) => c.type === "Established" && c.status === "True") === true,
    );
    const ready =
      "has(status.conditions) && status.conditions.exists(c, c.type == 'Ready' && c.status == 'True')";
    const b = await start({
      health: { checks: [{ apiVersion: `${group}/v1`, kind: "Widget", current: ready }] },
    });
    await grantExtra(b.namespace, group);
    const { sha } = await b.push({
      "deploy/widget.yaml": `apiVersion: ${group}/v1\nkind: Widget\nmetadata:\n  name: gear\nspec:\n  size: 3\n`,
    });
    await b.drain();
    await b.pollHealth(3);
    const beforeFlip = statusesOf(b, sha).at(-1);

    // Act: the "controller" reports Ready
    await admin.makeApiClient(CustomObjectsApi).patchNamespacedCustomObjectStatus(
      {
        group,
        version: "v1",
        namespace: b.namespace,
        plural: "widgets",
        name: "gear",
        body: {
          status: {
            conditions: [{ type: "Ready", status: "True", reason: "Provisioned", message: "3 gears" }],
          },
        },
      },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    await b.runHealthUntilFinal(sha, 60_000);

    // Assess
    expect(beforeFlip).toMatchObject({
      state: "pending",
      description: expect.stringMatching(
        /^applied 1 object; waiting for 1 \(Widget gear no health rule matched yet/,
      ),
    });
    expect(statusesOf(b, sha).at(-1)).toMatchObject({
      state: "success",
      description: expect.stringMatching(/^1 object healthy in/),
    });
  });

  it("pruning a Namespace really deletes it and what it contains", async () => {
    // Prepare: a worker allowed cluster-scoped objects, syncing a Namespace with a ConfigMap in it
    const cp = inject("controlPlane");
    const extra = `pruned-${Date.now().toString(36)}`;
    bridge = await startBridge({
      workerKubeconfig: join(cp.dir, "admin.kubeconfig"),
      target: { policy: { clusterScoped: true, namespaces: ["*"] }, health: { wait: false } },
    });
    const b = bridge;
    await b.push({
      "deploy/keep.yaml": configMapYaml,
      "deploy/ns.yaml": `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${extra}\n`,
      "deploy/cm.yaml": `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: inside\n  namespace: ${extra}\ndata:\n  a: "1"\n`,
    });
    await b.drain();
    const core = kubeConfigFor("admin").makeApiClient(CoreV1Api);
    const existedBefore = (await core.readNamespace({ name: extra })).status?.phase;

    // Act
    await b.push({ "deploy/ns.yaml": null, "deploy/cm.yaml": null });
    await b.drain();
    const gone = await waitFor(
      async () => (await core.readNamespace({ name: extra }).catch(() => undefined)) === undefined,
      90_000,
    );

    // Assess
    expect(existedBefore).toBe("Active");
    expect(gone).toBe(true);
    expect(
      await core.readNamespacedConfigMap({ name: "inside", namespace: extra }).catch(() => undefined),
    ).toBeUndefined();
  });
});

/** Polls `probe` every 500 ms until it holds or `timeoutMs` passes (a bound, not an assertion); returns the last answer. */
async function waitFor(probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await probe().catch(() => false);
    if (ok || Date.now() > deadline) return ok;
    await setTimeout(500);
  }
}

/** Lets the worker write, and the health group list, the test's custom resource kind in `namespace`. */
async function grantExtra(namespace: string, group: string): Promise<void> {
  const rbac = kubeConfigFor("admin").makeApiClient(RbacAuthorizationV1Api);
  const grant = async (name: string, verbs: string[], subject: { kind: string; name: string }) => {
    await rbac.createNamespacedRole({
      namespace,
      body: { metadata: { name }, rules: [{ apiGroups: [group], resources: ["widgets"], verbs }] },
    });
    await rbac.createNamespacedRoleBinding({
      namespace,
      body: {
        metadata: { name },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name },
        subjects: [{ ...subject, apiGroup: "rbac.authorization.k8s.io" }],
      },
    });
  };
  await grant("widgets-worker", ["get", "list", "create", "patch", "update", "delete"], {
    kind: "Group",
    name: WORKER_GROUP,
  });
  await grant("widgets-health", ["list"], { kind: "Group", name: HEALTH_IDENTITY.groups[0] ?? "" });
}
