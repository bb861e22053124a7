/**
 * Ordered lifecycles on the rolling cluster: waves, hooks (Argo CD, Helm, pullbridge), run step by
 * step through the real queues — the worker applies a step and returns, the health consumer queues
 * the next step once it is healthy. Real controller-manager, scheduler and KWOK (Job pods complete,
 * or fail when labelled `pullbridge.test/fault: fail`), real SQS (fauxqs), the GitHub fake.
 */
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import {
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
import { createS3ObjectStore } from "../../lib/state/adapters/s3-object-store.ts";
import { type Bridge, type BridgeOptions, startBridge } from "../support/bridge.ts";
import { pullbridge } from "../support/cli-process.ts";
import { FAULT_LABEL } from "../support/control-plane/rolling-cluster.ts";
import { createGitRepo } from "../support/git-repo.ts";
import { HEALTH_IDENTITY } from "../support/health-reader.ts";
import { createTestNamespace, kubeConfigFor } from "../support/kube.ts";
import { testRenderer } from "../support/renderer.ts";
import { createTestBucket, testS3Client } from "../support/s3.ts";

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

describe("hooks", () => {
  it("a pre-sync Job written with generateName is created once even when its step is retried after the worker crashed", async () => {
    // Prepare: the worker dies (every attempt at its next GitHub call fails) right after creating the Job
    const b = await start();
    const statuses = "POST /repos/{owner}/{repo}/statuses/{sha}";
    let crashed = false;
    b.world.fake.beforeAnswer("POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses", () => {
      if (crashed) return;
      crashed = true;
      b.world.fake.failNext(statuses, { kind: "network" }, 4);
    });
    const { sha } = await b.push({
      "deploy/migrate.yaml": job("migrate", { "argocd.argoproj.io/hook": "PreSync" }, { generate: true }),
      "deploy/app.yaml": deployment("app", {}),
    });

    // Act
    const first = await b.pollOnce();
    const jobsAfterCrash = await jobsIn(b.namespace);
    await b.settle(sha, { timeoutMs: 90_000 });

    // Assess
    expect(first).toMatchObject({ received: 1, failed: 1 });
    expect(jobsAfterCrash.map((j) => j.metadata?.name)).toEqual([
      expect.stringMatching(/^migrate-[0-9a-f]{10}$/),
    ]);
    const jobs = await jobsIn(b.namespace);
    expect(jobs.map((j) => j.metadata?.name)).toEqual(jobsAfterCrash.map((j) => j.metadata?.name));
    expect(jobs[0]?.metadata?.labels?.["pullbridge.dev/hook-of"]).toBe("web");
    expect(jobs[0]?.metadata?.labels?.["applyset.kubernetes.io/part-of"]).toBeUndefined();
    expect(statusesOf(b, sha).at(-1)).toMatchObject({ state: "success" });
    expect(await deploymentExists(b.namespace, "app")).toBe(true);
  });

  it("a post-sync smoke test runs after the rollout, and never counts as drift or app state", async () => {
    // Prepare
    const b = await start();
    const { sha } = await b.push({
      "deploy/app.yaml": deployment("app", {}, { replicas: 3 }),
      "deploy/smoke.yaml": job("smoke", { "argocd.argoproj.io/hook": "PostSync" }, { generate: true }),
    });

    // Act
    await b.drain();
    const jobsAfterApply = await jobsIn(b.namespace);
    await b.settle(sha, { timeoutMs: 90_000 });
    await b.scheduleDrift();
    await b.drain();

    // Assess
    expect(jobsAfterApply).toEqual([]);
    const [smoke] = await jobsIn(b.namespace);
    const app = await apps().readNamespacedDeployment({ name: "app", namespace: b.namespace });
    const available = app.status?.conditions?.find((c) => c.type === "Available");
    expect(smoke?.status?.conditions?.some((c) => c.type === "Complete" && c.status === "True")).toBe(true);
    expect(Date.parse(String(smoke?.metadata?.creationTimestamp))).toBeGreaterThanOrEqual(
      Date.parse(String(available?.lastTransitionTime)) - 1000,
    );
    expect(statusesOf(b, sha).at(-1)).toMatchObject({
      state: "success",
      description: expect.stringMatching(/^2 objects healthy in .* \(2 steps\)$/),
    });
    // The drift check found nothing to do: no new status, the hook did not run again.
    expect(statusesOf(b, sha).filter((s) => s.state !== "pending")).toHaveLength(1);
    expect((await jobsIn(b.namespace)).map((j) => j.metadata?.name)).toEqual([smoke?.metadata?.name]);
  });

  it("a failed pre-sync Job fails the sync naming the Job and its reason; later steps are not applied; sync-fail hooks run; hook-failed deletes it", async () => {
    // Prepare
    const b = await start();
    const { sha } = await b.push({
      "deploy/migrate.yaml": job(
        "migrate",
        { "pullbridge.dev/hook": "pre-sync", "pullbridge.dev/hook-delete-policy": "hook-failed" },
        { fail: true },
      ),
      "deploy/app.yaml": deployment("app", {}),
      "deploy/notify.yaml": job("notify", { "argocd.argoproj.io/hook": "SyncFail" }),
    });

    // Act
    await b.drain();
    const migrateRan = (await jobsIn(b.namespace)).map((j) => j.metadata?.name);
    await b.settle(sha, { timeoutMs: 90_000 });

    // Assess
    expect(migrateRan).toEqual(["migrate"]);
    const final = statusesOf(b, sha).at(-1);
    expect(final?.state).toBe("failure");
    expect(final?.description).toMatch(
      /^pre-sync Job migrate: BackoffLimitExceeded.*container migrate exited 1/,
    );
    expect(await deploymentExists(b.namespace, "app")).toBe(false);
    const summary = b.world.fake.checkRuns(sha).at(-1)?.summary ?? "";
    expect(summary).toContain("1. pre-sync — applied (this check)");
    expect(summary).toContain("2. apply — not applied yet");
    const jobs = (await jobsIn(b.namespace)).map((j) => j.metadata?.name);
    expect(jobs).toEqual(["notify"]);
    expect(b.world.fake.deployments(sha).flatMap((d) => d.statuses.map((s) => s.state))).toEqual([
      "in_progress",
      "failure",
    ]);
  });
});

describe("superseding", () => {
  it("a newer push while a run waits supersedes it: the old run stops, its later waves are never applied", async () => {
    // Prepare: wave 0 never becomes ready at the first commit
    const b = await start();
    const first = await b.push({
      "deploy/db.yaml": deployment(
        "db",
        { "pullbridge.dev/wave": "0" },
        { labels: { [FAULT_LABEL]: "never-ready" } },
      ),
      "deploy/app.yaml": deployment(
        "app",
        { "pullbridge.dev/wave": "1" },
        { image: "registry.example/app:first" },
      ),
    });
    await b.drain();
    await b.pollHealth(3);

    // Act: the fix arrives while the first run waits on wave 0
    const second = await b.push({
      "deploy/db.yaml": deployment("db", { "pullbridge.dev/wave": "0" }),
      "deploy/app.yaml": deployment(
        "app",
        { "pullbridge.dev/wave": "1" },
        { image: "registry.example/app:second" },
      ),
    });
    await b.settle(second.sha, { timeoutMs: 90_000 });

    // Assess
    expect(statusesOf(b, first.sha).at(-1)).toMatchObject({
      state: "success",
      description: `superseded by ${second.sha.slice(0, 7)}`,
    });
    expect(statusesOf(b, second.sha).at(-1)).toMatchObject({ state: "success" });
    const app = await apps().readNamespacedDeployment({ name: "app", namespace: b.namespace });
    expect(app.spec?.template.spec?.containers[0]?.image).toBe("registry.example/app:second");
    expect(app.metadata?.generation).toBe(1);
  });
});

describe("Helm hooks", () => {
  const chart = (tag: string, options: { failMigration?: boolean } = {}) => ({
    "deploy/Chart.yaml": "apiVersion: v2\nname: shop\nversion: 0.1.0\n",
    "deploy/values.yaml": `tag: "${tag}"\nfailMigration: ${options.failMigration === true}\n`,
    "deploy/templates/app.yaml": [
      "apiVersion: apps/v1",
      "kind: Deployment",
      "metadata:",
      "  name: {{ .Release.Name }}-app",
      "spec:",
      "  replicas: 2",
      ...podSpec("shop", { image: "registry.example/shop:{{ .Values.tag }}" }),
      "",
    ].join("\n"),
    "deploy/templates/migrate.yaml": [
      "apiVersion: batch/v1",
      "kind: Job",
      "metadata:",
      "  name: {{ .Release.Name }}-migrate",
      "  labels:",
      "    shop.example.com/release: {{ if .Release.IsUpgrade }}upgrade{{ else }}install{{ end }}",
      "  annotations:",
      "    helm.sh/hook: pre-install,pre-upgrade",
      "    helm.sh/hook-delete-policy: before-hook-creation",
      "spec:",
      "  backoffLimit: 0",
      "  template:",
      "    metadata:",
      "      labels:",
      "        app: migrate",
      "{{- if .Values.failMigration }}",
      `        ${FAULT_LABEL}: fail`,
      "{{- end }}",
      "    spec:",
      "      restartPolicy: Never",
      "      containers:",
      "        - name: migrate",
      "          image: registry.example/shop:{{ .Values.tag }}",
      "",
    ].join("\n"),
    "deploy/templates/tests/test.yaml": [
      "apiVersion: v1",
      "kind: Pod",
      "metadata:",
      "  name: {{ .Release.Name }}-test",
      "  annotations:",
      "    helm.sh/hook: test",
      "spec:",
      "  containers:",
      "    - name: t",
      "      image: busybox",
      "",
    ].join("\n"),
  });
  const image = async (namespace: string) =>
    (await apps().readNamespacedDeployment({ name: "web-app", namespace })).spec?.template.spec?.containers[0]
      ?.image;

  it("installs with the pre-install Job, then upgrades only after the pre-upgrade migration completed; a failing migration leaves the app as it was", async () => {
    // Prepare: the first sync is an install
    const b = await start({}, { renderer: testRenderer() });
    const install = await b.push(chart("1"));
    await b.settle(install.sha, { timeoutMs: 90_000 });
    const installJob = await batch().readNamespacedJob({ name: "web-migrate", namespace: b.namespace });

    // Act: an upgrade
    const upgrade = await b.push(chart("2"));
    await b.drain();
    const imageDuringMigration = await image(b.namespace);
    const upgradeJob = await batch().readNamespacedJob({ name: "web-migrate", namespace: b.namespace });
    await b.settle(upgrade.sha, { timeoutMs: 90_000 });
    const imageAfterUpgrade = await image(b.namespace);
    // … and one whose migration fails
    const broken = await b.push(chart("3", { failMigration: true }));
    await b.settle(broken.sha, { timeoutMs: 90_000 });

    // Assess
    expect(statusesOf(b, install.sha).at(-1)).toMatchObject({ state: "success" });
    expect(installJob.metadata?.labels?.["shop.example.com/release"]).toBe("install");
    expect(upgradeJob.metadata?.labels?.["shop.example.com/release"]).toBe("upgrade");
    expect(upgradeJob.metadata?.uid).not.toBe(installJob.metadata?.uid);
    expect(imageDuringMigration).toBe("registry.example/shop:1");
    expect(imageAfterUpgrade).toBe("registry.example/shop:2");
    expect(statusesOf(b, upgrade.sha).at(-1)).toMatchObject({ state: "success" });
    expect(statusesOf(b, broken.sha).at(-1)).toMatchObject({
      state: "failure",
      description: expect.stringMatching(
        /^pre-sync Job web-migrate: BackoffLimitExceeded — container migrate exited 1/,
      ),
    });
    expect(await image(b.namespace)).toBe("registry.example/shop:2");
    // The test hook is never run, and never applied as an object.
    await expect(
      kubeConfigFor("admin")
        .makeApiClient(CoreV1Api)
        .readNamespacedPod({ name: "web-test", namespace: b.namespace }),
    ).rejects.toThrow();
  });
});

describe("dependsOn", () => {
  /** A state bucket on the run's moto, as the stack deploys it. */
  async function stateStore() {
    const s3 = testS3Client();
    return createS3ObjectStore({ bucket: await createTestBucket(s3), client: s3 });
  }

  /** Lets the health group list CRDs and the test's custom resources cluster-wide (the worker is admin here). */
  async function grantHealthCrds(group: string): Promise<void> {
    const rbac = kubeConfigFor("admin").makeApiClient(RbacAuthorizationV1Api);
    const name = `health-${group.replaceAll(".", "-")}`;
    await rbac.createClusterRole({
      body: {
        metadata: { name },
        rules: [
          { apiGroups: ["apiextensions.k8s.io"], resources: ["customresourcedefinitions"], verbs: ["list"] },
          { apiGroups: [group], resources: ["widgets"], verbs: ["list"] },
        ],
      },
    });
    await rbac.createClusterRoleBinding({
      body: {
        metadata: { name },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name },
        subjects: [
          { kind: "Group", name: HEALTH_IDENTITY.groups[0] ?? "", apiGroup: "rbac.authorization.k8s.io" },
        ],
      },
    });
  }

  const crd = (group: string) =>
    [
      "apiVersion: apiextensions.k8s.io/v1",
      "kind: CustomResourceDefinition",
      "metadata:",
      `  name: widgets.${group}`,
      "spec:",
      `  group: ${group}`,
      "  scope: Namespaced",
      "  names: { kind: Widget, plural: widgets, singular: widget, listKind: WidgetList }",
      "  versions:",
      "    - name: v1",
      "      served: true",
      "      storage: true",
      "      schema:",
      "        openAPIV3Schema: { type: object, x-kubernetes-preserve-unknown-fields: true }",
      "",
    ].join("\n");

  it("a consumer of a CRD waits until the target providing it is healthy, then syncs", async () => {
    // Prepare: `infra` provides the CRD (and a controller Deployment); `web` needs it
    const group = `w${Date.now().toString(36)}.example.com`;
    await grantHealthCrds(group);
    const cp = inject("controlPlane");
    const b = await start(
      { dependsOn: ["infra"], policy: { clusterScoped: true, namespaces: ["*"] } },
      {
        workerKubeconfig: join(cp.dir, "admin.kubeconfig"),
        stateStore: await stateStore(),
        extraTargets: [{ name: "infra", path: "infra", policy: { clusterScoped: true, namespaces: ["*"] } }],
      },
    );
    const { sha } = await b.push({
      "infra/crd.yaml": crd(group),
      "infra/controller.yaml": deployment("widget-controller", {}, { replicas: 3 }),
      "deploy/widget.yaml": `apiVersion: ${group}/v1\nkind: Widget\nmetadata:\n  name: gear\nspec:\n  size: 3\n`,
    });

    // Act
    await b.settle(sha, { target: "infra", timeoutMs: 90_000 });
    await b.settle(sha, { target: "web", timeoutMs: 120_000 });

    // Assess
    const web = statusesOf(b, sha, "web");
    // The consumer's job ran while `infra` had not synced or was not healthy yet: it waited.
    expect(web[0]?.description).toMatch(
      new RegExp(
        `^waiting for infra: it (has not synced yet|is not healthy yet at ${sha.slice(0, 7)}|is syncing)`,
      ),
    );
    expect(statusesOf(b, sha, "infra").at(-1)).toMatchObject({ state: "success" });
    expect(web.at(-1)).toMatchObject({ state: "success" });
    const widget = await kubeConfigFor("admin").makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
      group,
      version: "v1",
      namespace: b.namespace,
      plural: "widgets",
      name: "gear",
    });
    expect(widget.metadata?.name).toBe("gear");
  });

  it("a failed dependency fails the dependent, naming it; nothing of the dependent is applied", async () => {
    // Prepare
    const b = await start(
      { dependsOn: [{ target: "infra", sameCommit: true }] },
      {
        stateStore: await stateStore(),
        extraTargets: [{ name: "infra", path: "infra" }],
      },
    );
    const { sha } = await b.push({
      "infra/db.yaml": deployment("db", {}, { labels: { [FAULT_LABEL]: "image-pull" } }),
      "deploy/app.yaml": deployment("app", {}),
    });

    // Act
    await b.settle(sha, { target: "infra", timeoutMs: 90_000 });
    await b.settle(sha, { target: "web", timeoutMs: 120_000 });

    // Assess
    expect(statusesOf(b, sha, "infra").at(-1)).toMatchObject({ state: "failure" });
    expect(statusesOf(b, sha, "web").at(-1)).toMatchObject({
      state: "failure",
      description: expect.stringMatching(
        new RegExp(`^dependency infra failed at ${sha.slice(0, 7)}: Deployment db: 0/2 ready`),
      ),
    });
    expect(await deploymentExists(b.namespace, "app")).toBe(false);
  });

  it("a dependency cycle is refused when the targets file is read, printing the cycle", async () => {
    await expect(
      startBridge({
        target: { dependsOn: ["b"] },
        extraTargets: [
          { name: "a", path: "a", dependsOn: ["web"] },
          { name: "b", path: "b", dependsOn: ["a"] },
        ],
      }),
    ).rejects.toThrow(/dependsOn forms a cycle: web → b → a → web/);
  });
});

