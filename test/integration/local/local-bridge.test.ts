/**
 * Local mode end to end: `startLocalBridge` (the webhook handler behind node:http, fauxqs,
 * the worker handler behind the event-source harness) against the shared kube-apiserver and
 * SQS endpoint, reading a real git repository, with statuses printed by the console reporter.
 * Deliveries are real HTTP requests signed like GitHub's.
 */

import { join } from "node:path";
import { setTimeout } from "node:timers/promises";
import { GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { CoreV1Api } from "@kubernetes/client-node";
import { afterEach, beforeAll, describe, expect, inject, it, vi } from "vitest";
import type { CallerSopsKeys } from "../../../functions/cli/cli-key-ring.ts";
import { localGit } from "../../../functions/local/local-git.ts";
import { deliverPush, pushPayload, sendDelivery } from "../../../functions/local/push-delivery.ts";
import { type LocalBridge, startLocalBridge } from "../../../functions/local/start-local-bridge.ts";
import { parseTargetsConfig } from "../../../lib/config/targets.ts";
import { TEST_TOKEN } from "../../factories/github.ts";
import { configMapYaml } from "../../factories/manifest-text.ts";
import { SOPS_FIXTURES, sopsFixture } from "../../factories/sops.ts";
import { createGitRepo, type GitRepo } from "../../support/git-repo.ts";
import { startGitHubWorld } from "../../support/github-fake/github-world.ts";
import { createTestNamespace, kubeConfigFor } from "../../support/kube.ts";

const SECRET = "local-test-secret";
const REPO = "acme/config";

const configMap = (name: string, color: string) => configMapYaml(name, { color });

const core = () => kubeConfigFor("admin").makeApiClient(CoreV1Api);

async function color(namespace: string, name: string): Promise<string | undefined> {
  try {
    return (await core().readNamespacedConfigMap({ namespace, name })).data?.color;
  } catch {
    return undefined;
  }
}

// Local mode has no CloudWatch; the entry points switch EMF off the same way.
beforeAll(() => {
  vi.stubEnv("POWERTOOLS_METRICS_DISABLED", "true");
});

let bridge: LocalBridge | undefined;
let repo: GitRepo | undefined;
afterEach(async () => {
  await bridge?.close();
  await repo?.remove();
  bridge = undefined;
  repo = undefined;
});

/** A bridge serving one target `web` (path `deploy`) of a fresh repository, into a fresh namespace. */
async function start(
  lines: string[] = [],
  options: { sopsKeys?: CallerSopsKeys } = {},
): Promise<{ bridge: LocalBridge; repo: GitRepo; namespace: string }> {
  const namespace = await createTestNamespace("local");
  repo = await createGitRepo();
  bridge = await startLocalBridge({
    targets: parseTargetsConfig({
      version: 1,
      clusters: {
        test: { type: "kubeconfig", source: `file:${join(inject("controlPlane").dir, "admin.kubeconfig")}` },
      },
      targets: [{ name: "web", repo: REPO, path: "deploy", cluster: "test", namespace }],
    }),
    source: { kind: "local", directories: { [REPO]: repo.dir } },
    webhookSecret: SECRET,
    sqsEndpoint: inject("sqsEndpoint"),
    logLevel: "SILENT",
    write: (text) => lines.push(text),
    sopsKeys: options.sopsKeys,
  });
  return { bridge, repo, namespace };
}

describe("local mode with SOPS-encrypted manifests", () => {
  it("decrypts with the caller's age key file, prints no decrypted value, and names a file the caller cannot open", async () => {
    // Prepare
    const lines: string[] = [];
    const { bridge, repo, namespace } = await start(lines, {
      sopsKeys: {
        SOPS_AGE_KEY: undefined,
        SOPS_AGE_KEY_FILE: join(SOPS_FIXTURES, "age-team-a.txt"),
        sopsAgeDefaultFile: "/nonexistent/pullbridge-test-config/sops/age/keys.txt",
      },
    });
    const push = () =>
      deliverPush({
        repo: localGit(repo.dir),
        repoName: REPO,
        branch: "main",
        url: bridge.webhookUrl,
        secret: SECRET,
      });
    const first = await repo.commitFiles(
      { "deploy/settings.yaml": sopsFixture("configmap.enc.yaml") },
      "first",
    );

    // Act
    await push();
    const synced = await bridge.waitForReport((r) => r.sha === first);
    const second = await repo.commitFiles(
      { "deploy/team-b.yaml": sopsFixture("secret-team-b.enc.yaml") },
      "second",
    );
    await push();
    const refused = await bridge.waitForReport((r) => r.sha === second);

    // Assess
    const settings = await core().readNamespacedConfigMap({ namespace, name: "app-settings" });
    expect(synced.state).toBe("success");
    expect(settings.data?.apiKey).toBe("ak-8f3b2c9d4e5f6a7b");
    expect(refused).toMatchObject({ state: "failure" });
    expect(JSON.stringify(refused)).toContain("deploy/team-b.yaml");
    expect(JSON.stringify(refused)).toContain("age recipient age15w75");
    // What local mode prints: both statuses, the refusal naming the file, no value.
    expect(lines.join("")).toContain("deploy/team-b.yaml");
    expect(lines.join("")).not.toContain("ak-8f3b2c9d4e5f6a7b");
    expect(lines.join("")).not.toContain("internal.example");
  });
});

describe("local mode", () => {
  it("turns a signed push into a sync and prints the commit status", async () => {
    // Prepare
    const lines: string[] = [];
    const { bridge, repo, namespace } = await start(lines);
    const sha = await repo.commitFiles(
      { "deploy/app.yaml": configMap("app", "blue"), "README.md": "hi\n" },
      "first",
    );

    // Act
    const push = await deliverPush({
      repo: localGit(repo.dir),
      repoName: REPO,
      branch: "main",
      url: bridge.webhookUrl,
      secret: SECRET,
    });
    const report = await bridge.waitForReport((r) => r.sha === sha);

    // Assess
    expect(push).toMatchObject({
      status: 202,
      after: sha,
      files: { added: ["README.md", "deploy/app.yaml"], modified: [], removed: [] },
    });
    expect(JSON.parse(push.body)).toMatchObject({ queued: ["web"] });
    expect(report).toMatchObject({
      target: "web",
      repo: REPO,
      state: "success",
      description: expect.stringMatching(/^1 created in /),
    });
    expect(await color(namespace, "app")).toBe("blue");
    expect(lines).toContain(
      `… pullbridge/web ${REPO}@${sha.slice(0, 7)} pending: syncing deploy to ${namespace}`,
    );
    expect(
      lines.some((l) => l.startsWith(`✔ pullbridge/web ${REPO}@${sha.slice(0, 7)} success: 1 created in `)),
    ).toBe(true);
    // Deployment transitions are printed like statuses (what GitHub's Environments panel would show).
    const deployment = lines.filter((l) => l.startsWith("⇢ deployment #1 web "));
    expect(deployment).toEqual([
      `⇢ deployment #1 web ${REPO}@${sha.slice(0, 7)} in_progress: applying +1 ~0 -0, 0 unchanged`,
      expect.stringMatching(
        new RegExp(`^⇢ deployment #1 web ${REPO}@${sha.slice(0, 7)} success: 1 created in `),
      ),
    ]);
  });

  it("applies an update and a prune from the next push", async () => {
    // Prepare
    const { bridge, repo, namespace } = await start();
    const git = localGit(repo.dir);
    const first = await repo.commitFiles({
      "deploy/app.yaml": configMap("app", "blue"),
      "deploy/old.yaml": configMap("old", "grey"),
    });
    await deliverPush({ repo: git, repoName: REPO, branch: "main", url: bridge.webhookUrl, secret: SECRET });
    await bridge.waitForReport((r) => r.sha === first);
    const second = await repo.commitFiles({
      "deploy/app.yaml": configMap("app", "green"),
      "deploy/old.yaml": null,
    });

    // Act
    const push = await deliverPush({
      repo: git,
      repoName: REPO,
      branch: "main",
      url: bridge.webhookUrl,
      secret: SECRET,
      before: first,
    });
    const report = await bridge.waitForReport((r) => r.sha === second);

    // Assess
    expect(push.files).toEqual({ added: [], modified: ["deploy/app.yaml"], removed: ["deploy/old.yaml"] });
    expect(report).toMatchObject({
      state: "success",
      description: expect.stringMatching(/^1 updated, 1 pruned in /),
    });
    expect(await color(namespace, "app")).toBe("green");
    expect(await color(namespace, "old")).toBeUndefined();
  });

  it("reverts a hand edit on the next scheduled drift check", async () => {
    // Prepare
    const { bridge, repo, namespace } = await start();
    const sha = await repo.commitFiles({ "deploy/app.yaml": configMap("app", "blue") });
    await deliverPush({
      repo: localGit(repo.dir),
      repoName: REPO,
      branch: "main",
      url: bridge.webhookUrl,
      secret: SECRET,
    });
    await bridge.waitForReport((r) => r.sha === sha);
    await core().patchNamespacedConfigMap({
      namespace,
      name: "app",
      body: [{ op: "replace", path: "/data/color", value: "hacked" }],
    });
    const editedAt = new Date();

    // Act
    bridge.setDriftInterval(1);
    const report = await bridge.waitForReport((r) => r.sha === sha && r.at >= editedAt);

    // Assess
    expect(report).toMatchObject({
      state: "success",
      description: expect.stringMatching(/^drift corrected: 1 updated/),
    });
    expect(await color(namespace, "app")).toBe("blue");
  });

  it("answers 401 to a delivery signed with another secret and queues nothing", async () => {
    // Prepare
    const { bridge, repo } = await start();
    const sha = await repo.commitFiles({ "deploy/app.yaml": configMap("app", "blue") });
    const payload = pushPayload({
      repo: REPO,
      branch: "main",
      before: "0".repeat(40),
      after: sha,
      files: undefined,
      message: "x",
    });

    // Act
    const answer = await sendDelivery({
      url: bridge.webhookUrl,
      secret: "not-the-secret",
      event: "push",
      payload,
    });

    // Assess
    expect(answer.status).toBe(401);
    const sqs = new SQSClient({
      endpoint: bridge.sqsEndpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "t", secretAccessKey: "t" },
    });
    const attrs = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: bridge.queueUrl,
        AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
      }),
    );
    expect(attrs.Attributes).toMatchObject({
      ApproximateNumberOfMessages: "0",
      ApproximateNumberOfMessagesNotVisible: "0",
    });
    expect(bridge.reports()).toEqual([]);
  });

  it("serves only POST /webhook, as the API Gateway route does, and stops listening on close", async () => {
    // Prepare
    const { bridge } = await start();
    const url = bridge.url;

    // Act
    const other = await fetch(`${url}/other`, { method: "POST", body: "{}" });
    await bridge.close();
    const afterClose = await fetch(`${url}/webhook`, { method: "POST", body: "{}" }).then(
      () => "answered",
      () => "refused",
    );

    // Assess
    expect(other.status).toBe(404);
    expect(afterClose).toBe("refused");
  });

  it("with a token, reads the repository through the GitHub API and posts commit statuses there", async () => {
    // Prepare
    const world = await startGitHubWorld({ mode: "token" });
    try {
      const namespace = await createTestNamespace("local-gh");
      const lines: string[] = [];
      bridge = await startLocalBridge({
        targets: parseTargetsConfig({
          version: 1,
          clusters: {
            test: {
              type: "kubeconfig",
              source: `file:${join(inject("controlPlane").dir, "admin.kubeconfig")}`,
            },
          },
          targets: [{ name: "web", repo: world.repoName, path: "deploy", cluster: "test", namespace }],
        }),
        source: { kind: "github", token: TEST_TOKEN, apiUrl: world.fake.url },
        webhookSecret: SECRET,
        sqsEndpoint: inject("sqsEndpoint"),
        logLevel: "SILENT",
        write: (text) => lines.push(text),
      });
      const sha = await world.repo.commitFiles({ "deploy/app.yaml": configMap("app", "blue") });

      // Act
      await deliverPush({
        repo: localGit(world.repo.dir),
        repoName: world.repoName,
        branch: "main",
        url: bridge.webhookUrl,
        secret: SECRET,
      });
      await bridge.waitForReport((r) => r.sha === sha);

      // Assess
      expect(world.fake.statuses(sha).map((s) => [s.state, s.context])).toEqual([
        ["pending", "pullbridge/web"],
        ["success", "pullbridge/web"],
      ]);
      expect(
        lines.some((l) =>
          l.startsWith(`→ posted pullbridge/web success on ${world.repoName}@${sha.slice(0, 7)}: 1 created`),
        ),
      ).toBe(true);
      // The deployment's final status follows the commit status (it links the check run).
      const deploymentStates = () => world.fake.deployments(sha).map((d) => d.statuses.map((s) => s.state));
      for (let i = 0; i < 100 && deploymentStates()[0]?.length !== 2; i++) await setTimeout(50);
      expect(deploymentStates()).toEqual([["in_progress", "success"]]);
      expect(
        lines
          .filter((l) => l.startsWith("⇢ deployment #"))
          .map((l) => /@[0-9a-f]{7} ([a-z_]+):/.exec(l)?.[1]),
      ).toEqual(["in_progress", "success"]);
      expect(await color(namespace, "app")).toBe("blue");
    } finally {
      await world.close();
    }
  });
});
