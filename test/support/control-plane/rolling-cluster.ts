/**
 * The *rolling cluster*: the test control plane (etcd + kube-apiserver) plus the real
 * kube-controller-manager and kube-scheduler (same Kubernetes module and version) and KWOK with
 * fake nodes. The controllers create ReplicaSets and pods, the scheduler binds them, KWOK plays the
 * kubelet through its stages (`kwok-stages.yaml`: pods become Running/Ready, Job pods Succeed, and a
 * pod labelled `pullbridge.test/fault` misbehaves on purpose), namespaces finish terminating and the
 * garbage collector deletes dependents. Every process runs under `supervise.sh`, like the plane.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { request } from "node:https";
import { dirname, join } from "node:path";
import { setTimeout } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { type ControlPlane, freePort, startControlPlane } from "./control-plane.ts";

const here = dirname(fileURLToPath(import.meta.url));

/** Label on a pod (template) that selects a failure stage: `never-ready`, `crash-loop`, `image-pull`, `fail`. */
export const FAULT_LABEL = "pullbridge.test/fault";
/** Annotation with the message an `image-pull` fault shows. */
export const FAULT_MESSAGE_ANNOTATION = "pullbridge.test/fault-message";

/**
 * Controllers the rolling cluster runs: what rollouts, Jobs, namespace deletion and garbage
 * collection need, nothing cloud-related. The node-lifecycle controller removes the
 * `node.kubernetes.io/not-ready` taint the API server puts on every new Node once KWOK reports it Ready.
 */
const ROLLING_CONTROLLERS = [
  "deployment-controller",
  "replicaset-controller",
  "statefulset-controller",
  "daemonset-controller",
  "job-controller",
  "garbage-collector-controller",
  "namespace-controller",
  "serviceaccount-controller",
  "serviceaccount-token-controller",
  "endpointslice-controller",
  "pod-garbage-collector-controller",
  "ttl-after-finished-controller",
  "disruption-controller",
  "clusterrole-aggregation-controller",
  "node-lifecycle-controller",
  // Scales to minReplicas without a metrics server (below-minimum needs no metrics): ignore rules' tests.
  "horizontal-pod-autoscaler-controller",
];

const FAKE_NODES = ["kwok-node-0", "kwok-node-1", "kwok-node-2"];

export type RollingCluster = ControlPlane & {
  /** Pids of the extra processes, for CPU accounting in bench/. */
  extraPids: () => Record<string, number | undefined>;
};

