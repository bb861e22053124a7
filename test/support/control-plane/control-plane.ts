/**
 * A real Kubernetes control plane for tests: etcd + kube-apiserver on free loopback ports,
 * TLS, static-token authentication (an admin and a worker identity) and RBAC authorization.
 * No controller-manager, scheduler or kubelet: namespaces never finish terminating and pods
 * never run, which is fine for a GitOps engine that only talks to the API.
 */

import { type ChildProcess, execFile, spawn } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { request } from "node:https";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const here = dirname(fileURLToPath(import.meta.url));
const run = promisify(execFile);

/** The identity a test acts as; the worker starts with no rights at all. */
export type Identity = { user: string; groups: string[]; token: string };

/** Everything a test needs to reach the control plane (serialisable, passed through vitest `provide`). */
export type ControlPlaneInfo = {
  server: string;
  caPem: string;
  version: string;
  admin: Identity;
  worker: Identity;
  /** Directory with admin.kubeconfig and worker.kubeconfig (for kubectl in bench/). */
  dir: string;
  binDir: string;
  etcdEndpoint: string;
};

export type ControlPlane = ControlPlaneInfo & {
  /** Stops kube-apiserver (keeps etcd) — used by outage tests. */
  stopApiServer(): Promise<void>;
  /** Starts kube-apiserver again on the same port with the same data. */
  startApiServer(): Promise<void>;
  /**
   * Sends a signal to the kube-apiserver process itself (not its supervisor): SIGSTOP pauses it
   * mid-request, SIGCONT resumes it, SIGKILL kills it without a graceful shutdown (then
   * `startApiServer` brings it back) — the faults of a paused VM or an OOM-killed server.
   */
  signalApiServer(signal: "SIGSTOP" | "SIGCONT" | "SIGKILL"): Promise<void>;
  stop(): Promise<void>;
};

export const WORKER_USER = "pullbridge-worker";
export const WORKER_GROUP = "pullbridge:workers";

