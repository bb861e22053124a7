/**
 * pullbridge sync vs `kubectl apply --server-side`, side by side in one run, against a control
 * plane this script starts itself, both authenticated as the scoped worker identity, at several
 * network distances (a latency proxy between each client and the API server), then the peak
 * memory of syncs of realistic object sets in their own processes.
 *
 * pullbridge runs four ways, each labelled in the report: as kubectl does — a fresh process
 * reading YAML from disk with a cold transport — once as the CLI (`dist/cli.mjs sync`) and once
 * as the packaged worker Lambda's cold start (bench/sync/fresh-process.ts); and in this process on
 * objects generated in memory, with discovery cached (a warm Lambda's invocation) or refetched.
 * kubectl's "floor" (`kubectl create --dry-run=client -o name --validate=false`: start-up, reading
 * and parsing the file, no request — proven against a closed port) shows how much of kubectl's
 * time is its own start-up.
 * Writes its section of BENCHMARKS.md at the repository root. Usage: `npm run bench:sync`
 * (options via env: BENCH_OBJECTS=1000, BENCH_REPEAT=10, BENCH_RTTS=0,2,10, BENCH_BANDWIDTH,
 * BENCH_RSS_SETS=simple:5000,bundle,realistic:5000,realistic:20000, BENCH_SKIP_SYNC, BENCH_SKIP_RSS).
 */

import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { build } from "esbuild";
import { stringify } from "yaml";
import { clusterClientFromTransport } from "../../lib/cluster/adapters/kube-cluster-client.ts";
import { kubeConfigFromToken } from "../../lib/cluster/adapters/kube-config.ts";
import { createKubeTransport, type KubeTransport } from "../../lib/cluster/adapters/kube-http-transport.ts";
import type { ApiResource, ClusterPort } from "../../lib/cluster/cluster-port.ts";
import { clearDiscoveryCache } from "../../lib/cluster/discovery.ts";
import { type Target, targetSchema } from "../../lib/config/targets.ts";
import type { KubeObject } from "../../lib/manifests/kube-object.ts";
import { syncTarget } from "../../lib/sync/sync-target.ts";
import { PULLBRIDGE_VERSION } from "../../lib/sync/tooling-version.ts";
import {
  type ControlPlane,
  ensureBinaries,
  startControlPlane,
  WORKER_GROUP,
  WORKER_USER,
} from "../../test/support/control-plane/control-plane.ts";
import { startGitHubFake } from "../../test/support/github-fake/github-fake.ts";
import { ensureMoto, startMoto } from "../../test/support/moto.ts";
import { writeBenchmarksSection } from "../benchmarks-file.ts";
import { packageStack, unpackFunction } from "../lambda-package.ts";
import { startLatencyProxy } from "../latency-proxy.ts";
import { countBetween, scrape } from "./apiserver-metrics.ts";
import { asDesired, asYaml, generateFixture } from "./fixture.ts";
import {
  createWorkerProcess,
  type ProcessRun,
  putSsmParameter,
  runCliRender,
  runCliSync,
  runCommand,
} from "./fresh-process.ts";
import { controlPlanePids, cpuSeconds } from "./process-cpu.ts";
import { generateBundleLike, generateRealistic, statusFor } from "./realistic-fixture.ts";
import {
  type FloorProof,
  type RssRun,
  type RttResult,
  type Run,
  renderLatencyReport,
  renderMemoryReport,
} from "./report.ts";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const N = Number(process.env.BENCH_OBJECTS ?? 1000);
/** Rounds per measure: p90 of 10 is the 9th value, not the maximum. */
const REPEAT = Number(process.env.BENCH_REPEAT ?? 10);
const RTTS = (process.env.BENCH_RTTS ?? "0,2,10").split(",").map(Number);
const BANDWIDTH = process.env.BENCH_BANDWIDTH ? Number(process.env.BENCH_BANDWIDTH) : undefined;
const RSS_SETS = (process.env.BENCH_RSS_SETS ?? "simple:5000,bundle,realistic:5000,realistic:20000")
  .split(",")
  .filter(Boolean);
/**
 * Node flags for the memory rows' child process: the worker's NODE_OPTIONS from serverless.yml
 * (as Lambda runs it) unless BENCH_CHILD_FLAGS says otherwise (BENCH_CHILD_FLAGS="" for Node's defaults).
 */
