/**
 * The scripts a newcomer runs, as processes: `npm run demo` (narrated, self-checking) and
 * `npm start` + `npm run send-push`, against the shared kube-apiserver via its admin kubeconfig.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetBucketVersioningCommand } from "@aws-sdk/client-s3";
import { CoreV1Api } from "@kubernetes/client-node";
import { describe, expect, inject, it } from "vitest";
import { kubeConfigFor, uniqueName } from "../../support/kube.ts";
import { testS3Client } from "../../support/s3.ts";

const LOCAL = new URL("../../../functions/local/", import.meta.url).pathname;

function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== "FORCE_COLOR") env[k] = v;
  return { ...env, CI: "true", NO_COLOR: "1", ...extra };
}

function run(script: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(LOCAL, script), ...args],
      { env: childEnv(), timeout: 90_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

/** Collects a child's stdout and resolves when a line matches. */
function waitForOutput(
  child: ChildProcess,
  output: { text: string },
  pattern: RegExp,
  timeoutMs = 60_000,
): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const match = output.text.match(pattern);
      if (match) {
        clearTimeout(timer);
        child.stdout?.off("data", check);
        resolve(match);
      }
    };
    const timer = setTimeout(() => reject(new Error(`no ${pattern} in:\n${output.text}`)), timeoutMs);
    child.stdout?.on("data", check);
    check();
  });
}

describe("npm run demo", () => {
  it("runs every step non-interactively and exits 0", async () => {
    // Prepare
    const kubeconfig = join(inject("controlPlane").dir, "admin.kubeconfig");
    const namespace = uniqueName("demo");

    // Act
    const demo = await run("demo.ts", [
      "--kubeconfig",
      kubeconfig,
      "--namespace",
      namespace,
      "--sqs-endpoint",
      inject("sqsEndpoint"),
      "--drift-interval",
      "1",
    ]);

    // Assess
    expect(demo.stderr).toBe("");
    expect(demo.code).toBe(0);
    for (const step of ["[1/5]", "[2/5]", "[3/5]", "[4/5]", "[5/5]"]) expect(demo.stdout).toContain(step);
    expect(demo.stdout).toMatch(/success — 3 created in/);
    expect(demo.stdout).toMatch(/success — 2 updated, 1 pruned in/);
    expect(demo.stdout).toMatch(/success — drift corrected: 1 updated in/);
    expect(demo.stdout).toContain("Demo passed");
    expect(demo.stdout).not.toContain("✘");
  });

  it("exits 1 and names the failed expectation when a step cannot succeed", async () => {
    // Prepare: the worker identity may not create the demo's namespace.
    const kubeconfig = join(inject("controlPlane").dir, "worker.kubeconfig");

    // Act
    const demo = await run("demo.ts", [
      "--kubeconfig",
      kubeconfig,
      "--namespace",
      uniqueName("demo"),
      "--sqs-endpoint",
      inject("sqsEndpoint"),
    ]);

    // Assess
    expect(demo.code).toBe(1);
    expect(demo.stdout).toMatch(/✘ demo failed: .*403 Forbidden/);
  });
});

describe("npm start + npm run send-push", () => {
  it("serves the demo target, syncs a pushed edit, prints its status and stops cleanly on SIGINT", async () => {
    // Prepare
    const stateDir = await mkdtemp(join(tmpdir(), "pullbridge-state-"));
    const kubeconfig = join(inject("controlPlane").dir, "admin.kubeconfig");
    const bridge = spawn(
      process.execPath,
      [
        join(LOCAL, "main.ts"),
        "--kubeconfig",
        kubeconfig,
        "--port",
        "0",
        "--drift-interval",
        "0",
        "--state-dir",
        stateDir,
        "--log-level",
        "silent",
        // The shared plane has no controllers: its Deployment would never become ready.
        "--no-health",
      ],
      { env: childEnv(), stdio: ["ignore", "pipe", "pipe"] },
    );
    const output = { text: "" };
    bridge.stdout.on("data", (chunk: Buffer) => {
      output.text += chunk.toString();
    });
    bridge.stderr.on("data", (chunk: Buffer) => {
      output.text += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => bridge.once("exit", resolve));
    try {
      const [, webhook] = (await waitForOutput(bridge, output, /Webhook: {2}POST (\S+)/)) ?? [];
      await waitForOutput(bridge, output, /Ctrl-C stops everything/);
      // The state store: local mode's own moto, with its versioned bucket.
      const [, storeEndpoint = ""] =
        /\n {2}state {5}moto (\S+): bucket pullbridge-local-state /.exec(output.text) ?? [];
      const s3 = testS3Client(storeEndpoint, { maxAttempts: 1 });
      const versioning = await s3.send(new GetBucketVersioningCommand({ Bucket: "pullbridge-local-state" }));
      const configmap = join(stateDir, "demo-repo", "deploy", "configmap.yaml");
      await writeFile(configmap, (await readFile(configmap, "utf8")).replace("color: blue", "color: green"));

      // Act
      const push = await run("send-push.ts", ["--state-dir", stateDir, "-m", "go green"]);
      const [, sha] =
        (await waitForOutput(
          bridge,
          output,
          /✔ pullbridge\/demo local\/pullbridge-demo@([0-9a-f]{7}) success: 3 created/,
        )) ?? [];
      bridge.kill("SIGINT");
      const code = await exited;
      const storeAfterStop = await s3
        .send(new GetBucketVersioningCommand({ Bucket: "pullbridge-local-state" }))
        .then(
          () => "answered",
          () => "gone",
        );
      s3.destroy();

      // Assess
      expect(output.text).toContain(
        "Targets:\n  demo  local/pullbridge-demo@main:deploy → cluster local, namespace pullbridge-demo",
      );
      expect(output.text).toMatch(/Secret: {3}[0-9a-f]{32} {2}\(generated for this run/);
      expect(output.text).toContain("  health    off (--no-health): success once applied\n");
      expect(versioning.Status).toBe("Enabled");
      expect(storeAfterStop).toBe("gone");
      expect(push.code).toBe(0);
      expect(push.stdout).toContain(`delivery `);
      expect(push.stdout).toContain(`→ ${webhook}: HTTP 202 {"queued":["demo"]}`);
      expect(push.stdout).toContain(`committed ${sha}`);
      const settings = await kubeConfigFor("admin")
        .makeApiClient(CoreV1Api)
        .readNamespacedConfigMap({ namespace: "pullbridge-demo", name: "web-settings" });
      expect(settings.data?.color).toBe("green");
      expect(code).toBe(0);
      expect(existsSync(join(stateDir, "local-bridge.json"))).toBe(false);
    } finally {
      if (bridge.exitCode === null) bridge.kill("SIGKILL");
    }
  });
});
