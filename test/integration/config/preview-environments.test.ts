/**
 * Pull-request preview environments (a `pullRequests` generator), end to end on real servers: a
 * labelled pull request gets its own namespace — created by the worker under the RBAC of
 * infra/rbac/preview-environments.yaml, applied here as an operator would — synced on every push
 * and reported on the head commit; closing it prunes the environment with its namespace. Forks
 * never get one, the project's cap holds, and the drift schedule removes environments whose
 * `closed` event was missed.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  CoreV1Api,
  type KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
} from "@kubernetes/client-node";
import { afterEach, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { ENVIRONMENTS_KEY } from "../../../lib/config/environments.ts";
import { configMapYaml } from "../../factories/manifest-text.ts";
import { ageIdentityText, sopsFixture } from "../../factories/sops.ts";
import { type Bridge, startBridge } from "../../support/bridge.ts";
import { createTestNamespace, grantWorker, kubeConfigFor, uniqueName } from "../../support/kube.ts";

const core = () => kubeConfigFor("admin").makeApiClient(CoreV1Api);
const RBAC_FILE = join(import.meta.dirname, "..", "..", "..", "infra", "rbac", "preview-environments.yaml");

/** Applies infra/rbac/preview-environments.yaml as the cluster admin (server-side apply: idempotent). */
async function applyPreviewRbac(): Promise<void> {
  const api = KubernetesObjectApi.makeApiClient(kubeConfigFor("admin"));
  for (const doc of parseAllDocuments(await readFile(RBAC_FILE, "utf8"))) {
    await api.patch(
      doc.toJS() as KubernetesObject,
      undefined,
      undefined,
      "rbac-bootstrap",
      true,
      PatchStrategy.ServerSideApply,
    );
  }
}

async function namespaceOf(name: string) {
  try {
    return await core().readNamespace({ name });
  } catch {
    return undefined;
  }
}

async function configMapData(namespace: string, name: string) {
  try {
    return (await core().readNamespacedConfigMap({ namespace, name })).data;
  } catch {
    return undefined;
  }
}

let bridge: Bridge | undefined;
afterEach(async () => {
  await bridge?.close();
  bridge = undefined;
});

/** The age key (read from SSM) that opens test/fixtures/sops/configmap.enc.yaml. */
const AGE_REF = "ssm:/pullbridge/age/team-a";

/**
 * A bridge with a project `previews` (namespaces `<prefix>-*`, at most `max` environments) and the
 * generator installed; with `decrypt`, the project and the generator's template may use the age key
 * that opens test/fixtures/sops/configmap.enc.yaml.
 */
async function previewBridge(max: number, options: { decrypt?: boolean } = {}) {
  await applyPreviewRbac();
  const prefix = uniqueName("pv");
  const home = await createTestNamespace("pvhome");
  await grantWorker(home);
  const started = await startBridge({
    namespace: home,
    configRepository: {
      projects: {
        previews: {
          repositories: ["acme/deploy"],
          clusters: ["test"],
          namespaces: [`${prefix}-*`],
          maxPreviewEnvironments: max,
          ...(options.decrypt ? { keys: ["team-a-age"] } : {}),
        },
      },
    },
    ...(options.decrypt
      ? {
          keys: { "team-a-age": { type: "age" as const, privateKey: AGE_REF } },
          storedSecrets: { [AGE_REF]: ageIdentityText("a") },
        }
      : {}),
  });
  await started.push({ "deploy/app.yaml": configMapYaml("app", { color: "main" }) });
  await started.platform?.push({
    "pullbridge/previews.yaml": [
      "version: 1",
      "generators:",
      "  - name: web",
      "    pullRequests:",
      "      repo: acme/deploy",
      "      label: preview",
      "    template:",
      "      project: previews",
      "      cluster: test",
      "      path: deploy",
      `      namespace: "${prefix}-pr-{{number}}"`,
      ...(options.decrypt ? ["      decryption:", "        keys: [team-a-age]"] : []),
      "",
    ].join("\n"),
  });
  await started.drain();
  return { bridge: started, prefix };
}

