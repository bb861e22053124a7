/**
 * Local mode's health loop on the rolling cluster: `startLocalBridge({ health })` — the webhook
 * behind node:http, the FIFO job queue and the standard health queue in fauxqs (per-message
 * DelaySeconds), the worker and the health handler polled by the event-source harness — reports
 * `pending` after the apply and the final status only from the health consumer's verdict.
 */
import { join } from "node:path";
import { AppsV1Api } from "@kubernetes/client-node";
import { afterEach, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { localGit } from "../../functions/local/local-git.ts";
import { deliverPush } from "../../functions/local/push-delivery.ts";
import { type LocalBridge, startLocalBridge } from "../../functions/local/start-local-bridge.ts";
import { parseTargetsConfig } from "../../lib/config/targets.ts";
import { deploymentYaml } from "../factories/manifest-text.ts";
import { FAULT_LABEL, FAULT_MESSAGE_ANNOTATION } from "../support/control-plane/rolling-cluster.ts";
import { createGitRepo, type GitRepo } from "../support/git-repo.ts";
import { createTestNamespace, kubeConfigFor } from "../support/kube.ts";

const SECRET = "local-health-secret";
const REPO = "acme/config";

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

async function start(lines: string[], health: boolean) {
  const namespace = await createTestNamespace("local-health");
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
    ...(health ? { health: { backoff: { initialDelaySeconds: 1, factor: 2, maxDelaySeconds: 2 } } } : {}),
  });
  return { bridge, repo, namespace };
}

async function push(b: LocalBridge, r: GitRepo, files: Record<string, string>): Promise<string> {
  const sha = await r.commitFiles(files, "manifests");
  const delivered = await deliverPush({
    repo: localGit(r.dir),
    repoName: REPO,
    branch: "main",
    url: b.webhookUrl,
    secret: SECRET,
  });
  expect(delivered.status).toBe(202);
  return sha;
}

async function readyReplicas(namespace: string, name: string): Promise<number> {
  const apps = kubeConfigFor("admin").makeApiClient(AppsV1Api);
  return (await apps.readNamespacedDeployment({ namespace, name })).status?.readyReplicas ?? 0;
}

describe("local mode with health gating", () => {
  it("prints pending after the apply and success only once the Deployment's pods are ready", async () => {
    // Prepare
    const lines: string[] = [];
    const { bridge, repo, namespace } = await start(lines, true);

    // Act
    const sha = await push(bridge, repo, { "deploy/web.yaml": deploymentYaml("web", { replicas: 2 }) });
    const report = await bridge.waitForReport((r) => r.sha === sha, 60_000);
    const readyAtReport = await readyReplicas(namespace, "web");

    // Assess
    expect(report).toMatchObject({
      state: "success",
      description: expect.stringMatching(/^1 object healthy in /),
    });
    expect(readyAtReport).toBe(2);
    const short = sha.slice(0, 7);
    const pending = lines.indexOf(
      `… pullbridge/web ${REPO}@${short} pending: applied 1 object; waiting for 1 (Deployment web)`,
    );
    const success = lines.findIndex((l) =>
      l.startsWith(`✔ pullbridge/web ${REPO}@${short} success: 1 object healthy in`),
    );
    expect(pending).toBeGreaterThanOrEqual(0);
    expect(success).toBeGreaterThan(pending);
    expect(bridge.health?.queueUrl).toMatch(/pullbridge-local-[0-9a-f]{8}-health$/);
  });

  it("reports failure with the pod's reason when the image cannot be pulled", async () => {
    // Prepare
    const lines: string[] = [];
    const { bridge, repo } = await start(lines, true);

    // Act
    const sha = await push(bridge, repo, {
      "deploy/web.yaml": deploymentYaml("web", {
        podLabels: { [FAULT_LABEL]: "image-pull" },
        podAnnotations: { [FAULT_MESSAGE_ANNOTATION]: "repository does not exist" },
      }),
    });
    const report = await bridge.waitForReport((r) => r.sha === sha, 60_000);

    // Assess
    expect(report.state).toBe("failure");
    expect(report.description).toMatch(
      /^Deployment web: 0\/2 ready, pod web-[a-z0-9]+-[a-z0-9]+: ImagePullBackOff "/,
    );
  });

  it("without health (the light plane's setting), reports success once applied, as before", async () => {
    // Prepare
    const lines: string[] = [];
    const { bridge, repo } = await start(lines, false);

    // Act
    const sha = await push(bridge, repo, {
      "deploy/web.yaml": deploymentYaml("web", { podLabels: { [FAULT_LABEL]: "never-ready" } }),
    });
    const report = await bridge.waitForReport((r) => r.sha === sha, 60_000);

    // Assess
    expect(report).toMatchObject({ state: "success", description: expect.stringMatching(/^1 created in /) });
    expect(bridge.health).toBeUndefined();
  });
});
