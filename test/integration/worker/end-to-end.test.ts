/**
 * Push → webhook → SQS FIFO → worker → kube-apiserver → commit status, all real: a signed push
 * payload goes to the real webhook handler, into fauxqs, through the event-source harness to the
 * real worker handler, which reads a real git repository through the (OpenAPI-validated) GitHub
 * fake and applies to the real API server as the namespaced worker identity.
 */
import { CoreV1Api } from "@kubernetes/client-node";
import { afterEach, describe, expect, it } from "vitest";
import { configMapYaml, serviceAccountYaml } from "../../factories/manifest-text.ts";
import { type Bridge, startBridge } from "../../support/bridge.ts";
import { kubeConfigFor } from "../../support/kube.ts";

const configMap = configMapYaml;

const serviceAccount = serviceAccountYaml;

const core = () => kubeConfigFor("admin").makeApiClient(CoreV1Api);

async function configMapData(namespace: string, name: string): Promise<Record<string, string> | undefined> {
  try {
    return (await core().readNamespacedConfigMap({ namespace, name })).data;
  } catch {
    return undefined;
  }
}

async function resourceVersions(namespace: string): Promise<Record<string, string>> {
  const [cms, sas, secrets] = await Promise.all([
    core().listNamespacedConfigMap({ namespace }),
    core().listNamespacedServiceAccount({ namespace }),
    core().listNamespacedSecret({ namespace }),
  ]);
  const out: Record<string, string> = {};
  for (const item of [...cms.items, ...sas.items, ...secrets.items]) {
    out[`${item.kind ?? ""}/${item.metadata?.name ?? ""}`] = item.metadata?.resourceVersion ?? "";
  }
  return out;
}

/** Edits the ConfigMap by hand, as `kubectl edit` would (an imperative write by another manager). */
async function editByHand(namespace: string, name: string, color: string) {
  await core().patchNamespacedConfigMap({
    namespace,
    name,
    body: [{ op: "replace", path: "/data/color", value: color }],
  });
}

const statusesOf = (bridge: Bridge, sha: string) =>
  bridge.world.fake
    .statuses(sha)
    .map((s) => ({ state: s.state, context: s.context, description: s.description }));

let bridge: Bridge | undefined;
afterEach(async () => {
  await bridge?.close();
  bridge = undefined;
});

