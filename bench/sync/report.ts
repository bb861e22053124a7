/** Renders the sync benchmark's section of BENCHMARKS.md from measured runs. Pure. */
import type { RequestCounts } from "../../lib/cluster/cluster-port.ts";
import type { ControlPlaneInfo } from "../../test/support/control-plane/control-plane.ts";
import type { ServerCounts } from "./apiserver-metrics.ts";
import { KINDS } from "./fixture.ts";

export type Run = {
  wallMs: number;
  discovery?: "cold" | "warm";
  client?: RequestCounts;
  server: ServerCounts;
  /** CPU seconds used by etcd + kube-apiserver during the run. */
  controlPlaneCpu?: number;
  /** CPU seconds used by the latency proxy process during the run. */
  proxyCpu?: number;
  /** CPU seconds used by the pullbridge process during the run (in-process rows only). */
  clientCpu?: number;
};

export type RttResult = {
  rtt: number;
  /** Median wall time of GET /version as the worker at this distance. */
  pingMs: number;
  viaProxy: boolean;
  cold: { kubectl: Run[]; pullbridge: Run[] };
  noop: { kubectl: Run[]; cold: Run[]; warm: Run[] };
  changed: { kubectl: Run[]; cold: Run[]; warm: Run[] };
};

export type RssRun = {
  set: string;
  step: string;
  objects: number;
  manifestMb: number;
  loadMs: number;
  wallMs: number;
  processMs: number;
  requests: RequestCounts;
  server: ServerCounts;
  fallbacks: number;
  afterLoad: { maxRssMb: number; rssMb: number };
  maxRssMb: number;
  heapUsedMb: number;
  durationsMs?: Record<string, number>;
};

/** Goals of issue 15 at RTT 2 and 10 ms (warm worker). */
const GOAL = { noop: 50, changed: 30, cold: 10 } as const;
const CHANGED = 10;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** The run with the median wall time (so its counts and CPU belong to the figure shown). */
function pick(runs: readonly Run[]): Run {
  const wall = median(runs.map((x) => x.wallMs));
  const found = runs.find((x) => x.wallMs === wall) ?? runs[0];
  if (!found) throw new Error("no runs");
  return found;
}

function total(c: RequestCounts | ServerCounts | undefined): number {
  return c ? c.reads + c.writes + c.dryRuns : 0;
}

function fmtCounts(c: RequestCounts | ServerCounts | undefined): string {
  return c ? `${total(c)} (${c.reads} R / ${c.writes} W / ${c.dryRuns} DR)` : "–";
}