describe("pull-request preview environments", () => {
  it("creates one per labelled pull request, syncs every push, and prunes it with its namespace on close", async () => {
    // Prepare
    const setup = await previewBridge(5);
    bridge = setup.bridge;
    const namespace = `${setup.prefix}-pr-7`;
    const contexts = (sha: string) =>
      bridge?.world.fake
        .statuses(sha)
        .filter((s) => s.context === "pullbridge/web-pr-7")
        .map((s) => s.state);

    // Act 1: opened with the label
    const opened = await bridge.pullRequestEvent({
      action: "opened",
      number: 7,
      branch: "feature",
      labels: ["preview"],
      files: { "deploy/app.yaml": configMapYaml("app", { color: "feature" }) },
    });
    await bridge.drain();

    // Assess 1
    expect(opened.body).toMatchObject({ queued: ["web-pr-7"] });
    expect((await namespaceOf(namespace))?.metadata?.labels).toMatchObject({
      "pullbridge.io/preview-environment": "web-pr-7",
    });
    expect(await configMapData(namespace, "app")).toEqual({ color: "feature" });
    expect(contexts(opened.sha)).toEqual(["pending", "success"]);

    // Act 2: a push to the pull request
    const pushed = await bridge.pullRequestEvent({
      action: "synchronize",
      number: 7,
      branch: "feature",
      labels: ["preview"],
      files: { "deploy/app.yaml": configMapYaml("app", { color: "feature-2" }) },
    });
    await bridge.drain();

    // Assess 2
    expect(await configMapData(namespace, "app")).toEqual({ color: "feature-2" });
    expect(contexts(pushed.sha)).toEqual(["pending", "success"]);

    // Act 3: closed
    const closed = await bridge.pullRequestEvent({
      action: "closed",
      number: 7,
      branch: "feature",
      labels: ["preview"],
    });
    await bridge.drain();

    // Assess 3: the objects went first, then the namespace (it stays Terminating here: no controllers).
    expect(closed.body).toMatchObject({ queued: ["web-pr-7"] });
    expect(await configMapData(namespace, "app")).toBeUndefined();
    expect((await namespaceOf(namespace))?.metadata?.deletionTimestamp).toBeDefined();
    expect(
      bridge.world.fake
        .statuses(closed.sha)
        .filter((s) => s.context === "pullbridge/web-pr-7")
        .map((s) => [s.state, s.description])
        .at(-1),
    ).toEqual(["success", `removed: 1 object deleted, namespace ${namespace} deleted`]);
    const live = await bridge.stateStore?.get(ENVIRONMENTS_KEY);
    expect(live?.kind === "found" && JSON.parse(new TextDecoder().decode(live.body)).environments).toEqual(
      [],
    );
    expect(bridge.world.fake.violations).toEqual([]);
  });

  it("gives none to forks or unlabelled pull requests, and holds the project's cap", async () => {
    // Prepare
    const setup = await previewBridge(1);
    bridge = setup.bridge;

    // Act
    const fork = await bridge.pullRequestEvent({
      action: "opened",
      number: 3,
      branch: "from-fork",
      labels: ["preview"],
      headRepo: "mallory/deploy",
    });
    const unlabelled = await bridge.pullRequestEvent({ action: "opened", number: 4, branch: "plain" });
    const first = await bridge.pullRequestEvent({
      action: "labeled",
      number: 5,
      branch: "one",
      labels: ["preview"],
    });
    await bridge.drain();
    const second = await bridge.pullRequestEvent({
      action: "opened",
      number: 6,
      branch: "two",
      labels: ["preview"],
    });
    await bridge.drain();

    // Assess
    expect(fork.body).toMatchObject({ queued: [] });
    expect(unlabelled.body).toMatchObject({ queued: [] });
    expect(await namespaceOf(`${setup.prefix}-pr-3`)).toBeUndefined();
    expect(await namespaceOf(`${setup.prefix}-pr-5`)).toBeDefined();
    expect(await namespaceOf(`${setup.prefix}-pr-6`)).toBeUndefined();
    expect(
      bridge.world.fake
        .statuses(first.sha)
        .filter((s) => s.context === "pullbridge/web-pr-5")
        .at(-1)?.state,
    ).toBe("success");
    expect(
      bridge.world.fake
        .statuses(second.sha)
        .filter((s) => s.context === "pullbridge/web-pr-6")
        .map((s) => [s.state, s.description]),
    ).toEqual([["failure", "preview environment refused: project previews allows 1 live"]]);
  });

  it("removes an environment whose closed event was missed once it outlives ttlHours", async () => {
    // Prepare
    const setup = await previewBridge(5);
    bridge = setup.bridge;
    await bridge.pullRequestEvent({ action: "opened", number: 9, branch: "stale", labels: ["preview"] });
    await bridge.drain();
    // The record says its last push was 8 days ago (the generator's default ttlHours is 168).
    const store = bridge.stateStore;
    const live = await store?.get(ENVIRONMENTS_KEY);
    if (store === undefined || live?.kind !== "found") throw new Error("no live environments");
    const record = JSON.parse(new TextDecoder().decode(live.body));
    record.environments[0].lastSyncAt = new Date(Date.now() - 8 * 86_400_000).toISOString();
    await store.put(ENVIRONMENTS_KEY, JSON.stringify(record), { ifMatch: live.etag });

    // Act
    await bridge.scheduleDrift();
    await bridge.drain();

    // Assess
    expect((await namespaceOf(`${setup.prefix}-pr-9`))?.metadata?.deletionTimestamp).toBeDefined();
  });
  it("never decrypts: a SOPS file its template's key could open fails the environment, naming the file, and nothing is created", async () => {
    // Prepare: the project and the template may use the age key that opens the file.
    const setup = await previewBridge(5, { decrypt: true });
    bridge = setup.bridge;
    const namespace = `${setup.prefix}-pr-8`;

    // Act
    const opened = await bridge.pullRequestEvent({
      action: "opened",
      number: 8,
      branch: "secret-settings",
      labels: ["preview"],
      files: { "deploy/settings.yaml": sopsFixture("configmap.enc.yaml") },
    });
    await bridge.drain();

    // Assess
    const statuses = bridge.world.fake
      .statuses(opened.sha)
      .filter((s) => s.context === "pullbridge/web-pr-8");
    const runs = bridge.world.fake.checkRuns(opened.sha);
    expect(statuses.at(-1)?.state).toBe("failure");
    const text = [
      ...statuses.map((s) => s.description ?? ""),
      ...runs.map((r) => `${r.summary ?? ""} ${r.text ?? ""}`),
    ];
    expect(text.join("\n")).toContain("deploy/settings.yaml");
    expect(await configMapData(namespace, "app-settings")).toBeUndefined();
    expect(text.join("\n")).not.toContain("ak-8f3b2c9d4e5f6a7b");
  });
});