describe("push to cluster, end to end", () => {
  it("syncs the first push and reports pending then success on the commit", async () => {
    // Prepare
    bridge = await startBridge();
    const { namespace } = bridge;

    // Act
    const push = await bridge.push({
      "deploy/app.yaml": configMap("app", { color: "blue" }),
      "deploy/sa.yaml": serviceAccount("web"),
      "README.md": "not a manifest\n",
    });
    await bridge.drain();

    // Assess
    expect(push.status).toBe(202);
    expect(push.body).toMatchObject({ queued: ["web"] });
    expect(await configMapData(namespace, "app")).toEqual({ color: "blue" });
    expect(
      (await core().readNamespacedServiceAccount({ namespace, name: "web" })).metadata?.labels,
    ).toHaveProperty("applyset.kubernetes.io/part-of");
    const statuses = statusesOf(bridge, push.sha);
    expect(statuses.map((s) => [s.state, s.context])).toEqual([
      ["pending", "pullbridge/web"],
      ["success", "pullbridge/web"],
    ]);
    expect(statuses[1]?.description).toMatch(/^2 created in \d+\.\ds$/);
    const [checkRun] = bridge.world.fake.checkRuns(push.sha);
    expect(checkRun).toMatchObject({ name: "pullbridge / web", conclusion: "success" });
    expect(checkRun?.summary).toContain(`ConfigMap ${namespace}/app`);
    expect(checkRun?.text).toContain("+  color: blue");
    expect(bridge.world.fake.violations).toEqual([]);
  });

  it("makes 8 GitHub REST calls for a sync as an App: head, pending, tarball, check run, final — and 3 for its deployment", async () => {
    // Prepare
    bridge = await startBridge({ mode: "app" });
    const callsBefore = bridge.world.fake.restCalls().length;

    // Act
    await bridge.push({ "deploy/app.yaml": configMap("app", { n: "1" }) });
    await bridge.drain();

    // Assess
    const calls = bridge.world.fake
      .restCalls()
      .slice(callsBefore)
      .map((r) => r.route);
    expect(calls).toEqual([
      "GET /repos/{owner}/{repo}/git/ref/{ref}",
      "POST /repos/{owner}/{repo}/statuses/{sha}",
      "GET /repos/{owner}/{repo}/tarball/{ref}",
      // The deployment starts once the change is planned and dry-run, before the first write.
      "POST /repos/{owner}/{repo}/deployments",
      "POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses",
      "POST /repos/{owner}/{repo}/check-runs",
      "POST /repos/{owner}/{repo}/statuses/{sha}",
      "POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses",
    ]);
  });

  it("updates a changed file and prunes a removed one", async () => {
    // Prepare
    bridge = await startBridge();
    const { namespace } = bridge;
    await bridge.push({
      "deploy/app.yaml": configMap("app", { color: "blue" }),
      "deploy/sa.yaml": serviceAccount("web"),
    });
    await bridge.drain();

    // Act
    const second = await bridge.push({
      "deploy/app.yaml": configMap("app", { color: "green" }),
      "deploy/sa.yaml": null,
    });
    await bridge.drain();

    // Assess
    expect(await configMapData(namespace, "app")).toEqual({ color: "green" });
    await expect(core().readNamespacedServiceAccount({ namespace, name: "web" })).rejects.toMatchObject({
      code: 404,
    });
    expect(statusesOf(bridge, second.sha).at(-1)).toMatchObject({
      state: "success",
      description: expect.stringMatching(/^1 updated, 1 pruned in /),
    });
  });

  it("reports an older queued push as superseded and leaves the cluster at the head", async () => {
    // Prepare
    bridge = await startBridge();
    const { namespace } = bridge;

    // Act: two pushes land in the queue before the worker runs.
    const older = await bridge.push({ "deploy/app.yaml": configMap("app", { version: "1" }) });
    const newer = await bridge.push({ "deploy/app.yaml": configMap("app", { version: "2" }) });
    await bridge.drain();

    // Assess
    expect(await configMapData(namespace, "app")).toEqual({ version: "2" });
    expect(statusesOf(bridge, older.sha)).toEqual([
      { state: "success", context: "pullbridge/web", description: `superseded by ${newer.sha.slice(0, 7)}` },
    ]);
    expect(statusesOf(bridge, newer.sha).at(-1)?.state).toBe("success");
  });

  it("fails a push with broken YAML, naming file:line, and writes nothing", async () => {
    // Prepare
    bridge = await startBridge();
    const { namespace } = bridge;
    await bridge.push({ "deploy/app.yaml": configMap("app", { color: "blue" }) });
    await bridge.drain();
    const before = await resourceVersions(namespace);
    const writesBefore = bridge.clusterRequests().writes;

    // Act
    const broken = await bridge.push({
      "deploy/app.yaml": configMap("app", { color: "red" }),
      "deploy/broken.yaml":
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: broken\ndata:\n  key: [unclosed\n",
    });
    const polls = await bridge.drain();

    // Assess
    const final = statusesOf(bridge, broken.sha).at(-1);
    expect(final?.state).toBe("failure");
    expect(final?.description).toMatch(/^deploy\/broken\.yaml:\d+:\d+/);
    const [checkRun] = bridge.world.fake.checkRuns(broken.sha);
    expect(checkRun?.annotations.map((a) => a.path)).toEqual(["deploy/broken.yaml"]);
    expect(await resourceVersions(namespace)).toEqual(before);
    expect(bridge.clusterRequests().writes).toBe(writesBefore);
    expect(polls.reduce((n, p) => n + p.failed, 0)).toBe(0); // permanent: acknowledged, not retried
  });

  it("fails an object in a namespace the worker may not write, naming it, with zero writes", async () => {
    // Prepare: the target allows a second namespace that RBAC does not grant.
    bridge = await startBridge({ target: { policy: { namespaces: ["*"] } } });
    const { namespace } = bridge;
    const before = await resourceVersions(namespace);

    // Act
    const push = await bridge.push({
      "deploy/app.yaml": configMap("app", { color: "blue" }),
      "deploy/other.yaml": configMap("elsewhere", { x: "1" }).replace(
        "metadata:\n",
        "metadata:\n  namespace: kube-public\n",
      ),
    });
    await bridge.drain();

    // Assess
    const final = statusesOf(bridge, push.sha).at(-1);
    expect(final?.state).toBe("failure");
    expect(final?.description).toContain("kube-public");
    expect(await resourceVersions(namespace)).toEqual(before);
    expect(bridge.clusterRequests().writes).toBe(0);
  });

  it("refuses a cluster-scoped object on a namespaced target, annotated at its file and line", async () => {
    // Prepare
    bridge = await startBridge();
    const clusterRole = [
      "apiVersion: rbac.authorization.k8s.io/v1",
      "kind: ClusterRole",
      "metadata:",
      "  name: too-wide",
      "rules: []",
      "",
    ];

    // Act
    const push = await bridge.push({
      "deploy/app.yaml": configMap("app", { color: "blue" }),
      "deploy/rbac.yaml": `${configMap("second", { a: "b" })}---\n${clusterRole.join("\n")}`,
    });
    await bridge.drain();

    // Assess
    expect(statusesOf(bridge, push.sha).at(-1)?.state).toBe("failure");
    const [checkRun] = bridge.world.fake.checkRuns(push.sha);
    expect(checkRun?.annotations.map((a) => [a.path, a.start_line, a.message])).toEqual([
      [
        "deploy/rbac.yaml",
        8,
        expect.stringContaining("cluster-scoped ClusterRole.rbac.authorization.k8s.io is not allowed"),
      ],
    ]);
    expect(bridge.clusterRequests().writes).toBe(0);
  });

  it("moves a job that keeps failing to the DLQ after maxReceiveCount", async () => {
    // Prepare: GitHub answers 500 to every branch-head lookup.
    bridge = await startBridge({ maxReceiveCount: 2 });
    bridge.world.fake.failNext("GET /repos/{owner}/{repo}/git/ref/{ref}", { kind: "server-error" }, 100);

    // Act
    await bridge.push({ "deploy/app.yaml": configMap("app", { color: "blue" }) });
    const polls = await bridge.drain();

    // Assess
    expect(polls.filter((p) => p.received > 0).map((p) => p.failed)).toEqual([1, 1]);
    const dead = await bridge.sqs.send(
      new (await import("@aws-sdk/client-sqs")).ReceiveMessageCommand({
        QueueUrl: bridge.queue.dlqUrl,
        MaxNumberOfMessages: 10,
      }),
    );
    expect(dead.Messages?.map((m) => JSON.parse(m.Body ?? "{}").target)).toEqual(["web"]);
    expect(await configMapData(bridge.namespace, "app")).toBeUndefined();
  });
});

describe("drift, without an agent", () => {
  it("reverts a hand edit on the next scheduled check (drift: correct)", async () => {
    // Prepare
    bridge = await startBridge();
    const { namespace } = bridge;
    const push = await bridge.push({ "deploy/app.yaml": configMap("app", { color: "blue" }) });
    await bridge.drain();
    await editByHand(namespace, "app", "hacked");

    // Act
    await bridge.scheduleDrift();
    await bridge.drain();

    // Assess
    expect(await configMapData(namespace, "app")).toEqual({ color: "blue" });
    const final = statusesOf(bridge, push.sha).at(-1);
    expect(final).toMatchObject({
      state: "success",
      description: expect.stringMatching(/^drift corrected: 1 updated/),
    });
  });

  it("posts nothing and writes nothing when a scheduled check finds no drift", async () => {
    // Prepare
    bridge = await startBridge();
    const push = await bridge.push({ "deploy/app.yaml": configMap("app", { color: "blue" }) });
    await bridge.drain();
    const statusesBefore = bridge.world.fake.statuses(push.sha).length;
    const before = await resourceVersions(bridge.namespace);
    const writesBefore = bridge.clusterRequests().writes;

    // Act
    await bridge.scheduleDrift();
    await bridge.drain();

    // Assess
    expect(bridge.world.fake.statuses(push.sha)).toHaveLength(statusesBefore);
    expect(await resourceVersions(bridge.namespace)).toEqual(before);
    expect(bridge.clusterRequests().writes).toBe(writesBefore);
  });

  it("reports drift on the head commit and changes nothing (drift: alert)", async () => {
    // Prepare
    bridge = await startBridge({ target: { drift: "alert" } });
    const { namespace } = bridge;
    const push = await bridge.push({ "deploy/app.yaml": configMap("app", { color: "blue" }) });
    await bridge.drain();
    await editByHand(namespace, "app", "hacked");
    const before = await resourceVersions(namespace);

    // Act
    await bridge.scheduleDrift();
    await bridge.drain();

    // Assess
    expect(await configMapData(namespace, "app")).toEqual({ color: "hacked" });
    expect(await resourceVersions(namespace)).toEqual(before);
    expect(statusesOf(bridge, push.sha).at(-1)).toEqual({
      state: "failure",
      context: "pullbridge/web",
      description: `drift detected: ConfigMap ${namespace}/app`,
    });
  });

  it("still reports drift after a commit that did not touch the manifests (drift: alert)", async () => {
    // Prepare: sync, then a README-only commit (a no-op sync that writes nothing), then a hand edit.
    bridge = await startBridge({ target: { drift: "alert" } });
    const { namespace } = bridge;
    await bridge.push({ "deploy/app.yaml": configMap("app", { color: "blue" }) });
    await bridge.drain();
    const readme = await bridge.push({ "README.md": "docs only\n" });
    await bridge.drain();
    await editByHand(namespace, "app", "hacked");

    // Act
    await bridge.scheduleDrift();
    await bridge.drain();

    // Assess
    expect(await configMapData(namespace, "app")).toEqual({ color: "hacked" });
    expect(statusesOf(bridge, readme.sha).at(-1)).toMatchObject({
      state: "failure",
      description: `drift detected: ConfigMap ${namespace}/app`,
    });
  });

  it("rolls back with git revert", async () => {
    // Prepare
    bridge = await startBridge();
    const { namespace } = bridge;
    await bridge.push({ "deploy/app.yaml": configMap("app", { color: "blue" }) });
    await bridge.drain();
    await bridge.push({
      "deploy/app.yaml": configMap("app", { color: "green" }),
      "deploy/sa.yaml": serviceAccount("extra"),
    });
    await bridge.drain();

    // Act
    const revert = await bridge.pushRevert();
    await bridge.drain();

    // Assess
    expect(revert.status).toBe(202);
    expect(await configMapData(namespace, "app")).toEqual({ color: "blue" });
    await expect(core().readNamespacedServiceAccount({ namespace, name: "extra" })).rejects.toMatchObject({
      code: 404,
    });
  });
});