function ms(v: number): string {
  return v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(0)} ms`;
}

function sec(v: number | undefined): string {
  return v === undefined ? "–" : `${v.toFixed(2)} s`;
}

function x(v: number): string {
  return `${v.toFixed(1)}×`;
}

function range(runs: readonly Run[]): string {
  const walls = runs.map((r) => r.wallMs);
  return `${ms(Math.min(...walls))}–${ms(Math.max(...walls))}`;
}

function breakdown(run: Run): string {
  const c = run.client;
  if (!c) return "–";
  const discovery = run.discovery === "cold" ? 2 : 0;
  const otherReads = c.reads - discovery - c.listPages;
  return `${total(c)} = ${discovery} discovery + ${c.listPages} LIST pages + ${otherReads} GET (ApplySet parent${otherReads > 1 ? ", adoption checks" : ""}) + ${c.dryRuns} dry-runs + ${c.writes} writes${c.writes > 0 ? " (incl. the ApplySet parent)" : ""}`;
}

/** (control plane + pullbridge + proxy CPU) / CPUs: no scheduling finishes faster on this machine. */
function cpuFloorMs(run: Run, cpus: number): number {
  return (((run.controlPlaneCpu ?? 0) + (run.clientCpu ?? 0) + (run.proxyCpu ?? 0)) / cpus) * 1000;
}

function verdict(ok: boolean, detail: string): string {
  return `${ok ? "✅" : "❌"} ${detail}`;
}

type Picked = {
  r: RttResult;
  noopK: Run;
  noopC: Run;
  noopW: Run;
  chK: Run;
  chC: Run;
  chW: Run;
  coldK: Run;
  coldP: Run;
};

function picked(r: RttResult): Picked {
  return {
    r,
    noopK: pick(r.noop.kubectl),
    noopC: pick(r.noop.cold),
    noopW: pick(r.noop.warm),
    chK: pick(r.changed.kubectl),
    chC: pick(r.changed.cold),
    chW: pick(r.changed.warm),
    coldK: pick(r.cold.kubectl),
    coldP: pick(r.cold.pullbridge),
  };
}

const ratio = (k: Run, p: Run) => k.wallMs / p.wallMs;

function floors(p: Picked) {
  const pages = p.chW.client?.listPages ?? 0;
  return {
    noop: (p.noopW.client?.listPages ?? 0) + 1,
    changed: pages + 1 + CHANGED + CHANGED + 1,
  };
}

function summaryRows(p: Picked, objects: number): string[] {
  const gated = p.r.rtt >= 2;
  const f = floors(p);
  const noopOk = total(p.noopW.client) <= f.noop && p.noopW.client?.writes === 0;
  const chOk = total(p.chW.client) <= f.changed;
  const goal = (ok: boolean, ratioValue: number, want: number, extra: string) =>
    gated ? verdict(ok && ratioValue >= want, `≥ ${want}×${extra}`) : `recorded${extra}`;
  return [
    `| ${p.r.rtt} ms (${p.r.pingMs.toFixed(1)} ms) | no-op | ${ms(p.noopK.wallMs)} | ${ms(p.noopW.wallMs)} / ${ms(p.noopC.wallMs)} | ${x(ratio(p.noopK, p.noopW))} / ${x(ratio(p.noopK, p.noopC))} | ${total(p.noopW.client)} / ${total(p.noopC.client)}, ${p.noopW.client?.writes ?? 0} writes | ${goal(noopOk, ratio(p.noopK, p.noopW), GOAL.noop, `; ${verdict(noopOk, `warm ≤ LIST pages + 1 = ${f.noop}, 0 writes`)}`)} |`,
    `| ${p.r.rtt} ms | 10 of ${objects} changed | ${ms(p.chK.wallMs)} | ${ms(p.chW.wallMs)} / ${ms(p.chC.wallMs)} | ${x(ratio(p.chK, p.chW))} / ${x(ratio(p.chK, p.chC))} | ${total(p.chW.client)} / ${total(p.chC.client)} | ${goal(chOk, ratio(p.chK, p.chW), GOAL.changed, `; ${verdict(chOk, `warm ≤ ${f.changed}`)}`)} |`,
    `| ${p.r.rtt} ms | cold apply | ${ms(p.coldK.wallMs)} | – / ${ms(p.coldP.wallMs)} | – / ${x(ratio(p.coldK, p.coldP))} | – / ${total(p.coldP.client)} | ${goal(true, ratio(p.coldK, p.coldP), GOAL.cold, "")} |`,
  ];
}

function detail(p: Picked, cpus: number): string[] {
  const { r } = p;
  const rows: Array<[string, Run, Run]> = [
    ["No-op, warm discovery", p.noopK, p.noopW],
    ["No-op, cold discovery", p.noopK, p.noopC],
    ["10 changed, warm discovery", p.chK, p.chW],
    ["10 changed, cold discovery", p.chK, p.chC],
    ["Cold apply (cold discovery)", p.coldK, p.coldP],
  ];
  return [
    `### RTT ${r.rtt} ms — ${r.viaProxy ? "through the latency proxy" : "direct, no proxy"}; GET /version takes ${r.pingMs.toFixed(1)} ms (median of 20)`,
    "",
    "| measure | kubectl wall | kubectl requests (server) | pullbridge wall | pullbridge requests (client) | pullbridge requests (server) | speed-up |",
    "|---|---|---|---|---|---|---|",
    ...rows.map(
      ([label, k, pb]) =>
        `| ${label} | ${ms(k.wallMs)} | ${fmtCounts(k.server)} | ${ms(pb.wallMs)} | ${fmtCounts(pb.client)} | ${fmtCounts(pb.server)} | ${x(ratio(k, pb))} |`,
    ),
    "",
    `kubectl also fetched OpenAPI documents: ${p.noopK.server.other} (no-op), ${p.chK.server.other} (10 changed), ${p.coldK.server.other} (cold) requests not counted above.`,
    "",
    "pullbridge request breakdown (client counter):",
    "",
    `- no-op, warm: ${breakdown(p.noopW)}; cold: ${breakdown(p.noopC)}`,
    `- 10 changed, warm: ${breakdown(p.chW)}; cold: ${breakdown(p.chC)}`,
    `- cold apply: ${breakdown(p.coldP)} (the first sync checks for pre-existing objects with one unfiltered LIST per kind)`,
    "",
    "CPU seconds during the median run, and the floor they set ((control plane + pullbridge + proxy) / CPUs):",
    "",
    "| measure | kubectl: etcd + kube-apiserver | kubectl: proxy | pullbridge: etcd + kube-apiserver | pullbridge process | pullbridge: proxy | pullbridge CPU floor |",
    "|---|---|---|---|---|---|---|",
    ...(
      [
        ["No-op (warm)", p.noopK, p.noopW],
        ["10 changed (warm)", p.chK, p.chW],
        ["Cold apply", p.coldK, p.coldP],
      ] as const
    ).map(
      ([label, k, pb]) =>
        `| ${label} | ${sec(k.controlPlaneCpu)} | ${sec(k.proxyCpu)} | ${sec(pb.controlPlaneCpu)} | ${sec(pb.clientCpu)} | ${sec(pb.proxyCpu)} | ${ms(cpuFloorMs(pb, cpus))} |`,
    ),
    "",
    `All rounds (wall): no-op kubectl ${range(r.noop.kubectl)}, pullbridge warm ${range(r.noop.warm)}, cold ${range(r.noop.cold)}; ` +
      `10 changed kubectl ${range(r.changed.kubectl)}, pullbridge warm ${range(r.changed.warm)}, cold ${range(r.changed.cold)}; ` +
      `cold apply kubectl ${range(r.cold.kubectl)}, pullbridge ${range(r.cold.pullbridge)}.`,
    "",
  ];
}

