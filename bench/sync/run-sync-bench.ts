/**
 * pullbridge sync vs `kubectl apply --server-side`, side by side in one run, against a control
 * plane this script starts itself, both authenticated as the scoped worker identity.
 * Writes its section of BENCHMARKS.md at the repository root. Usage: `npm run bench:sync` (options via env:
 * BENCH_OBJECTS=1000, BENCH_RSS_OBJECTS=5000, BENCH_REPEAT=3).
 */
import { spawn } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { cpus, tmpdir, totalmem } from "node:os";
import { dirname, join, relative } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import type { ApiResource, ClusterPort, RequestCounts } from "../../lib/cluster/cluster-port.ts";
import { clearDiscoveryCache } from "../../lib/cluster/discovery.ts";
import { clusterClientFromTransport } from "../../lib/cluster/kube-cluster-client.ts";
import { kubeConfigFromToken } from "../../lib/cluster/kube-config.ts";
import { createKubeTransport, type KubeTransport } from "../../lib/cluster/kube-http-transport.ts";
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
import { writeBenchmarksSection } from "../benchmarks-file.ts";
import { countBetween, type ServerCounts, scrape } from "./apiserver-metrics.ts";
import { asDesired, asYaml, generateFixture, KINDS } from "./fixture.ts";
import { controlPlanePids, cpuSeconds } from "./process-cpu.ts";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const N = Number(process.env.BENCH_OBJECTS ?? 1000);
const RSS_N = Number(process.env.BENCH_RSS_OBJECTS ?? 5000);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 5);
/** Idle time before each timed run, so one tool's run does not pay for the other's aftermath (etcd, GC). */
const SETTLE_MS = 1000;
const CHANGED_PER_KIND = 2; // 2 × 5 kinds = 10 changed objects

type Run = {
  wallMs: number;
  client?: RequestCounts;
  server: ServerCounts;
  rssMb?: number;
  /** CPU seconds used by etcd + kube-apiserver during the run. */
  controlPlaneCpu?: number;
  /** CPU seconds used by the pullbridge process during the run (in-process rows only). */
  clientCpu?: number;
};