const CHILD_FLAGS = (process.env.BENCH_CHILD_FLAGS ?? (await workerNodeOptions())).split(" ").filter(Boolean);
/** Idle time before each timed run, so one tool's run does not pay for the other's aftermath (etcd, GC). */
const SETTLE_MS = 1000;
const CHANGED_PER_KIND = 2; // 2 × 5 kinds = 10 changed objects

function settle(): Promise<void> {
  return setTimeout(SETTLE_MS);
}

function transportFor(server: string, cp: ControlPlane, token: string): Promise<KubeTransport> {
  return createKubeTransport({
    kubeConfig: kubeConfigFromToken({ server, caData: Buffer.from(cp.caPem).toString("base64"), token }),
  });
}

async function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return await new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], env });
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      err += c.toString();
    });
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${command} exited ${code}: ${err.slice(-2000)}`)),
    );
  });
}

/** The latency proxy in its own process (its CPU is measured apart), listening on a free port. */
async function startProxy(
  upstream: string,
  rttMs: number,
): Promise<{ port: number; pid: number; stop: () => Promise<void> }> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      join(here, "..", "latency-proxy-main.ts"),
      upstream,
      String(rttMs),
      ...(BANDWIDTH ? [String(BANDWIDTH)] : []),
    ],
    { stdio: ["pipe", "pipe", "inherit"] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (c: Buffer) => {
      out += c.toString();
      const line = out.split("\n")[0];
      if (out.includes("\n") && line) resolve((JSON.parse(line) as { port: number }).port);
    });
    child.on("exit", (code) => reject(new Error(`latency proxy exited ${code}`)));
  });
  return {
    port,
    pid: child.pid ?? 0,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

async function setUpNamespace(admin: ClusterPort, name: string, anyGroup = false): Promise<void> {
  const discovery = await admin.discover({ refresh: true });
  const resolve = (apiVersion: string, kind: string): ApiResource => {
    const r = discovery.resolve({ apiVersion, kind });
    if (!r) throw new Error(`${kind} not served`);
    return r;
  };
  const apply = (apiVersion: string, object: KubeObject) =>
    admin.apply({ resource: resolve(apiVersion, object.kind), object, force: true, dryRun: false });
  await apply("v1", { apiVersion: "v1", kind: "Namespace", metadata: { name } });
  // The same namespaced rights the integration tests grant: nothing cluster-wide.
  await apply("rbac.authorization.k8s.io/v1", {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "Role",
    metadata: { name: "pullbridge-worker", namespace: name },
    rules: [
      {
        // The realistic sets bring their own custom resources (any group, this namespace only).
        apiGroups: anyGroup ? ["*"] : ["", "apps"],
        resources: ["*"],
        verbs: ["get", "list", "watch", "create", "update", "patch", "delete"],
      },
    ],
  });
  await apply("rbac.authorization.k8s.io/v1", {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: { name: "pullbridge-worker", namespace: name },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "pullbridge-worker" },
    subjects: [
      { kind: "User", name: WORKER_USER, apiGroup: "rbac.authorization.k8s.io" },
      { kind: "Group", name: WORKER_GROUP, apiGroup: "rbac.authorization.k8s.io" },
    ],
  });
}

/** CRDs are cluster-scoped: the realistic sets' worker may manage CustomResourceDefinitions (and nothing else cluster-wide). */
async function grantCrdRights(admin: ClusterPort): Promise<void> {
  const discovery = await admin.discover({ refresh: true });
  const rbac = (kind: string) => {
    const r = discovery.resolve({ apiVersion: "rbac.authorization.k8s.io/v1", kind });
    if (!r) throw new Error(`${kind} not served`);
    return r;
  };
  await admin.apply({
    resource: rbac("ClusterRole"),
    force: true,
    dryRun: false,
    object: {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: "pullbridge-bench-crds" },
      rules: [
        {
          apiGroups: ["apiextensions.k8s.io"],
          resources: ["customresourcedefinitions"],
          verbs: ["get", "list", "watch", "create", "update", "patch", "delete"],
        },
      ],
    },
  });
  await admin.apply({
    resource: rbac("ClusterRoleBinding"),
    force: true,
    dryRun: false,
    object: {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: "pullbridge-bench-crds" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "pullbridge-bench-crds" },
      subjects: [{ kind: "User", name: WORKER_USER, apiGroup: "rbac.authorization.k8s.io" }],
    },
  });
}

async function main() {
  const binDir = await ensureBinaries();
  const cp = await startControlPlane({ binDir });
  try {
    await bench(cp);
  } finally {
    await cp.stop();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

const execFileAsync = promisify(execFile);
/** The kubectl floor: start-up, reading, parsing and mapping the file; no request (proven in `proveFloor`). */
const KUBECTL_FLOOR_ARGS = ["create", "--dry-run=client", "-o", "name", "--validate=false"] as const;

async function bench(cp: ControlPlane) {
  const work = await mkdtemp(join(tmpdir(), "pullbridge-bench-"));
  const kubectl = join(cp.binDir, "kubectl");
  const adminTransport = await transportFor(cp.server, cp, cp.admin.token);
  const admin = clusterClientFromTransport(adminTransport);
  const kubectlVersion =
    (await run(kubectl, ["version", "--client", "-o", "json"])).match(/"gitVersion":\s*"([^"]+)"/)?.[1] ??
    "unknown";
  const pids = await controlPlanePids(cp.dir);
  const workerKubeconfigText = await readFile(join(cp.dir, "worker.kubeconfig"), "utf8");
  const upstream = new URL(cp.server);
  const loadStart = loadavg();

  const results: RttResult[] = [];
  let floorProof: (FloorProof & { kubectlArgs: string[] }) | undefined;
  if (!process.env.BENCH_SKIP_SYNC) {
    // The fresh-process rows run what users run: the built CLI and the packaged worker.
    console.error("[bench] building the CLI (npm run build:cli) and packaging the stack (osls package)");
    await execFileAsync("npm", ["run", "--silent", "build:cli"], { cwd: root });
    const cli = join(root, "dist", "cli.mjs");
    const cache = join(root, "node_modules", ".cache", "pullbridge-bench");
    const packaged = await unpackFunction(
      await packageStack(join(cache, "bench-sync", "package")),
      "worker",
      join(cache, "bench-sync", "unpacked"),
    );
    const fake = await startGitHubFake({ tokens: ["bench-token"] });
    const install = await ensureMoto();
    if (install.kind !== "installed")
      throw new Error(`moto is needed for the worker rows: ${install.reason}`);
    const moto = await startMoto({ binDir: install.binDir });
    try {
      const tokenParameter = packaged.env.PULLBRIDGE_GITHUB_TOKEN_PARAMETER;
      if (!tokenParameter) throw new Error("the packaged worker names no PULLBRIDGE_GITHUB_TOKEN_PARAMETER");
      await putSsmParameter(
        moto.endpoint,
        packaged.env.AWS_REGION ?? "eu-west-1",
        tokenParameter,
        "bench-token",
      );
      const proof = await proveFloor();
      floorProof = proof;
      for (const rtt of RTTS) {
        results.push(
          await benchAtRtt(rtt, {
            cli,
            packaged,
            fake,
            ssmEndpoint: moto.endpoint,
            floorKubectlArgs: proof.kubectlArgs,
          }),
        );
        // After every distance, so a run cut short keeps the distances it finished.
        latencyProgress(results, proof);
      }
    } finally {
      await moto.stop();
      await fake.close();
    }
  }
  const rss = process.env.BENCH_SKIP_RSS ? [] : await rssRuns();
  const loadEnd = loadavg();

  const input = {
    cp,
    kubectlVersion,
    objects: N,
    repeat: REPEAT,
    bandwidth: BANDWIDTH,
    results,
    floorProof,
    rss,
    childFlags: CHILD_FLAGS,
    load: { start: loadStart, end: loadEnd },
    cpuCount: cpus().length,
    cpuModel: cpus()[0]?.model ?? "unknown",
    memoryGiB: totalmem() / 2 ** 30,
  };
  const sections = { sync: renderLatencyReport(input), "sync-memory": renderMemoryReport(input) };
  for (const [name, text] of Object.entries(sections)) {
    if (!text) continue;
    if (process.env.BENCH_NO_WRITE) console.error(`[bench] BENCH_NO_WRITE set: section ${name} not written`);
    else writeBenchmarksSection(name, text, join(root, "BENCHMARKS.md"));
    console.log(text);
  }

  /**
   * The kubectl floor makes no request: with a discovery cache filled through a loopback proxy,
   * the floor command opens no connection to that proxy, and still succeeds once the proxy's
   * port is closed (any request would then fail). The floor rows then run with this closed-port
   * kubeconfig and cache (kubectl's discovery cache lives 6 hours), so a floor round that tried
   * a request would fail instead of being timed.
   */
  async function proveFloor(): Promise<FloorProof & { kubectlArgs: string[] }> {
    const namespace = "bench-floor-proof";
    const file = join(work, "floor-proof.yaml");
    await writeFile(file, asYaml(generateFixture({ namespace, total: N, baseRevision: "r1" })));
    const proxy = await startLatencyProxy({
      upstream: { host: upstream.hostname, port: Number(upstream.port) },
      rttMs: 0,
    });
    const kubeconfig = join(work, "floor-proof.kubeconfig");
    await writeFile(kubeconfig, workerKubeconfigText.replace(cp.server, `https://127.0.0.1:${proxy.port}`), {
      mode: 0o600,
    });
    const cacheDir = join(work, "kubectl-cache-floor-proof");
    const kubectlArgs = ["--kubeconfig", kubeconfig, "--cache-dir", cacheDir];
    // Fills the discovery cache (what the apply rows' earlier runs leave behind for the floor rows).
    await runCommand(kubectl, [...kubectlArgs, "api-resources"]);
    const before = proxy.connections();
    const open = await runCommand(kubectl, [...kubectlArgs, ...KUBECTL_FLOOR_ARGS, "-f", file]);
    const connections = proxy.connections() - before;
    await proxy.close();
    const closed = await runCommand(kubectl, [...kubectlArgs, ...KUBECTL_FLOOR_ARGS, "-f", file]);
    const printed = (text: string) => text.trim().split("\n").filter(Boolean).length;
    if (connections !== 0 || printed(open.stdout) !== N || printed(closed.stdout) !== N) {
      throw new Error(
        `kubectl floor is not request-free: ${connections} connections, ${printed(open.stdout)} / ${printed(closed.stdout)} of ${N} objects printed`,
      );
    }
    return {
      command: `kubectl ${KUBECTL_FLOOR_ARGS.join(" ")} -f <file>`,
      connections,
      objectsPrintedWithPortClosed: printed(closed.stdout),
      kubectlArgs,
    };
  }

  async function benchAtRtt(
    rtt: number,
    tools: {
      cli: string;
      packaged: Awaited<ReturnType<typeof unpackFunction>>;
      fake: Awaited<ReturnType<typeof startGitHubFake>>;
      ssmEndpoint: string;
      /** kubectl's kubeconfig and cache for the floor rows: a closed port with a filled discovery cache. */
      floorKubectlArgs: string[];
    },
  ): Promise<RttResult> {
    console.error(`[bench] RTT ${rtt} ms: ${N} objects, ${REPEAT} rounds`);
    const proxy =
      rtt > 0 || BANDWIDTH ? await startProxy(`${upstream.hostname}:${upstream.port}`, rtt) : undefined;
    const kubeconfigParameter = `/pullbridge/bench/kubeconfig-rtt${rtt}`;
    const workerProcess = createWorkerProcess({
      packaged: tools.packaged,
      fake: tools.fake,
      ssmEndpoint: tools.ssmEndpoint,
      kubeconfigParameter,
    });
    try {
      const server = proxy ? `https://127.0.0.1:${proxy.port}` : cp.server;
      const kubeconfigPath = join(work, `worker-rtt${rtt}.kubeconfig`);
      const kubeconfigText = workerKubeconfigText.replace(cp.server, server);
      await writeFile(kubeconfigPath, kubeconfigText, { mode: 0o600 });
      // The worker reads the same kubeconfig as a stored one (SSM), as a deployed worker would.
      await putSsmParameter(
        tools.ssmEndpoint,
        tools.packaged.env.AWS_REGION ?? "eu-west-1",
        kubeconfigParameter,
        kubeconfigText,
      );
      const kubectlCache = join(work, `kubectl-cache-rtt${rtt}`);
      const workerTransport = await transportFor(server, cp, cp.worker.token);
      const worker = clusterClientFromTransport(workerTransport);
      const ns = {
        kubectl: `bench-kubectl-rtt${rtt}`,
        pullbridge: `bench-pullbridge-rtt${rtt}`,
        cli: `bench-cli-rtt${rtt}`,
        worker: `bench-worker-rtt${rtt}`,
      };
      for (const name of Object.values(ns)) await setUpNamespace(admin, name);
      const target: Target = targetSchema.parse({
        name: "bench",
        repo: "acme/bench",
        cluster: "bench",
        namespace: ns.pullbridge,
      });
      // What one request costs at this distance: GET /version, as the worker identity, 20 times.
      const pings: number[] = [];
      for (let i = 0; i < 21; i++) {
        const t0 = performance.now();
        await workerTransport.send({ method: "GET", path: "/version", countAs: "read" });
        if (i > 0) pings.push(performance.now() - t0);
      }
      const proxyPids = proxy ? [proxy.pid] : [];

      /** Runs `act` after the settle pause, with the server, control-plane and proxy counters around it. */
      const measured = async (act: () => Promise<Partial<Run> & { wallMs: number }>): Promise<Run> => {
        await settle();
        const load1 = loadavg()[0] ?? 0;
        const before = await scrape(adminTransport);
        const cpu0 = await cpuSeconds(pids);
        const proxy0 = await cpuSeconds(proxyPids);
        const result = await act();
        return {
          ...result,
          load1,
          server: countBetween(before, await scrape(adminTransport)),
          controlPlaneCpu: (await cpuSeconds(pids)) - cpu0,
          proxyCpu: (await cpuSeconds(proxyPids)) - proxy0,
        };
      };
      const fromProcess = (r: ProcessRun): Partial<Run> & { wallMs: number } => ({
        wallMs: r.wallMs,
        processCpu: r.processCpu,
        ...(r.client ? { client: r.client } : {}),
        ...(r.bootMs === undefined ? {} : { bootMs: r.bootMs }),
        ...(r.importMs === undefined ? {} : { importMs: r.importMs }),
        ...(r.invokeMs === undefined ? {} : { invokeMs: r.invokeMs }),
        ...(r.githubCalls === undefined ? {} : { githubCalls: r.githubCalls }),
        ...(r.outcome === undefined ? {} : { outcome: r.outcome }),
      });
      const kubectlArgs = ["--kubeconfig", kubeconfigPath, "--cache-dir", kubectlCache];
      const writeFixture = async (label: string, objects: KubeObject[]) => {
        const dir = join(work, `rtt${rtt}-${label}`);
        await mkdir(dir, { recursive: true });
        const file = join(dir, "fixture.yaml");
        await writeFile(file, asYaml(objects));
        return { dir, file };
      };
      const kubectlApply = async (objects: KubeObject[], label: string): Promise<Run> => {
        const { file } = await writeFixture(`kubectl-${label}`, objects);
        return measured(async () =>
          fromProcess(await runCommand(kubectl, [...kubectlArgs, "apply", "--server-side", "-f", file])),
        );
      };
      // Floors and start-ups make no request: kubectl's run against the closed port of `proveFloor`
      // (a request would fail the command), the CLI's are given no cluster at all.
      const kubectlFloor = async (objects: KubeObject[]): Promise<Run> => {
        const { file } = await writeFixture("kubectl-floor", objects);
        return measured(async () =>
          fromProcess(
            await runCommand(kubectl, [...tools.floorKubectlArgs, ...KUBECTL_FLOOR_ARGS, "-f", file]),
          ),
        );
      };
      const cliFloor = async (objects: KubeObject[]): Promise<Run> => {
        const { dir } = await writeFixture("cli-floor", objects);
        return measured(async () =>
          fromProcess(await runCliRender({ cli: tools.cli, dir, namespace: ns.cli })),
        );
      };
      /** Start-up alone: the process and its module load, nothing read (`--version` loads every module the CLI imports statically). */
      const startup = async (command: string, args: string[]): Promise<Run> =>
        measured(async () => fromProcess(await runCommand(command, args)));
      const cliSync = async (objects: KubeObject[], label: string, namespace = ns.cli): Promise<Run> => {
        const { dir } = await writeFixture(`cli-${label}`, objects);
        return measured(async () =>
          fromProcess(
            await runCliSync({
              cli: tools.cli,
              dir,
              namespace,
              target: "bench",
              kubeconfig: kubeconfigPath,
              revision: label,
            }),
          ),
        );
      };
      /** A push of `objects` to the worker target's repository, then its job in a cold worker process. */
      const workerPush = async (objects: KubeObject[], namespace = ns.worker): Promise<Run> => {
        const sha = await workerProcess.commit(namespace, asYaml(objects));
        const run = await measured(async () =>
          fromProcess(await workerProcess.invoke(namespace, { type: "push", sha })),
        );
        const final = tools.fake.statuses(sha).at(-1);
        if (final?.state !== "success")
          throw new Error(`worker push ${sha} ended ${final?.state}: ${final?.description}`);
        return run;
      };
      const workerDrift = (namespace = ns.worker): Promise<Run> =>
        measured(async () => fromProcess(await workerProcess.invoke(namespace, { type: "drift" })));
      const pullbridgeSync = async (
        objects: KubeObject[],
        sha: string,
        discovery: "cold" | "warm",
        syncTargetTo: Target = target,
      ): Promise<Run> => {
        // Refetched: the discovery cache is emptied first (still this process, its modules and connections).
        if (discovery === "cold") clearDiscoveryCache();
        return measured(async () => {
          const client0 = process.cpuUsage();
          const started = performance.now();
          const result = await syncTarget(
            { cluster: worker, toolingVersion: PULLBRIDGE_VERSION },
            {
              target: syncTargetTo,
              desired: asDesired(objects),
              configuredTargets: [syncTargetTo],
              revision: { sha },
              now: new Date(),
              mode: "apply",
            },
          );
          const wallMs = performance.now() - started;
          const client = process.cpuUsage(client0);
          if (result.dryRunFallbacks > 0)
            console.error(`[bench] ${result.dryRunFallbacks} dry-run fallbacks`);
          return {
            wallMs,
            discovery,
            client: result.requests,
            clientCpu: (client.user + client.system) / 1e6,
          };
        });
      };
      const fixture = (namespace: string, changedRevision?: string) =>
        generateFixture({
          namespace,
          total: N,
          baseRevision: "r1",
          ...(changedRevision ? { changedPerKind: CHANGED_PER_KIND, changedRevision } : {}),
        });

      // Round 0 fills the namespaces the later rounds use; further cold rounds get fresh namespaces.
      const cold: RttResult["cold"] = { kubectl: [], pullbridge: [], cli: [], worker: [] };
      for (let i = 0; i < REPEAT; i++) {
        console.error(`[bench] RTT ${rtt} ms: cold apply ${i + 1}/${REPEAT}`);
        const round = (base: string) => (i === 0 ? base : `${base}-cold-${i}`);
        const k = round(ns.kubectl);
        const p = round(ns.pullbridge);
        const c = round(ns.cli);
        const w = round(ns.worker);
        if (i > 0) for (const name of [k, p, c, w]) await setUpNamespace(admin, name);
        const coldTarget =
          i === 0
            ? target
            : targetSchema.parse({ name: p, repo: "acme/bench", cluster: "bench", namespace: p });
        cold.kubectl.push(await kubectlApply(fixture(k), `cold-${i}`));
        cold.pullbridge.push(await pullbridgeSync(fixture(p), "r1", "cold", coldTarget));
        cold.cli.push(await cliSync(fixture(c), "r1", c));
        cold.worker.push(await workerPush(fixture(w), w));
      }

      const floor: RttResult["floor"] = { kubectlStartup: [], kubectl: [], cliStartup: [], cli: [] };
      const noop: RttResult["noop"] = { kubectl: [], cold: [], warm: [], cli: [], worker: [] };
      const changed: RttResult["changed"] = { kubectl: [], cold: [], warm: [], cli: [], worker: [] };
      for (let i = 0; i < REPEAT; i++) {
        console.error(
          `[bench] RTT ${rtt} ms: round ${i + 1}/${REPEAT}: floors, no-op, then 10 of ${N} changed`,
        );
        floor.kubectlStartup.push(await startup(kubectl, ["version", "--client", "-o", "json"]));
        floor.kubectl.push(await kubectlFloor(fixture(ns.kubectl)));
        floor.cliStartup.push(await startup(process.execPath, [tools.cli, "--version"]));
        floor.cli.push(await cliFloor(fixture(ns.cli)));
        noop.kubectl.push(await kubectlApply(fixture(ns.kubectl), "noop"));
        noop.cold.push(await pullbridgeSync(fixture(ns.pullbridge), "r1", "cold"));
        noop.warm.push(await pullbridgeSync(fixture(ns.pullbridge), "r1", "warm"));
        noop.cli.push(await cliSync(fixture(ns.cli), "r1"));
        noop.worker.push(await workerDrift());
        changed.kubectl.push(await kubectlApply(fixture(ns.kubectl, `c${i}`), `changed-${i}`));
        changed.cold.push(await pullbridgeSync(fixture(ns.pullbridge, `c${i}`), `c${i}`, "cold"));
        changed.cli.push(await cliSync(fixture(ns.cli, `c${i}`), `c${i}`));
        changed.worker.push(await workerPush(fixture(ns.worker, `c${i}`)));
        // Back to the base revision so every round changes the same 10 objects.
        await kubectlApply(fixture(ns.kubectl), "reset");
        await pullbridgeSync(fixture(ns.pullbridge), "r1", "warm");
        await cliSync(fixture(ns.cli), "r1");
        await workerPush(fixture(ns.worker));
        changed.warm.push(await pullbridgeSync(fixture(ns.pullbridge, `w${i}`), `w${i}`, "warm"));
        await pullbridgeSync(fixture(ns.pullbridge), "r1", "warm");
      }
      return { rtt, pingMs: median(pings), floor, cold, noop, changed, viaProxy: proxy !== undefined };
    } finally {
      await workerProcess.close();
      await proxy?.stop();
    }
  }

  /** Writes the latency section with the distances measured so far. */
  function latencyProgress(rows: readonly RttResult[], proof: FloorProof): void {
    if (process.env.BENCH_NO_WRITE) return;
    const text = renderLatencyReport({
      cp,
      kubectlVersion,
      objects: N,
      repeat: REPEAT,
      bandwidth: BANDWIDTH,
      results: rows,
      floorProof: proof,
      rss: [],
      childFlags: CHILD_FLAGS,
      load: { start: loadStart, end: loadavg() },
      cpuCount: cpus().length,
      cpuModel: cpus()[0]?.model ?? "unknown",
      memoryGiB: totalmem() / 2 ** 30,
    });
    if (text) writeBenchmarksSection("sync", text, join(root, "BENCHMARKS.md"));
  }

  /** Writes the memory section after every set, so a long set (20,000 objects) cut short keeps the others. */
  function progress(rows: readonly RssRun[]): void {
    if (process.env.BENCH_NO_WRITE || !process.env.BENCH_SKIP_SYNC) return;
    const text = renderMemoryReport({
      cp,
      kubectlVersion,
      objects: N,
      repeat: REPEAT,
      bandwidth: BANDWIDTH,
      results: [],
      floorProof: undefined,
      rss: rows,
      childFlags: CHILD_FLAGS,
      load: { start: loadStart, end: loadavg() },
      cpuCount: cpus().length,
      cpuModel: cpus()[0]?.model ?? "unknown",
      memoryGiB: totalmem() / 2 ** 30,
    });
    if (text) writeBenchmarksSection("sync-memory", text, join(root, "BENCHMARKS.md"));
  }

  async function rssRuns(): Promise<RssRun[]> {
    console.error(
      `[bench] peak RSS: ${RSS_SETS.join(", ")} (each in its own process) and a 0-object baseline`,
    );
    await grantCrdRights(admin);
    // Measured as the worker ships: one esbuild bundle (serverless-esbuild), not Node's per-file type stripping.
    const bundle = join(work, "sync-once.mjs");
    await build({
      entryPoints: [join(here, "sync-once.ts")],
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node24",
      outfile: bundle,
      logLevel: "warning",
      banner: {
        js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
      },
    });
    const child = async (set: string, step: string, input: Record<string, unknown>): Promise<RssRun> => {
      const before = await scrape(adminTransport);
      const started = performance.now();
      const out = await run(process.execPath, [...CHILD_FLAGS, bundle], {
        ...process.env,
        PULLBRIDGE_BENCH_INPUT: JSON.stringify({
          server: cp.server,
          caPem: cp.caPem,
          token: cp.worker.token,
          revision: "r1",
          ...input,
        }),
      });
      const processMs = performance.now() - started;
      const parsed = JSON.parse(out.trim().split("\n").at(-1) ?? "{}") as Omit<
        RssRun,
        "set" | "step" | "server"
      >;
      console.error(
        `[bench] ${set} ${step}: ${parsed.maxRssMb.toFixed(0)} MB (after load ${parsed.afterLoad.maxRssMb.toFixed(0)} MB), load ${(parsed.loadMs / 1000).toFixed(1)} s, sync ${(parsed.wallMs / 1000).toFixed(1)} s, requests ${JSON.stringify(parsed.requests)}, phases ${JSON.stringify(parsed.durationsMs, (_k, v: unknown) => (typeof v === "number" ? Math.round(v) : v))}`,
      );
      return { ...parsed, set, step, processMs, server: countBetween(before, await scrape(adminTransport)) };
    };
    const out: RssRun[] = [];
    const baselineNs = "bench-rss-baseline";
    await setUpNamespace(admin, baselineNs);
    out.push(await child("baseline", "0 objects", { namespace: baselineNs, total: 0 }));
    for (const set of RSS_SETS) {
      const [kind = "", count] = set.split(":");
      const total = Number(count ?? 0);
      const namespace = `bench-rss-${kind}-${total || "x"}`;
      await setUpNamespace(admin, namespace, kind !== "simple");
      if (kind === "simple") {
        out.push(await child(set, "cold apply", { namespace, total }));
        out.push(await child(set, "no-op", { namespace, total }));
        progress(out);
        continue;
      }
      const groupSuffix = `${kind}${total || ""}`;
      const objects =
        kind === "bundle"
          ? generateBundleLike({ namespace, revision: "r1", groupSuffix })
          : generateRealistic({ namespace, revision: "r1", groupSuffix, total });
      const dir = join(work, `manifests-${kind}-${total}`);
      await writeManifests(dir, objects, kind === "bundle" ? 1000 : 50);
      const input = { namespace, manifestDir: dir, clusterScoped: true };
      out.push(await child(set, "cold apply", input));
      const written = await writeStatuses(objects);
      console.error(`[bench] ${set}: wrote ${written} statuses as controllers would`);
      out.push(await child(set, "no-op (with status)", input));
      const changedDir = join(work, `manifests-${kind}-${total}-changed`);
      await writeManifests(changedDir, changeTen(objects), kind === "bundle" ? 1000 : 50);
      out.push(await child(set, "10 changed", { ...input, manifestDir: changedDir, revision: "r2" }));
      progress(out);
    }
    return out;
  }

  /** Writes `objects` as multi-document YAML files of `perFile` objects each (a bundle is one file). */
  async function writeManifests(dir: string, objects: readonly KubeObject[], perFile: number): Promise<void> {
    await mkdir(dir, { recursive: true });
    for (let i = 0; i < objects.length; i += perFile) {
      const text = objects
        .slice(i, i + perFile)
        .map((o) => stringify(o, { lineWidth: 0 }))
        .join("---\n");
      await writeFile(join(dir, `${String(i / perFile).padStart(4, "0")}.yaml`), text);
    }
  }

  /** Status through the status subresource, as the controllers would write it (admin, 16 at a time). */
  async function writeStatuses(objects: readonly KubeObject[]): Promise<number> {
    const discovery = await admin.discover({ refresh: true });
    const now = new Date();
    const todo = objects.flatMap((o) => {
      const status = statusFor(o, now);
      const resource = status ? discovery.resolve(o) : undefined;
      return status && resource ? [{ o, status, resource }] : [];
    });
    let next = 0;
    const workerLoop = async () => {
      for (;;) {
        const item = todo[next++];
        if (!item) return;
        const { o, status, resource } = item;
        const base = resource.group
          ? `/apis/${resource.group}/${resource.version}`
          : `/api/${resource.version}`;
        const path = `${base}/namespaces/${o.metadata.namespace}/${resource.resource}/${o.metadata.name}/status`;
        const response = await adminTransport.send({
          method: "PATCH",
          path,
          query: { fieldManager: o.kind === "Deployment" ? "kube-controller-manager" : "bench-operator" },
          contentType: "application/merge-patch+json",
          body: { status },
          countAs: "write",
        });
        if (response.status !== 200)
          throw new Error(`status of ${o.kind} ${o.metadata.name}: HTTP ${response.status}`);
      }
    };
    await Promise.all(Array.from({ length: 16 }, workerLoop));
    return todo.length;
  }
}