/** Why a goal was missed, with the measured figures that explain it. */
function misses(all: readonly Picked[], cpus: number, objects: number): string[] {
  const out: string[] = [];
  for (const p of all) {
    if (p.r.rtt < 2) continue;
    const check = (label: string, k: Run, pb: Run, want: number) => {
      const got = ratio(k, pb);
      if (got >= want) return;
      const needMs = k.wallMs / want;
      const floor = cpuFloorMs(pb, cpus);
      const rttShare = pb.wallMs - floor;
      out.push(
        `- **RTT ${p.r.rtt} ms, ${label}: ${x(got)} vs ≥ ${want}×** — kubectl took ${ms(k.wallMs)}, so pullbridge needed ≤ ${ms(needMs)} and took ${ms(pb.wallMs)}. ` +
          `Its CPU floor on this ${cpus}-CPU machine was ${ms(floor)} (etcd + kube-apiserver ${sec(pb.controlPlaneCpu)}, pullbridge ${sec(pb.clientCpu)}, proxy ${sec(pb.proxyCpu)}), ` +
          `${floor >= needMs ? "already above what the goal allows: the run is CPU-bound, not latency-bound" : `leaving ${ms(Math.max(0, rttShare))} of waiting on the network and on the other processes sharing the CPUs`}.`,
      );
    };
    check("no-op (warm)", p.noopK, p.noopW, GOAL.noop);
    check(`10 of ${objects} changed (warm)`, p.chK, p.chW, GOAL.changed);
    check(`cold apply of ${objects}`, p.coldK, p.coldP, GOAL.cold);
  }
  if (out.length === 0) out.push("- None.");
  return out;
}