function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function transportFor(cp: ControlPlane, token: string): Promise<KubeTransport> {
  return createKubeTransport({
    kubeConfig: kubeConfigFromToken({
      server: cp.server,
      caData: Buffer.from(cp.caPem).toString("base64"),
      token,
    }),
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

async function setUpNamespace(admin: ClusterPort, name: string): Promise<void> {
  const discovery = await admin.discover();
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
        apiGroups: ["", "apps"],
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

async function main() {
  const binDir = await ensureBinaries();
  const cp = await startControlPlane({ binDir });
  try {
    await bench(cp);
  } finally {
    await cp.stop();
  }
}

async function bench(cp: ControlPlane) {
  const work = await mkdtemp(join(tmpdir(), "pullbridge-bench-"));
  const kubectl = join(cp.binDir, "kubectl");
  const workerKubeconfig = join(cp.dir, "worker.kubeconfig");
  const kubectlCache = join(work, "kubectl-cache");
  const adminTransport = await transportFor(cp, cp.admin.token);
  const admin = clusterClientFromTransport(adminTransport);
  const nsKubectl = "bench-kubectl";
  const nsPullbridge = "bench-pullbridge";
  const nsRss = "bench-rss";
  const nsBaseline = "bench-baseline";
  for (const ns of [nsKubectl, nsPullbridge, nsRss, nsBaseline]) await setUpNamespace(admin, ns);
  const kubectlVersion = (await run(kubectl, ["version", "--client", "-o", "json"])).match(
    /"gitVersion":\s*"([^"]+)"/,
  )?.[1];

  const workerTransport = await transportFor(cp, cp.worker.token);
  const worker = clusterClientFromTransport(workerTransport);
  const target: Target = targetSchema.parse({
    name: "bench",
    repo: "acme/bench",
    cluster: "bench",
    namespace: nsPullbridge,
  });

  const pids = await controlPlanePids(cp.dir);
  const kubectlApply = async (objects: KubeObject[], label: string): Promise<Run> => {
    const file = join(work, `${label}.yaml`);
    await writeFile(file, asYaml(objects));
    await settle();
    const before = await scrape(adminTransport);
    const cpu0 = await cpuSeconds(pids);
    const started = performance.now();
    await run(kubectl, [
      "--kubeconfig",
      workerKubeconfig,
      "--cache-dir",
      kubectlCache,
      "apply",
      "--server-side",
      "-f",
      file,
    ]);
    const wallMs = performance.now() - started;
    const controlPlaneCpu = (await cpuSeconds(pids)) - cpu0;
    return { wallMs, server: countBetween(before, await scrape(adminTransport)), controlPlaneCpu };
  };
  const pullbridgeSync = async (
    objects: KubeObject[],
    sha: string,
    syncTargetTo: Target = target,
  ): Promise<Run> => {
    // Cold discovery every time: the request budget below counts its two requests.
    clearDiscoveryCache();
    await settle();
    const before = await scrape(adminTransport);
    const cpu0 = await cpuSeconds(pids);
    const client0 = process.cpuUsage();
    const started = performance.now();
    const result = await syncTarget(
      { cluster: worker, toolingVersion: PULLBRIDGE_VERSION },
      {
        target: syncTargetTo,
        desired: asDesired(objects),
        revision: { sha },
        now: new Date(),
        mode: "apply",
      },
    );
    const wallMs = performance.now() - started;
    const client = process.cpuUsage(client0);
    const controlPlaneCpu = (await cpuSeconds(pids)) - cpu0;
    if (result.dryRunFallbacks > 0) console.error(`[bench] ${result.dryRunFallbacks} dry-run fallbacks`);
    return {
      wallMs,
      client: result.requests,
      server: countBetween(before, await scrape(adminTransport)),
      controlPlaneCpu,
      clientCpu: (client.user + client.system) / 1e6,
    };
  };
  const fixture = (namespace: string, changedRevision?: string) =>
    generateFixture({
      namespace,
      total: N,
      baseRevision: "r1",
      ...(changedRevision ? { changedPerKind: CHANGED_PER_KIND, changedRevision } : {}),
    });

  console.error(`[bench] cold apply of ${N} objects`);
  // Round 0 fills the namespaces the later rounds use; further cold rounds get fresh namespaces.
  const cold: { kubectl: Run[]; pullbridge: Run[] } = { kubectl: [], pullbridge: [] };
  for (let i = 0; i < REPEAT; i++) {
    const k = i === 0 ? nsKubectl : `${nsKubectl}-cold-${i}`;
    const p = i === 0 ? nsPullbridge : `${nsPullbridge}-cold-${i}`;
    if (i > 0) for (const ns of [k, p]) await setUpNamespace(admin, ns);
    const coldTarget =
      i === 0 ? target : targetSchema.parse({ name: p, repo: "acme/bench", cluster: "bench", namespace: p });
    cold.kubectl.push(await kubectlApply(fixture(k), `cold-${i}`));
    cold.pullbridge.push(await pullbridgeSync(fixture(p), "r1", coldTarget));
  }
  const coldKubectl = median(cold.kubectl.map((x) => x.wallMs));
  const coldPullbridge = median(cold.pullbridge.map((x) => x.wallMs));

  const noop: { kubectl: Run[]; pullbridge: Run[] } = { kubectl: [], pullbridge: [] };
  const changed: { kubectl: Run[]; pullbridge: Run[] } = { kubectl: [], pullbridge: [] };
  for (let i = 0; i < REPEAT; i++) {
    console.error(`[bench] round ${i + 1}/${REPEAT}: no-op, then 10 of ${N} changed`);
    noop.kubectl.push(await kubectlApply(fixture(nsKubectl), "noop"));
    noop.pullbridge.push(await pullbridgeSync(fixture(nsPullbridge), "r1"));
    changed.kubectl.push(await kubectlApply(fixture(nsKubectl, `c${i}`), `changed-${i}`));
    changed.pullbridge.push(await pullbridgeSync(fixture(nsPullbridge, `c${i}`), `c${i}`));
    // Back to the base revision so every round changes the same 10 objects.
    await kubectlApply(fixture(nsKubectl), "reset");
    await pullbridgeSync(fixture(nsPullbridge), "r1");
  }

  console.error(
    `[bench] peak RSS: ${RSS_N}-object sync in its own process (cold, then no-op), and a 0-object baseline`,
  );
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
  const child = async (namespace: string, total: number): Promise<Run> => {
    const input = {
      server: cp.server,
      caPem: cp.caPem,
      token: cp.worker.token,
      namespace,
      total,
      revision: "r1",
    };
    const before = await scrape(adminTransport);
    const out = await run(process.execPath, [bundle], {
      ...process.env,
      PULLBRIDGE_BENCH_INPUT: JSON.stringify(input),
    });
    const parsed = JSON.parse(out.trim().split("\n").at(-1) ?? "{}") as {
      wallMs: number;
      requests: RequestCounts;
      maxRssMb: number;
    };
    return {
      wallMs: parsed.wallMs,
      client: parsed.requests,
      server: countBetween(before, await scrape(adminTransport)),
      rssMb: parsed.maxRssMb,
    };
  };
  const rssBaseline = await child(nsBaseline, 0);
  const rssCold = await child(nsRss, RSS_N);
  const rssNoop = await child(nsRss, RSS_N);

  const report = renderReport({
    cp,
    kubectlVersion: kubectlVersion ?? "unknown",
    cold: {
      kubectl: cold.kubectl.find((x) => x.wallMs === coldKubectl) ?? (cold.kubectl[0] as Run),
      pullbridge: cold.pullbridge.find((x) => x.wallMs === coldPullbridge) ?? (cold.pullbridge[0] as Run),
      all: cold,
    },
    noop,
    changed,
    rss: { baseline: rssBaseline, cold: rssCold, noop: rssNoop },
  });
  writeBenchmarksSection("sync", report.replace(/^# Benchmarks\n+/, ""), join(root, "BENCHMARKS.md"));
  console.log(report);
}

function total(c: RequestCounts | ServerCounts | undefined): number {
  if (!c) return 0;
  return c.reads + c.writes + c.dryRuns;
}

function fmtCounts(c: RequestCounts | ServerCounts | undefined): string {
  if (!c) return "–";
  return `${total(c)} (${c.reads} R / ${c.writes} W / ${c.dryRuns} DR)`;
}

function ms(v: number): string {
  return v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(0)} ms`;
}

function sec(v: number | undefined): string {
  return v === undefined ? "–" : `${v.toFixed(2)} s`;
}

function breakdown(run: Run): string {
  const c = run.client;
  if (!c) return "–";
  const otherReads = c.reads - 2 - c.listPages;
  return `${total(c)} = 2 discovery + ${c.listPages} LIST pages + ${otherReads} GET (ApplySet parent${otherReads > 1 ? ", adoption checks" : ""}) + ${c.dryRuns} dry-runs + ${c.writes} writes${c.writes > 0 ? " (incl. the ApplySet parent)" : ""}`;
}

function missed(r: {
  chP: Run;
  changedBudget: number;
  coldRatio: number;
  cold: { kubectl: Run; pullbridge: Run };
  cpus: number;
}): string[] {
  const out: string[] = [];
  const changedTotal = total(r.chP.client);
  if (changedTotal > r.changedBudget) {
    out.push(
      `- **10 of ${N} changed: ${changedTotal} requests vs ≤ ${r.changedBudget}** (+${changedTotal - r.changedBudget}). ` +
        "Two are the cold discovery documents (a warm worker reuses them: " +
        `${changedTotal - 2}). The other two are the ApplySet parent: one GET to read the inventory ` +
        "(needed before anything else to refuse a foreign parent and to know which kinds to list) and one " +
        "PATCH that records the synced sha, time and counts. The formula counts neither; dropping the record " +
        "would meet it, at the cost of the audit trail on the parent.",
    );
  }
  if (r.coldRatio < 8) {
    const p = r.cold.pullbridge;
    const floorMs = (((p.controlPlaneCpu ?? 0) + (p.clientCpu ?? 0)) / r.cpus) * 1000;
    out.push(
      `- **Cold apply: ${r.coldRatio.toFixed(1)}× vs ≥ 8×** (needs ${ms(r.cold.kubectl.wallMs / 8)}, took ${ms(p.wallMs)}). ` +
        `pullbridge sends twice kubectl's server-side applies — the whole-set dry-run before the first write is a ` +
        `requirement — and on this ${r.cpus}-CPU machine the run is CPU-bound: etcd + kube-apiserver burned ` +
        `${sec(p.controlPlaneCpu)} and pullbridge ${sec(p.clientCpu)}, a floor of ${ms(floorMs)} before any ` +
        `waiting. kubectl's ${ms(r.cold.kubectl.wallMs)} is mostly latency (one request at a time), which loopback ` +
        "makes tiny; against a real cluster with a few ms of RTT kubectl grows by ~RTT × 1,000 while pullbridge " +
        "(32 requests in flight, multi-core control plane) does not, so the ratio grows with distance and cores.",
    );
  }
  if (out.length === 0) out.push("- None.");
  return out;
}