/** Kinds "10 changed" touches, 2 objects each: Deployments, ConfigMaps, Services, Secrets and custom resources. */
const CHANGED_BUCKETS = new Set(["Deployment", "ConfigMap", "Service", "Secret", "custom"]);

/** The same set with 10 objects changed (a label), 2 of each bucket above. */
function changeTen(objects: readonly KubeObject[]): KubeObject[] {
  const seen = new Map<string, number>();
  return objects.map((o) => {
    const bucket = o.apiVersion.includes(".bench.pullbridge.dev/") ? "custom" : o.kind;
    const n = seen.get(bucket) ?? 0;
    if (!CHANGED_BUCKETS.has(bucket) || n >= 2) return o;
    seen.set(bucket, n + 1);
    return {
      ...o,
      metadata: {
        ...o.metadata,
        labels: { ...(o.metadata.labels ?? {}), "bench.pullbridge.dev/revision": "r2" },
      },
    };
  });
}

await main();

/** The worker function's NODE_OPTIONS in serverless.yml (what the Lambda runs with). */
async function workerNodeOptions(): Promise<string> {
  const lines = (await readFile(join(root, "serverless.yml"), "utf8")).split("\n");
  const start = lines.indexOf("  worker:");
  for (const line of lines.slice(start + 1)) {
    if (/^ {2}\S/.test(line)) break;
    const match = /^\s+NODE_OPTIONS:\s*(.+)$/.exec(line);
    if (match?.[1]) return match[1].trim();
  }
  throw new Error("serverless.yml: no NODE_OPTIONS under functions.worker.environment");
}