describe("fields owned by controllers", () => {
  it("replicas a real HorizontalPodAutoscaler owns are never reverted, while a hand edit of the image still is", async () => {
    // Prepare: Git says 1 replica; the HPA's minimum is 3
    const b = await start();
    const hpa = [
      "apiVersion: autoscaling/v2",
      "kind: HorizontalPodAutoscaler",
      "metadata:",
      "  name: app",
      "spec:",
      "  scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: app }",
      "  minReplicas: 3",
      "  maxReplicas: 5",
      "  metrics:",
      "    - type: Resource",
      "      resource: { name: cpu, target: { type: Utilization, averageUtilization: 80 } }",
      "",
    ].join("\n");
    const { sha } = await b.push({
      "deploy/app.yaml": deployment("app", {}, { replicas: 1 }),
      "deploy/hpa.yaml": hpa,
    });
    await b.settle(sha, { timeoutMs: 90_000 });
    const replicas = async () =>
      (await apps().readNamespacedDeployment({ name: "app", namespace: b.namespace })).spec?.replicas;
    const scaled = await waitUntil(async () => (await replicas()) === 3, 60_000);

    // Act: a drift check with only the HPA's change, then one after a hand edit of the image
    await b.scheduleDrift();
    await b.drain();
    const statusesAfterQuietCheck = statusesOf(b, sha).length;
    await apps().patchNamespacedDeployment(
      {
        name: "app",
        namespace: b.namespace,
        body: {
          spec: {
            template: { spec: { containers: [{ name: "app", image: "registry.example/app:hand-edit" }] } },
          },
        },
        fieldManager: "kubectl-edit",
      },
      setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch),
    );
    await b.scheduleDrift();
    await b.settle(sha, { timeoutMs: 60_000 });

    // Assess
    expect(scaled).toBe(true);
    expect(statusesAfterQuietCheck).toBe(statusesOf(b, sha).length - 2);
    expect(statusesOf(b, sha).at(-1)).toMatchObject({
      state: "success",
      description: expect.stringMatching(/^drift corrected: /),
    });
    const app = await apps().readNamespacedDeployment({ name: "app", namespace: b.namespace });
    expect(app.spec?.template.spec?.containers[0]?.image).toBe("registry.example/app:1");
    expect(app.spec?.replicas).toBe(3);
  });
});