/** Builds (first run only) or locates the binaries and returns their directory. */
export async function ensureBinaries(): Promise<string> {
  const script = join(here, "build-binaries.sh");
  const started = Date.now();
  const child = spawn("bash", [script], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  if (code !== 0) throw new Error(`control-plane build failed (exit ${code}); see the output above`);
  const dir = out.trim().split("\n").at(-1) ?? "";
  const took = Date.now() - started;
  if (took > 5000) console.error(`[control-plane] binaries ready in ${(took / 1000).toFixed(0)}s`);
  return dir;
}

/** Asks the OS for a free loopback port. */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function token(): string {
  return randomBytes(24).toString("hex");
}

function kubeconfig(server: string, caPem: string, name: string, tokenValue: string): string {
  const ca = Buffer.from(caPem).toString("base64");
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    `- name: pullbridge-test`,
    "  cluster:",
    `    server: ${server}`,
    `    certificate-authority-data: ${ca}`,
    "users:",
    `- name: ${name}`,
    "  user:",
    `    token: ${tokenValue}`,
    "contexts:",
    `- name: ${name}`,
    "  context:",
    "    cluster: pullbridge-test",
    `    user: ${name}`,
    "    namespace: default",
    `current-context: ${name}`,
    "",
  ].join("\n");
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

function get(url: string, caPem: string, bearer: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { ca: caPem, headers: { authorization: `Bearer ${bearer}` }, timeout: 2000 },
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

async function waitUntil(what: string, deadlineMs: number, probe: () => Promise<boolean>, log: string) {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    await setTimeout(200);
  }
  throw new Error(
    `${what} did not become ready within ${deadlineMs / 1000}s. Last log lines:\n${await tail(log)}`,
  );
}

/**
 * Starts etcd and kube-apiserver and resolves once /readyz answers ok (RBAC bootstrap done).
 * With `tokenWebhook` (test/support/token-webhook.ts), bearer tokens that are not in the static
 * token file go to that TokenReview webhook, as EKS sends its tokens to aws-iam-authenticator.
 */
export async function startControlPlane(options: {
  binDir: string;
  tokenWebhook?: string | undefined;
}): Promise<ControlPlane> {
  const { binDir } = options;
  const dir = await mkdtemp(join(tmpdir(), "pullbridge-cp-"));
  await mkdir(join(dir, "etcd"), { recursive: true });

  // TLS serving certificate for 127.0.0.1 / localhost.
  await run("openssl", [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    join(dir, "serving.key"),
    "-out",
    join(dir, "serving.crt"),
    "-days",
    "2",
    "-subj",
    "/CN=pullbridge-test-apiserver",
    "-addext",
    "subjectAltName=IP:127.0.0.1,DNS:localhost",
  ]);
  const caPem = await readFile(join(dir, "serving.crt"), "utf8");

  // Service-account signing keys (required flags; tokens are not used by the tests).
  const sa = generateKeyPairSync("rsa", { modulusLength: 2048 });
  await writeFile(join(dir, "sa.key"), sa.privateKey.export({ type: "pkcs8", format: "pem" }));
  await writeFile(join(dir, "sa.pub"), sa.publicKey.export({ type: "spki", format: "pem" }));

  const admin: Identity = { user: "pullbridge-admin", groups: ["system:masters"], token: token() };
  const worker: Identity = { user: WORKER_USER, groups: [WORKER_GROUP], token: token() };
  const csvRow = (i: Identity) => `${i.token},${i.user},${i.user},"${i.groups.join(",")}"`;
  await writeFile(join(dir, "tokens.csv"), `${csvRow(admin)}\n${csvRow(worker)}\n`, { mode: 0o600 });

  const etcdPort = await freePort();
  const etcdPeerPort = await freePort();
  const apiPort = await freePort();
  const etcdEndpoint = `http://127.0.0.1:${etcdPort}`;
  const server = `https://127.0.0.1:${apiPort}`;
  const etcdLog = join(dir, "etcd.log");
  const apiLog = join(dir, "kube-apiserver.log");

  const etcd = startSupervised(
    join(binDir, "etcd"),
    [
      `--data-dir=${join(dir, "etcd")}`,
      `--listen-client-urls=${etcdEndpoint}`,
      `--advertise-client-urls=${etcdEndpoint}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
      `--initial-cluster=default=http://127.0.0.1:${etcdPeerPort}`,
      "--unsafe-no-fsync=true",
      "--log-level=warn",
    ],
    etcdLog,
  );

  const apiArgs = [
    `--etcd-servers=${etcdEndpoint}`,
    "--bind-address=127.0.0.1",
    "--advertise-address=127.0.0.1",
    `--secure-port=${apiPort}`,
    `--cert-dir=${join(dir, "certs")}`,
    `--tls-cert-file=${join(dir, "serving.crt")}`,
    `--tls-private-key-file=${join(dir, "serving.key")}`,
    `--token-auth-file=${join(dir, "tokens.csv")}`,
    "--authorization-mode=RBAC",
    "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
    `--service-account-key-file=${join(dir, "sa.pub")}`,
    `--service-account-signing-key-file=${join(dir, "sa.key")}`,
    "--service-cluster-ip-range=10.0.0.0/24",
    "--disable-admission-plugins=ServiceAccount",
    "--allow-privileged=true",
    "--profiling=false",
    "--v=1",
  ];
  if (options.tokenWebhook !== undefined) {
    const config = join(dir, "token-webhook.kubeconfig");
    await writeFile(
      config,
      [
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        "- name: token-webhook",
        "  cluster:",
        `    server: ${options.tokenWebhook}/authenticate`,
        "users:",
        "- name: kube-apiserver",
        "contexts:",
        "- name: token-webhook",
        "  context: { cluster: token-webhook, user: kube-apiserver }",
        "current-context: token-webhook",
        "",
      ].join("\n"),
    );
    apiArgs.push(
      `--authentication-token-webhook-config-file=${config}`,
      "--authentication-token-webhook-version=v1",
      // Short (the API server's own cache of successful authentications is 10 s too), so a token
      // is checked again soon after it expires.
      "--authentication-token-webhook-cache-ttl=10s",
    );
  }
  let api: ChildProcess | undefined;
  const startApi = async () => {
    api = startSupervised(join(binDir, "kube-apiserver"), apiArgs, apiLog);
    await waitUntil(
      "kube-apiserver",
      120_000,
      async () => (await get(`${server}/readyz`, caPem, admin.token)).status === 200,
      apiLog,
    );
  };

  const cleanup = async () => {
    await stopChild(api);
    await stopChild(etcd);
    if (!process.env.PULLBRIDGE_KEEP_CONTROL_PLANE_DIR) await rm(dir, { recursive: true, force: true });
  };

  try {
    await waitUntil(
      "etcd",
      30_000,
      async () => {
        const res = await fetch(`${etcdEndpoint}/health`);
        return res.ok;
      },
      etcdLog,
    );
    await startApi();
  } catch (error) {
    await cleanup();
    throw error;
  }

  const version = (
    JSON.parse((await get(`${server}/version`, caPem, admin.token)).body) as { gitVersion: string }
  ).gitVersion;
  await writeFile(join(dir, "admin.kubeconfig"), kubeconfig(server, caPem, "admin", admin.token), {
    mode: 0o600,
  });
  await writeFile(join(dir, "worker.kubeconfig"), kubeconfig(server, caPem, "worker", worker.token), {
    mode: 0o600,
  });

  return {
    server,
    caPem,
    version,
    admin,
    worker,
    dir,
    binDir,
    etcdEndpoint,
    stopApiServer: async () => {
      await stopChild(api);
    },
    startApiServer: startApi,
    signalApiServer: async (signal) => {
      const supervisor = api?.pid;
      if (supervisor === undefined) throw new Error("kube-apiserver is not running");
      const { stdout } = await run("pgrep", ["-P", String(supervisor), "-f", "kube-apiserver"]);
      for (const pid of stdout.split("\n").filter(Boolean)) process.kill(Number(pid), signal);
      if (signal === "SIGKILL") await stopChild(api);
    },
    stop: cleanup,
  };
}
