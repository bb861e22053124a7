/**
 * `pullbridge sync --wait` and `pullbridge status` on the rolling cluster (real controllers,
 * KWOK fake nodes): a real CLI process, acting with an admin kubeconfig as a person would, waits
 * for a real rollout, fails naming the pod's reason, times out naming what is not ready, and
 * `status` reads each target's objects' health.
 */
import { join } from "node:path";
import { AppsV1Api } from "@kubernetes/client-node";
import { afterEach, describe, expect, inject, it } from "vitest";
import { configMapYaml, deploymentYaml } from "../factories/manifest-text.ts";
import { pullbridge } from "../support/cli-process.ts";
import { FAULT_LABEL, FAULT_MESSAGE_ANNOTATION } from "../support/control-plane/rolling-cluster.ts";
import { createGitRepo, type GitRepo } from "../support/git-repo.ts";
import { createTestNamespace, kubeConfigFor } from "../support/kube.ts";

let repo: GitRepo | undefined;
afterEach(async () => {
  await repo?.remove();
  repo = undefined;
});

/** A fresh namespace and a git repository with `deploy/` holding `files`. */
async function prepare(files: Record<string, string>) {
  const namespace = await createTestNamespace("cli-health");
  repo = await createGitRepo();
  await repo.commitFiles(files, "manifests");
  const kubeconfig = join(inject("controlPlane").dir, "admin.kubeconfig");
  return {
    namespace,
    dir: repo.dir,
    flags: ["-n", namespace, "--target", "web", "--kubeconfig", kubeconfig],
  };
}

async function readyReplicas(namespace: string, name: string): Promise<number> {
  const apps = kubeConfigFor("admin").makeApiClient(AppsV1Api);
  return (await apps.readNamespacedDeployment({ namespace, name })).status?.readyReplicas ?? 0;
}

describe("pullbridge sync --wait", () => {
  it("returns 0 only once the Deployment's pods are ready, printing progress lines on stderr", async () => {
    // Prepare
    const { namespace, dir, flags } = await prepare({
      "deploy/settings.yaml": configMapYaml("settings", { color: "blue" }),
      "deploy/web.yaml": deploymentYaml("web", { replicas: 3 }),
    });

    // Act
    const run = await pullbridge(["sync", "deploy", ...flags, "--wait", "--timeout", "60"], { cwd: dir });

    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("Synced ");
    expect(run.stdout).toMatch(/Healthy: 2 objects applied, healthy in \d+\.\ds\./);
    expect(run.stdout).toMatch(new RegExp(`Deployment\\.apps ${namespace}/web\\s+Current\\s+3/3 ready`));
    // Not a terminal: one line per change of the text, `kubectl rollout status`-like.
    expect(run.stderr).toMatch(/^waiting for 1 of 1 object: Deployment web .*\(\d+s\)$/m);
    expect(await readyReplicas(namespace, "web")).toBe(3);
  });

  it("exits 1 at once when the pods cannot pull their image, naming the pod's reason (JSON too)", async () => {
    // Prepare
    const { dir, flags } = await prepare({
      "deploy/web.yaml": deploymentYaml("web", {
        podLabels: { [FAULT_LABEL]: "image-pull" },
        podAnnotations: { [FAULT_MESSAGE_ANNOTATION]: "repository does not exist" },
      }),
    });

    // Act
    const text = await pullbridge(["sync", "deploy", ...flags, "--wait", "--timeout", "120"], { cwd: dir });
    const json = await pullbridge(["sync", "deploy", ...flags, "--wait", "--timeout", "120", "-o", "json"], {
      cwd: dir,
    });

    // Assess
    expect(text.code).toBe(1);
    expect(text.stderr).toMatch(
      /^error: not healthy \(failed after \d+\.\ds\): Deployment web: 0\/2 ready, pod web-[a-z0-9]+-[a-z0-9]+: ImagePullBackOff ".*repository does not exist/m,
    );
    expect(text.stdout).toMatch(/Deployment\.apps \S+\/web\s+Failed\s+0\/2 ready, pod web-/);
    expect(json.code).toBe(1);
    const health = JSON.parse(json.stdout).health;
    expect(health).toMatchObject({ outcome: "failed", timeoutSeconds: 120 });
    expect(health.objects).toEqual([
      expect.objectContaining({
        groupKind: "Deployment.apps",
        name: "web",
        status: "Failed",
        message: expect.stringMatching(/ImagePullBackOff ".*repository does not exist/),
      }),
    ]);
  });

  it("exits 1 when the timeout passes, naming what is not ready", async () => {
    // Prepare
    const { dir, flags } = await prepare({
      "deploy/web.yaml": deploymentYaml("web", { podLabels: { [FAULT_LABEL]: "never-ready" } }),
    });

    // Act
    const run = await pullbridge(["sync", "deploy", ...flags, "--wait", "--timeout", "3"], { cwd: dir });

    // Assess
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: not healthy after 3\.0s \(--timeout\): Deployment web: 0\/2 ready/m);
  });

  it("refuses --wait on diff and --timeout without --wait", async () => {
    // Prepare
    const { dir, flags } = await prepare({ "deploy/web.yaml": deploymentYaml("web") });

    // Act
    const diff = await pullbridge(["diff", "deploy", ...flags, "--wait"], { cwd: dir });
    const sync = await pullbridge(["sync", "deploy", ...flags, "--timeout", "5"], { cwd: dir });

    // Assess
    expect(diff.code).toBe(1);
    expect(diff.stderr).toContain("--wait: applies to sync only");
    expect(sync.code).toBe(1);
    expect(sync.stderr).toContain("--timeout needs --wait");
  });
});

describe("pullbridge status", () => {
  it("shows each synced object's health: a never-ready Deployment is progressing, with its reason", async () => {
    // Prepare
    const { namespace, dir, flags } = await prepare({
      "deploy/settings.yaml": configMapYaml("settings", { color: "blue" }),
      "deploy/web.yaml": deploymentYaml("web", { podLabels: { [FAULT_LABEL]: "never-ready" } }),
    });
    const sync = await pullbridge(["sync", "deploy", ...flags], { cwd: dir });
    const statusFlags = ["-n", namespace, "--kubeconfig", flags.at(-1) ?? ""];

    // Act
    const text = await pullbridge(["status", ...statusFlags], { cwd: dir });
    const json = await pullbridge(["status", ...statusFlags, "-o", "json"], { cwd: dir });

    // Assess
    expect(sync.code).toBe(0);
    expect(text.code).toBe(0);
    const lines = text.stdout.trim().split("\n");
    expect(lines[1]).toMatch(/^web\s+\S+\s+synced\s+.*\s+progressing\s+ConfigMap,Deployment\.apps$/);
    expect(lines.slice(2, 5)).toEqual([
      "",
      `web (${namespace}):`,
      expect.stringMatching(/^ {2}OBJECT\s+HEALTH\s+MESSAGE$/),
    ]);
    expect(lines[5]).toMatch(
      new RegExp(`^ {2}Deployment\\.apps ${namespace}/web\\s+InProgress\\s+0/2 ready`),
    );
    const health = JSON.parse(json.stdout).targets[0].health;
    expect(health.verdict).toBe("progressing");
    expect(health.error).toBeNull();
    // The ConfigMap has no status: status reads only what can be unhealthy.
    expect(health.objects.map((o: { object: string }) => o.object)).toEqual([
      `Deployment.apps ${namespace}/web`,
    ]);
  });
});