/** Polls `probe` every 500 ms until it holds or `timeoutMs` passes (a bound, not an assertion); returns the last answer. */
async function waitUntil(probe: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await probe().catch(() => false);
    if (ok || Date.now() > deadline) return ok;
    await sleep(500);
  }
}

describe("the CLI", () => {
  it("`pullbridge diff` shows the order; `pullbridge sync --wait` runs the steps in-process, printing each", async () => {
    // Prepare: a checkout with a pre-sync Job, two waves and a post-sync Job
    const namespace = await createTestNamespace("cli-lifecycle");
    const repo = await createGitRepo();
    try {
      await repo.commitFiles(
        {
          "deploy/migrate.yaml": job("migrate", { "argocd.argoproj.io/hook": "PreSync" }, { generate: true }),
          "deploy/db.yaml": statefulSet("db", { "argocd.argoproj.io/sync-wave": "0" }),
          "deploy/app.yaml": deployment("app", { "argocd.argoproj.io/sync-wave": "1" }),
          "deploy/smoke.yaml": job("smoke", { "argocd.argoproj.io/hook": "PostSync" }),
        },
        "manifests",
      );
      const flags = [
        "-n",
        namespace,
        "--target",
        "web",
        "--kubeconfig",
        join(inject("controlPlane").dir, "admin.kubeconfig"),
      ];

      // Act
      const diff = await pullbridge(["diff", "deploy", ...flags], { cwd: repo.dir });
      const jobsAfterDiff = await jobsIn(namespace);
      const sync = await pullbridge(["sync", "deploy", ...flags, "--wait", "--timeout", "90"], {
        cwd: repo.dir,
      });

      // Assess
      expect(diff.stdout).toMatch(
        /Order:\n\s+1\. pre-sync\s+Job\.batch migrate-[0-9a-f]{10} \(Argo CD hook; delete: before-hook-creation\)\n\s+2\. wave 0\s+StatefulSet\.apps db\n\s+3\. wave 1\s+Deployment\.apps app, then prune what left Git\n\s+4\. post-sync\s+Job\.batch smoke /,
      );
      expect(jobsAfterDiff).toEqual([]);
      expect(sync.code).toBe(0);
      const steps = sync.stderr.split("\n").filter((l) => l.startsWith("step "));
      expect(steps).toEqual([
        expect.stringMatching(/^step 1\/4 pre-sync: 1 hook created — healthy in /),
        expect.stringMatching(/^step 2\/4 wave 0: 1 created, 0 updated, 0 unchanged — healthy in /),
        expect.stringMatching(/^step 3\/4 wave 1: 1 created, 0 updated, 0 unchanged — healthy in /),
        expect.stringMatching(/^step 4\/4 post-sync: 1 hook created — healthy in /),
      ]);
      const jobs = await jobsIn(namespace);
      expect(jobs.map((j) => j.metadata?.name).sort()).toEqual([expect.stringMatching(/^migrate-/), "smoke"]);
      expect(jobs.every((j) => j.status?.conditions?.some((c) => c.type === "Complete"))).toBe(true);
    } finally {
      await repo.remove();
    }
  });
});