function rssGoal(run: RssRun): string {
  if (run.set === "bundle" || run.set === "realistic:5000") return verdict(run.maxRssMb <= 200, "≤ 200 MB");
  if (run.set === "realistic:20000") {
    const seconds = (run.loadMs + run.wallMs) / 1000;
    return verdict(run.maxRssMb <= 512 && seconds <= 120, "≤ 512 MB, load + sync ≤ 120 s");
  }
  if (run.set === "simple:5000") return verdict(run.maxRssMb <= 200, "≤ 200 MB (original row)");
  return "";
}

type ReportInput = {
  cp: ControlPlaneInfo;
  kubectlVersion: string;
  objects: number;
  repeat: number;
  bandwidth: number | undefined;
  results: readonly RttResult[];
  rss: readonly RssRun[];
  /** Node flags of the memory rows' child process. */
  childFlags: readonly string[];
  load: { start: number[]; end: number[] };
  cpuCount: number;
  cpuModel: string;
  memoryGiB: number;
};

function machine(r: ReportInput, script: string): string[] {
  const cpus = r.cpuCount;
  const la = (l: number[]) => l.map((v) => v.toFixed(2)).join(" / ");
  return [
    `Generated by \`${script}\` (bench/sync/run-sync-bench.ts); see bench/README.md for method and caveats.`,
    "",
    "### Machine",
    "",
    `- CPU: ${cpus} × ${r.cpuModel} (\`nproc\` = ${cpus}); memory ${r.memoryGiB.toFixed(1)} GiB`,
    `- Node ${process.version}, kube-apiserver ${r.cp.version} + etcd (local, \`--unsafe-no-fsync\`), kubectl ${r.kubectlVersion} built from source`,
    `- API server, etcd, kubectl, the latency proxy and pullbridge all share these ${cpus} CPUs, with whatever else runs on the machine.`,
    `- Load average (1 / 5 / 15 min): ${la(r.load.start)} at the start, ${la(r.load.end)} at the end.`,
    `- Date: ${new Date().toISOString()}`,
    "",
  ];
}

/** The latency section (sync rows at each RTT), or undefined when none ran. */
export function renderLatencyReport(r: ReportInput): string | undefined {
  if (r.results.length === 0) return undefined;
  const cpus = r.cpuCount;
  const all = r.results.map(picked);
  return [
    `## Sync of ${r.objects} objects at network distance (${r.objects / KINDS.length} each of ${KINDS.join(", ")}), worker identity, medians of ${r.repeat} rounds`,
    "",
    ...machine(r, "npm run bench:sync"),
    "Both tools reach the API server through the same loopback latency proxy (`bench/latency-proxy.ts`, in its own process: half the RTT each way, per chunk, in order" +
      (r.bandwidth
        ? `, capped at ${(r.bandwidth / 1e6).toFixed(1)} MB/s per direction`
        : ", no bandwidth cap") +
      "); RTT 0 is direct. pullbridge runs warm (discovery cached, as a warm Lambda) and cold (first invocation); speed-ups and requests are given as warm / cold.",
    "",
    "| RTT (GET /version) | measure | kubectl | pullbridge warm / cold | speed-up warm / cold | pullbridge requests warm / cold | goal |",
    "|---|---|---|---|---|---|---|",
    ...all.flatMap((p) => summaryRows(p, r.objects)),
    "",
    'Requests: total (reads / writes / dry-runs). pullbridge counts client-side; "server" is the delta of',
    "`apiserver_request_total` for the five resources plus discovery (`/api`, `/apis`), WATCH excluded.",
    "",
    ...all.flatMap((p) => detail(p, cpus)),
    "### Goals missed, by how much and why",
    "",
    ...misses(all, cpus, r.objects),
    "",
    "### Reproduce",
    "",
    "```sh",
    "npm run bench:sync                          # these rows; rewrites this section",
    "BENCH_RTTS=0,2,10 BENCH_REPEAT=5 npm run bench:sync",
    "BENCH_BANDWIDTH=12500000 npm run bench:sync # also cap each direction at 100 Mbit/s",
    "```",
    "",
    "Each kubectl row is, with the files the script writes to a temp dir (the kubeconfig's server is the proxy's port):",
    "",
    "```sh",
    'node bench/latency-proxy-main.ts 127.0.0.1:<apiserver port> <rtt ms> &   # prints {"port":N}',
    "<binDir>/kubectl --kubeconfig <tmp>/worker-rtt<rtt>.kubeconfig --cache-dir <tmp>/kubectl-cache-rtt<rtt> apply --server-side -f <tmp>/<row>.yaml",
    "```",
    "",
    "Each pullbridge row is `syncTarget(...)` in the benchmark process, through the same proxy.",
    "",
  ].join("\n");
}