function verdict(ok: boolean, detail: string): string {
  return ok ? `✅ ${detail}` : `❌ ${detail}`;
}

function renderReport(r: {
  cp: ControlPlane;
  kubectlVersion: string;
  cold: { kubectl: Run; pullbridge: Run; all: { kubectl: Run[]; pullbridge: Run[] } };
  noop: { kubectl: Run[]; pullbridge: Run[] };
  changed: { kubectl: Run[]; pullbridge: Run[] };
  rss: { baseline: Run; cold: Run; noop: Run };
}): string {
  const cpu = cpus();
  const rel = (p: string) => relative(root, p);
  const pick = (runs: Run[]) => {
    const wall = median(runs.map((x) => x.wallMs));
    return runs.find((x) => x.wallMs === wall) ?? runs[0];
  };
  const noopK = pick(r.noop.kubectl);
  const noopP = pick(r.noop.pullbridge);
  const chK = pick(r.changed.kubectl);
  const chP = pick(r.changed.pullbridge);
  if (!noopK || !noopP || !chK || !chP) throw new Error("no runs");
  const ratio = (k: Run, p: Run) => k.wallMs / p.wallMs;
  const noopRatio = ratio(noopK, noopP);
  const chRatio = ratio(chK, chP);
  const coldRatio = ratio(r.cold.kubectl, r.cold.pullbridge);
  const noopBudget = (noopP.client?.listPages ?? 0) + 3;
  const changedBudget = KINDS.length + 2 * 10;
  const rows = [
    [
      `No-op sync (${N} objects)`,
      ms(noopK.wallMs),
      fmtCounts(noopK.server),
      ms(noopP.wallMs),
      fmtCounts(noopP.client),
      fmtCounts(noopP.server),
      `${noopRatio.toFixed(1)}×`,
      verdict(
        total(noopP.client) <= noopBudget && noopP.client?.writes === 0 && noopRatio >= 30,
        `≤ LIST pages + 3 = ${noopBudget} requests, 0 writes, ≥ 30×`,
      ),
    ],
    [
      `10 of ${N} changed`,
      ms(chK.wallMs),
      fmtCounts(chK.server),
      ms(chP.wallMs),
      fmtCounts(chP.client),
      fmtCounts(chP.server),
      `${chRatio.toFixed(1)}×`,
      verdict(
        total(chP.client) <= changedBudget && chRatio >= 20,
        `≤ kinds + 2×10 = ${changedBudget} requests, ≥ 20×`,
      ),
    ],
    [
      `Cold apply of ${N}`,
      ms(r.cold.kubectl.wallMs),
      fmtCounts(r.cold.kubectl.server),
      ms(r.cold.pullbridge.wallMs),
      fmtCounts(r.cold.pullbridge.client),
      fmtCounts(r.cold.pullbridge.server),
      `${coldRatio.toFixed(1)}×`,
      verdict(coldRatio >= 8, "≥ 8×"),
    ],
  ];
  const lines = [
    "# Benchmarks",
    "",
    "Generated by `npm run bench:sync` (bench/sync/run-sync-bench.ts); see bench/README.md for method and caveats.",
    "",
    "## Machine",
    "",
    `- CPU: ${cpu.length} × ${cpu[0]?.model ?? "unknown"} (\`nproc\` = ${cpu.length})`,
    `- Memory: ${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `- Node ${process.version}, kube-apiserver ${r.cp.version} + etcd (local, \`--unsafe-no-fsync\`), kubectl ${r.kubectlVersion} built from source`,
    `- API server, etcd, kubectl and pullbridge all share these ${cpu.length} CPUs.`,
    `- Date: ${new Date().toISOString()}`,
    "",
    `## Sync of ${N} objects (${N / KINDS.length} each of ${KINDS.join(", ")}), worker identity, medians of ${REPEAT} rounds`,
    "",
    'Requests: total (reads / writes / dry-runs). pullbridge counts client-side; "server" is the delta of',
    "`apiserver_request_total` for the five resources plus discovery (`/api`, `/apis`), WATCH excluded.",
    "",
    "| measure | kubectl wall | kubectl requests (server) | pullbridge wall | pullbridge requests (client) | pullbridge requests (server) | speed-up | target |",
    "|---|---|---|---|---|---|---|---|",
    ...rows.map((row) => `| ${row.join(" | ")} |`),
    "",
    `kubectl also fetched OpenAPI documents: ${noopK.server.other} (no-op), ${chK.server.other} (10 changed), ${r.cold.kubectl.server.other} (cold) requests not counted above.`,
    "",
    "pullbridge request breakdown (client counter; discovery is cold in every row):",
    "",
    `- no-op: ${breakdown(noopP)}`,
    `- 10 changed: ${breakdown(chP)}`,
    `- cold apply: ${breakdown(r.cold.pullbridge)} (the first sync checks for pre-existing objects with one unfiltered LIST per kind instead of ${N} GETs)`,
    "",
    "### Where the time goes (CPU seconds during the run)",
    "",
    "| measure | kubectl: etcd + kube-apiserver | pullbridge: etcd + kube-apiserver | pullbridge process | pullbridge CPU floor on this machine |",
    "|---|---|---|---|---|",
    ...(
      [
        ["No-op", noopK, noopP],
        ["10 changed", chK, chP],
        ["Cold apply", r.cold.kubectl, r.cold.pullbridge],
      ] as const
    ).map(
      ([label, k, p]) =>
        `| ${label} | ${sec(k.controlPlaneCpu)} | ${sec(p.controlPlaneCpu)} | ${sec(p.clientCpu)} | ${ms((((p.controlPlaneCpu ?? 0) + (p.clientCpu ?? 0)) / cpu.length) * 1000)} |`,
    ),
    "",
    "The floor is (control-plane CPU + pullbridge CPU) / CPUs: no scheduling can finish the run faster on",
    "this machine, because all of it competes for the same cores.",
    "",
    "### Targets missed, by how much and why",
    "",
    ...missed({ chP, changedBudget, coldRatio, cold: r.cold, cpus: cpu.length }),
    "",
    "All rounds (wall time):",
    "",
    `- no-op: kubectl ${r.noop.kubectl.map((x) => ms(x.wallMs)).join(", ")}; pullbridge ${r.noop.pullbridge.map((x) => ms(x.wallMs)).join(", ")}`,
    `- 10 changed: kubectl ${r.changed.kubectl.map((x) => ms(x.wallMs)).join(", ")}; pullbridge ${r.changed.pullbridge.map((x) => ms(x.wallMs)).join(", ")}`,
    `- cold apply: kubectl ${r.cold.all.kubectl.map((x) => ms(x.wallMs)).join(", ")}; pullbridge ${r.cold.all.pullbridge.map((x) => ms(x.wallMs)).join(", ")}`,
    "",
    `## Peak RSS of a ${RSS_N}-object sync (own process, \`process.resourceUsage().maxRSS\`)`,
    "",
    "| run | wall | requests (client) | requests (server) | peak RSS | target |",
    "|---|---|---|---|---|---|",
    `| baseline: same bundle, 0 objects | ${ms(r.rss.baseline.wallMs)} | ${fmtCounts(r.rss.baseline.client)} | ${fmtCounts(r.rss.baseline.server)} | ${r.rss.baseline.rssMb?.toFixed(0)} MB | |`,
    `| cold apply of ${RSS_N} | ${ms(r.rss.cold.wallMs)} | ${fmtCounts(r.rss.cold.client)} | ${fmtCounts(r.rss.cold.server)} | ${r.rss.cold.rssMb?.toFixed(0)} MB | ${verdict((r.rss.cold.rssMb ?? Infinity) <= 200, "≤ 200 MB")} |`,
    `| no-op sync of ${RSS_N} | ${ms(r.rss.noop.wallMs)} | ${fmtCounts(r.rss.noop.client)} | ${fmtCounts(r.rss.noop.server)} | ${r.rss.noop.rssMb?.toFixed(0)} MB | ${verdict((r.rss.noop.rssMb ?? Infinity) <= 200, "≤ 200 MB")} |`,
    "",
    "## Reproduce",
    "",
    "```sh",
    "npm run bench:sync                      # every row above; rewrites its section of BENCHMARKS.md",
    "BENCH_OBJECTS=1000 BENCH_REPEAT=5 npm run bench:sync",
    "```",
    "",
    "Each kubectl row is, with the files the script writes to a temp dir:",
    "",
    "```sh",
    `${rel(join(r.cp.binDir, "kubectl")).startsWith("..") ? "<binDir>/kubectl" : rel(join(r.cp.binDir, "kubectl"))} --kubeconfig <controlPlaneDir>/worker.kubeconfig --cache-dir <tmp>/kubectl-cache apply --server-side -f <tmp>/<row>.yaml`,
    "```",
    "",
    "Each pullbridge row is `syncTarget(...)` in the benchmark process with a fresh discovery cache (a",
    "warm Lambda would skip the two discovery requests); the RSS rows run `bench/sync/sync-once.ts`,",
    "bundled with esbuild as serverless-esbuild ships the worker, in a child process:",
    "",
    "```sh",
    "npx esbuild bench/sync/sync-once.ts --bundle --platform=node --format=esm --outfile=/tmp/sync-once.mjs \\",
    "  --banner:js=\"import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);\"",
    'PULLBRIDGE_BENCH_INPUT=\'{"server":…,"caPem":…,"token":…,"namespace":"bench-rss","total":5000,"revision":"r1"}\' node /tmp/sync-once.mjs',
    "```",
    "",
  ];
  return lines.join("\n");
}

await main();
