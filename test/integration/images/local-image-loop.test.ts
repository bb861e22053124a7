/**
 * Local mode's image loop on one machine: an ECR push event posted to the local bridge → the
 * intake handler → the image queue (fauxqs) → the updater commits into the local git repository
 * (its checked-out branch fast-forwarded, working tree following) → the push delivered to the
 * bridge's own webhook → the worker syncs → the Deployment on the real API server names the new tag.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AppsV1Api } from "@kubernetes/client-node";
import { afterEach, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { localGit } from "../../../functions/local/local-git.ts";
import { localPaths, writeLocalState } from "../../../functions/local/local-state.ts";
import { deliverPush } from "../../../functions/local/push-delivery.ts";
import {
  IMAGE_EVENT_PATH,
  type LocalBridge,
  startLocalBridge,
} from "../../../functions/local/start-local-bridge.ts";
import { parseTargetsConfig } from "../../../lib/config/targets.ts";
import { ecrPushEvent, markedDeployment } from "../../factories/images.ts";
import { createGitRepo, type GitRepo } from "../../support/git-repo.ts";
import { createTestNamespace, kubeConfigFor } from "../../support/kube.ts";

const SECRET = "local-image-secret";
const REPO = "acme/config";
const IMAGE = "123456789012.dkr.ecr.us-west-2.amazonaws.com/web";

beforeAll(() => {
  vi.stubEnv("POWERTOOLS_METRICS_DISABLED", "true");
});

const SEND_IMAGE_EVENT = new URL("../../../functions/local/send-image-event.ts", import.meta.url).pathname;

/** Runs `npm run send-image-event` as the user would (its own process, the same Node). */
function sendImageEvent(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [SEND_IMAGE_EVENT, ...args], { timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

let bridge: LocalBridge | undefined;
let repo: GitRepo | undefined;
afterEach(async () => {
  await bridge?.close();
  await repo?.remove();
  bridge = undefined;
  repo = undefined;
});

describe("local mode: image event → commit → push → sync", () => {
  it("commits the new tag into the local repository and the cluster follows", async () => {
    // Prepare
    const lines: string[] = [];
    const namespace = await createTestNamespace("local-img");
    repo = await createGitRepo();
    const deployment = markedDeployment({ image: `${IMAGE}:1.27.0` });
    const first = await repo.commitFiles({ "deploy/deployment.yaml": deployment }, "first");
    bridge = await startLocalBridge({
      targets: parseTargetsConfig({
        version: 1,
        clusters: {
          test: {
            type: "kubeconfig",
            source: `file:${join(inject("controlPlane").dir, "admin.kubeconfig")}`,
          },
        },
        targets: [
          {
            name: "web",
            repo: REPO,
            path: "deploy",
            cluster: "test",
            namespace,
            images: { policies: [{ name: "web", repository: IMAGE, semver: "^1.0.0" }] },
          },
        ],
      }),
      source: { kind: "local", directories: { [REPO]: repo.dir } },
      webhookSecret: SECRET,
      sqsEndpoint: inject("sqsEndpoint"),
      logLevel: "SILENT",
      write: (text) => lines.push(text),
    });
    await deliverPush({
      repo: localGit(repo.dir),
      repoName: REPO,
      branch: "main",
      url: bridge.webhookUrl,
      secret: SECRET,
    });
    await bridge.waitForReport((r) => r.sha === first);

    // Act
    const event = ecrPushEvent({ repositoryName: "web", tag: "1.28.0", id: "local-evt-1" });
    const answer = await fetch(`${bridge.url}${IMAGE_EVENT_PATH}`, {
      method: "POST",
      body: JSON.stringify(event),
    });
    const intake = (await answer.json()) as Record<string, unknown>;
    const synced = await bridge.waitForReport((r) => r.sha !== first, 60_000);

    // Assess
    expect(intake).toMatchObject({ kind: "queued", jobs: 1 });
    const head = await repo.head("main");
    expect(synced).toMatchObject({ sha: head, state: "success" });
    expect(await repo.git("rev-parse", `${head}^`)).toBe(first);
    expect(await repo.git("log", "-1", "--format=%s", head)).toBe(
      "web: 1.27.0 → 1.28.0 (ECR push sha256:7f5b2640fe6f)",
    );
    expect(await repo.git("status", "--porcelain")).toBe("");
    expect(await repo.git("show", `${head}:deploy/deployment.yaml`)).toBe(
      deployment.replace(":1.27.0 #", ":1.28.0 #").trimEnd(),
    );
    const live = await kubeConfigFor("admin")
      .makeApiClient(AppsV1Api)
      .readNamespacedDeployment({ namespace, name: "web" });
    expect(live.spec?.template.spec?.containers[0]?.image).toBe(`${IMAGE}:1.28.0`);
    expect(lines.some((l) => l.startsWith(`image ${IMAGE}:1.28.0: committed ${head.slice(0, 7)}`))).toBe(
      true,
    );
  });

  it("send-image-event exits 1 with the bridge's reason when the event is rejected, 0 when it is queued", async () => {
    // Prepare: a bridge whose only policy names the ECR repository `web`, and the state file `npm start` writes.
    const namespace = await createTestNamespace("local-img-cli");
    repo = await createGitRepo();
    await repo.commitFiles(
      { "deploy/deployment.yaml": markedDeployment({ image: `${IMAGE}:1.27.0` }) },
      "first",
    );
    bridge = await startLocalBridge({
      targets: parseTargetsConfig({
        version: 1,
        clusters: {
          test: {
            type: "kubeconfig",
            source: `file:${join(inject("controlPlane").dir, "admin.kubeconfig")}`,
          },
        },
        targets: [
          {
            name: "web",
            repo: REPO,
            path: "deploy",
            cluster: "test",
            namespace,
            images: { policies: [{ name: "web", repository: IMAGE, semver: "^1.0.0" }] },
          },
        ],
      }),
      source: { kind: "local", directories: { [REPO]: repo.dir } },
      webhookSecret: SECRET,
      sqsEndpoint: inject("sqsEndpoint"),
      logLevel: "SILENT",
      write: () => undefined,
    });
    const stateDir = await mkdtemp(join(tmpdir(), "pullbridge-image-state-"));
    await writeLocalState(
      {
        pid: process.pid,
        webhookUrl: bridge.webhookUrl,
        webhookSecret: SECRET,
        targets: [{ name: "web", repo: REPO, branch: "main", path: "deploy" }],
        directories: { [REPO]: repo.dir },
        delivered: {},
      },
      localPaths(stateDir).stateFile,
    );

    // Act
    const rejected = await sendImageEvent([
      "--state-dir",
      stateDir,
      "--repository",
      "other",
      "--tag",
      "1.28.0",
    ]);
    const queued = await sendImageEvent(["--state-dir", stateDir, "--tag", "1.0.0"]);

    // Assess: the rejected event exited 0 before.
    expect(rejected.code).toBe(1);
    expect(rejected.stderr).toBe(
      "error: the bridge rejected the event (unknown-repository): no image policy names repository 123456789012.dkr.ecr.us-west-2.amazonaws.com/other\n",
    );
    expect(queued.code).toBe(0);
    expect(queued.stdout).toContain('HTTP 200 {"kind":"queued","jobs":1');
    await rm(stateDir, { recursive: true, force: true });
  });
});