/** The memory section (peak RSS of realistic syncs), or undefined when none ran. */
export function renderMemoryReport(r: ReportInput): string | undefined {
  if (r.rss.length === 0) return undefined;
  const flags = r.childFlags.length > 0 ? r.childFlags.join(" ") : "(none: Node's defaults)";
  return [
    "## Peak memory of realistic syncs (own process, the worker's esbuild bundle, `process.resourceUsage().maxRSS`)",
    "",
    ...machine(r, "npm run bench:sync-memory"),
    `Node flags of the measured process: \`${flags}\`.`,
    "",
    "Sets (bench/sync/realistic-fixture.ts): `simple:5000` is the original 5,000-object row (generated in-process, no YAML);",
    "`bundle` is public-bundle-like: 10 CRDs of 30–480 KB with deep documented schemas, 20 custom resources, 20 Deployments",
    "(3 containers with probes and resources), 20 ConfigMaps (2 of 200 KB), Services, ServiceAccounts, Secrets — 131 objects in one YAML file;",
    "`realistic:N` is N objects: 2 CRDs (300 and 120 KB), Deployments, ConfigMaps (every 10th 48 KB), Services, ServiceAccounts,",
    "Secrets and custom resources, in YAML files of 50 objects. Manifests are read from disk and loaded with `loadManifests`",
    "as the worker loads a commit. After the cold apply, Deployment and custom-resource status is written through the status",
    "subresource (as `kube-controller-manager` / an operator), so the no-op and 10-changed runs read objects with status and",
    "several managers' managedFields. RTT 0 (direct).",
    "",
    "| set | run | objects | YAML | load | sync | requests (client) | requests (server) | peak RSS after load | peak RSS | goal |",
    "|---|---|---|---|---|---|---|---|---|---|---|",
    ...r.rss.map(
      (run) =>
        `| ${run.set} | ${run.step} | ${run.objects} | ${run.manifestMb ? `${run.manifestMb.toFixed(1)} MB` : "–"} | ${ms(run.loadMs)} | ${ms(run.wallMs)} | ${fmtCounts(run.requests)} | ${fmtCounts(run.server)} | ${run.afterLoad.maxRssMb.toFixed(0)} MB | **${run.maxRssMb.toFixed(0)} MB** | ${rssGoal(run)} |`,
    ),
    "",
    "Server counts cover the five core resources and discovery only, so custom resources and CRDs are missing from them.",
    "Sync phases of each run (ms): " +
      r.rss
        .map(
          (run) =>
            `${run.set} ${run.step}: ${Object.entries(run.durationsMs ?? {})
              .filter(([k, v]) => k !== "total" && v >= 1)
              .map(([k, v]) => `${k} ${v.toFixed(0)}`)
              .join(", ")}`,
        )
        .join("; ") +
      ".",
    "",
    "### Reproduce",
    "",
    "```sh",
    "npm run bench:sync-memory                                        # these rows; rewrites this section",
    "BENCH_RSS_SETS=bundle,realistic:5000 npm run bench:sync-memory   # Node flags: the worker's NODE_OPTIONS in serverless.yml",
    'BENCH_CHILD_FLAGS="" npm run bench:sync-memory                   # Node defaults instead',
    "npx esbuild bench/sync/sync-once.ts --bundle --platform=node --format=esm --outfile=/tmp/sync-once.mjs \\",
    "  --banner:js=\"import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);\"",
    'PULLBRIDGE_BENCH_INPUT=\'{"server":…,"caPem":…,"token":…,"namespace":…,"revision":"r1","manifestDir":…,"clusterScoped":true}\' node /tmp/sync-once.mjs',
    "```",
    "",
  ].join("\n");
}