/** Builds (first run only) or locates kube-controller-manager, kube-scheduler and kwok. */
export async function ensureRollingBinaries(): Promise<{ k8sDir: string; kwokDir: string }> {
  const started = Date.now();
  const child = spawn("bash", [join(here, "build-rolling-binaries.sh")], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  if (code !== 0) throw new Error(`rolling-cluster build failed (exit ${code}); see the output above`);
  const [k8sDir = "", kwokDir = ""] = out.trim().split("\n").slice(-2);
  const took = Date.now() - started;
  if (took > 5000) console.error(`[rolling-cluster] binaries ready in ${(took / 1000).toFixed(0)}s`);
  return { k8sDir, kwokDir };
}

/** The rolling binaries' directories when they are already built (nothing is built), else undefined. */
export async function rollingBinariesCached(): Promise<{ k8sDir: string; kwokDir: string } | undefined> {
  const child = spawn("bash", [join(here, "build-rolling-binaries.sh"), "--check"], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  let out = "";
  child.stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  if (code !== 0) return undefined;
  const [k8sDir = "", kwokDir = ""] = out.trim().split("\n").slice(-2);
  return { k8sDir, kwokDir };
}

function startSupervised(binary: string, args: string[], logFile: string): ChildProcess {
  const log = createWriteStream(logFile, { flags: "a" });
  const child = spawn(join(here, "supervise.sh"), [String(process.pid), binary, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  return child;
}

async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  await exited;
}

async function tail(file: string, lines = 30): Promise<string> {
  try {
    return (await readFile(file, "utf8")).split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

/** GET over HTTPS; `ca` undefined accepts the component's self-signed serving certificate (loopback only). */
function get(
  url: string,
  options: { ca?: string; bearer?: string },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        ...(options.ca ? { ca: options.ca } : { rejectUnauthorized: false }),
        headers: options.bearer ? { authorization: `Bearer ${options.bearer}` } : {},
        timeout: 2000,
      },
      (res) => {
        let body = "";
        res.on("data", (c: Buffer) => {
          body += c.toString();
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}

function send(
  url: string,
  options: { ca: string; bearer: string; method: string; body: unknown },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(options.body);
    const req = request(
      url,
      {
        ca: options.ca,
        method: options.method,
        headers: { authorization: `Bearer ${options.bearer}`, "content-type": "application/json" },
        timeout: 5000,
      },
      (res) => {
        let body = "";
        res.on("data", (c: Buffer) => {
          body += c.toString();
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end(payload);
  });
}

async function waitUntil(what: string, deadlineMs: number, probe: () => Promise<boolean>, log: string) {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    await setTimeout(250);
  }
  throw new Error(
    `${what} did not become ready within ${deadlineMs / 1000}s. Last log lines:\n${await tail(log)}`,
  );
}

/** Starts the plane, then controller-manager, scheduler and KWOK, and resolves once every fake node is Ready. */
export async function startRollingCluster(options: {
  binDir: string;
  k8sDir: string;
  kwokDir: string;
}): Promise<RollingCluster> {
  const plane = await startControlPlane({ binDir: options.binDir });
  const { dir, server, caPem, admin } = plane;
  const kubeconfig = join(dir, "admin.kubeconfig");
  const children: Record<string, ChildProcess | undefined> = {};
  const stopExtras = async () => {
    for (const name of ["kwok", "kube-scheduler", "kube-controller-manager"]) await stopChild(children[name]);
  };
  try {
    const kcmPort = await freePort();
    const kcmLog = join(dir, "kube-controller-manager.log");
    children["kube-controller-manager"] = startSupervised(
      join(options.k8sDir, "kube-controller-manager"),
      [
        `--kubeconfig=${kubeconfig}`,
        `--authentication-kubeconfig=${kubeconfig}`,
        `--authorization-kubeconfig=${kubeconfig}`,
        "--bind-address=127.0.0.1",
        `--secure-port=${kcmPort}`,
        `--cert-dir=${join(dir, "kcm-certs")}`,
        "--leader-elect=false",
        `--controllers=${ROLLING_CONTROLLERS.join(",")}`,
        `--service-account-private-key-file=${join(dir, "sa.key")}`,
        `--root-ca-file=${join(dir, "serving.crt")}`,
        "--use-service-account-credentials=false",
        "--kube-api-qps=100",
        "--kube-api-burst=200",
        // The garbage collector and namespace controller re-sync quickly enough for tests.
        "--concurrent-gc-syncs=5",
        "--horizontal-pod-autoscaler-sync-period=2s",
        "--profiling=false",
        "--v=1",
      ],
      kcmLog,
    );
    const schedPort = await freePort();
    const schedLog = join(dir, "kube-scheduler.log");
    children["kube-scheduler"] = startSupervised(
      join(options.k8sDir, "kube-scheduler"),
      [
        `--kubeconfig=${kubeconfig}`,
        `--authentication-kubeconfig=${kubeconfig}`,
        `--authorization-kubeconfig=${kubeconfig}`,
        "--bind-address=127.0.0.1",
        `--secure-port=${schedPort}`,
        `--cert-dir=${join(dir, "scheduler-certs")}`,
        "--leader-elect=false",
        "--kube-api-qps=100",
        "--kube-api-burst=200",
        "--profiling=false",
        "--v=1",
      ],
      schedLog,
    );
    const kwokLog = join(dir, "kwok.log");
    children.kwok = startSupervised(
      join(options.kwokDir, "kwok"),
      [
        `--kubeconfig=${kubeconfig}`,
        `--config=${join(here, "kwok-stages.yaml")}`,
        "--manage-all-nodes=false",
        "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
        `--server-address=127.0.0.1:${await freePort()}`,
      ],
      kwokLog,
    );
    await Promise.all([
      waitUntil(
        "kube-controller-manager",
        60_000,
        async () => (await get(`https://127.0.0.1:${kcmPort}/healthz`, {})).status === 200,
        kcmLog,
      ),
      waitUntil(
        "kube-scheduler",
        60_000,
        async () => (await get(`https://127.0.0.1:${schedPort}/healthz`, {})).status === 200,
        schedLog,
      ),
    ]);
    for (const name of FAKE_NODES) {
      const res = await send(`${server}/api/v1/nodes`, {
        ca: caPem,
        bearer: admin.token,
        method: "POST",
        body: {
          apiVersion: "v1",
          kind: "Node",
          metadata: {
            name,
            annotations: { "kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0" },
            labels: {
              "kubernetes.io/hostname": name,
              "kubernetes.io/os": "linux",
              "kubernetes.io/arch": "amd64",
              type: "kwok",
            },
          },
        },
      });
      if (res.status !== 201) throw new Error(`creating fake node ${name}: HTTP ${res.status} ${res.body}`);
    }
    await waitUntil(
      "KWOK fake nodes",
      60_000,
      async () => {
        const res = await get(`${server}/api/v1/nodes`, { ca: caPem, bearer: admin.token });
        const nodes = (
          JSON.parse(res.body) as {
            items: Array<{ status?: { conditions?: Array<{ type: string; status: string }> } }>;
          }
        ).items;
        return (
          nodes.length === FAKE_NODES.length &&
          nodes.every((n) => n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"))
        );
      },
      kwokLog,
    );
    // Pods need the namespace's `default` ServiceAccount; wait until the controller made it.
    await waitUntil(
      "the default ServiceAccount",
      30_000,
      async () =>
        (
          await get(`${server}/api/v1/namespaces/default/serviceaccounts/default`, {
            ca: caPem,
            bearer: admin.token,
          })
        ).status === 200,
      kcmLog,
    );
  } catch (error) {
    await stopExtras();
    await plane.stop();
    throw error;
  }
  return {
    ...plane,
    extraPids: () => Object.fromEntries(Object.entries(children).map(([k, c]) => [k, c?.pid])),
    stop: async () => {
      await stopExtras();
      await plane.stop();
    },
  };
}
