/**
 * `npm run bench:worker`: the user-visible loop. A signed push goes to the real webhook handler,
 * through fauxqs and the event-source harness to the real worker handler, which applies a
 * 100-object change to a real kube-apiserver (as the namespaced worker identity) and reports to
 * the OpenAPI-validated GitHub fake. Measures push → `success` status, the GitHub REST calls per
 * sync (with and without the GitHub Deployment calls, which are on by default), and the worker
 * bundle's size and cold module load (packaged, as Lambda loads it). Writes its section of BENCHMARKS.md.
 */
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { startFauxqs } from "fauxqs";
import { startBridge } from "../../test/support/bridge.ts";
import { ensureBinaries, startControlPlane } from "../../test/support/control-plane/control-plane.ts";
import { createGrantedNamespace } from "../../test/support/kube.ts";
import { writeBenchmarksSection } from "../benchmarks-file.ts";
import { packageStack, unpackFunction } from "../lambda-package.ts";
import { bundleFunction } from "../webhook/bundle-webhook.ts";
import { measureColdLoads } from "../webhook/cold-load.ts";
import { WORKER_COLD_LOAD_ENV, WORKER_ENTRY } from "./worker-bundle.ts";

const OBJECTS = Number(process.env.BENCH_OBJECTS ?? 100);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);
const P50_TARGET_MS = 2000;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};
const ms = (x: number) => `${Math.round(x)} ms`;

function manifests(round: number): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 0; i < OBJECTS; i++) {
    files[`deploy/cm-${String(i).padStart(3, "0")}.yaml`] =
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${i}\ndata:\n  round: "${round}"\n  index: "${i}"\n`;
  }
  return files;
}

// 1. End to end on real servers.
const loadStart = loadavg();
const cp = await startControlPlane({ binDir: await ensureBinaries() });
const sqsServer = await startFauxqs({ port: 0, logger: false });
const admin = new KubeConfig();
admin.loadFromFile(join(cp.dir, "admin.kubeconfig"));
const servers = { controlPlane: cp, sqsEndpoint: sqsServer.address };
const latencies: number[] = [];
const restCalls: Record<"app" | "token", number[]> = { app: [], token: [] };
// GitHub Deployments (issue 16) are counted apart: their own budget is ≤ 3 extra calls per sync.
const deploymentCalls: Record<"app" | "token", number[]> = { app: [], token: [] };
const isDeploymentCall = (call: { route?: string | undefined }) =>
  call.route?.includes("/deployments") === true;
try {
  for (const mode of ["app", "token"] as const) {
    const namespace = `bench-${mode}`;
    await createGrantedNamespace(admin, namespace);
    const bridge = await startBridge({ mode, namespace, servers });
    // Round 0 creates the objects (cold); later rounds change every one of them.
    for (let round = 0; round <= (mode === "app" ? ROUNDS : 2); round++) {
      const callsBefore = bridge.world.fake.restCalls().length;
      const started = performance.now();
      const push = await bridge.push(manifests(round), `round ${round}`);
      await bridge.drain();
      const final = bridge.world.fake.statuses(push.sha).at(-1);
      const took = performance.now() - started;
      if (final?.state !== "success")
        throw new Error(`round ${round} ended ${final?.state}: ${final?.description}`);
      if (round > 0) {
        if (mode === "app") latencies.push(took);
        const calls = bridge.world.fake.restCalls().slice(callsBefore);
        restCalls[mode].push(calls.filter((c) => !isDeploymentCall(c)).length);
        deploymentCalls[mode].push(calls.filter(isDeploymentCall).length);
      }
      process.stderr.write(`[bench:worker] ${mode} round ${round}: ${ms(took)} (${final.description})\n`);
    }
    if (bridge.world.fake.violations.length > 0)
      throw new Error("GitHub OpenAPI violations during the bench");
    await bridge.close();
  }
} finally {
  await sqsServer.stop();
  await cp.stop();
}

// 2. Worker bundle: size and cold module load (fresh process per run, as a Lambda init).
const cache = join("node_modules", ".cache", "pullbridge-bench");
const bundle = await bundleFunction(WORKER_ENTRY, join(cache, "worker"));
const packaged = await unpackFunction(
  await packageStack(join(cache, "bench-worker", "package")),
  "worker",
  join(cache, "bench-worker", "unpacked"),
);
const [cold, bare] = measureColdLoads(
  [
    { file: packaged.handlerFile, env: packaged.env, cwd: packaged.taskRoot },
    {
      file: bundle.file,
      env: { PATH: process.env.PATH ?? "", AWS_REGION: "us-east-1", ...WORKER_COLD_LOAD_ENV },
    },
  ],
  Number(process.env.BENCH_COLD_RUNS ?? 15),
);
if (!cold || !bare) throw new Error("cold load not measured");

// 3. Report.
const p50 = median(latencies);
const sorted = [...latencies].sort((a, b) => a - b);
const values = (xs: number[]) => [...new Set(xs)].sort((a, b) => a - b).join(", ");
const totals = (mode: "app" | "token") => restCalls[mode].map((n, i) => n + (deploymentCalls[mode][i] ?? 0));
const loadRange = (l: [number, number]) =>
  l[0] === l[1] ? l[0].toFixed(1) : `${l[0].toFixed(1)}–${l[1].toFixed(1)}`;
const section = [
  "## Worker: push → `success` status, end to end (`npm run bench:worker`)",
  "",
  `Machine: ${cpus().length} × ${cpus()[0]?.model ?? "CPU"}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, kube-apiserver ${cp.version}; API server, etcd, fauxqs, the GitHub fake and the bridge share these cores. Load average (1 / 5 / 15 min) ${loadStart.map((l) => l.toFixed(2)).join(" / ")} at the start, ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" / ")} at the end. Date: ${new Date().toISOString()}.`,
  "",
  `Path: signed push → webhook handler → fauxqs FIFO → event-source harness → worker handler → tarball from the GitHub fake (a real git repository) → ${OBJECTS} ConfigMaps changed → whole-set dry-run → server-side apply as the namespaced worker identity → statuses and check run. Rounds after the first change all ${OBJECTS} objects.`,
  "",
  "| measure | result | target |",
  "|---|---|---|",
  `| push → \`success\`, ${OBJECTS}-object change, p50 / p90 over ${latencies.length} pushes | **${ms(p50)}** / ${ms(sorted[Math.min(sorted.length - 1, Math.ceil(0.9 * sorted.length) - 1)] ?? 0)} (min ${ms(sorted[0] ?? 0)}, max ${ms(sorted.at(-1) ?? 0)}) | p50 ≤ 2 s ${p50 <= P50_TARGET_MS ? "✅" : "❌"} |`,
  `| **GitHub REST calls per sync as deployed (GitHub Deployments on, the default)**: token / App | **${values(totals("token"))} / ${values(totals("app"))}** | — (the budget below was set before Deployments existed) |`,
  `| of which commit status, head, tarball: token (head, tarball, pending, final) | ${values(restCalls.token)} | ≤ 4 ${Math.max(...restCalls.token) <= 4 ? "✅" : "❌"} |`,
  `| of which the same as an App (+ check run) | ${values(restCalls.app)} | ≤ 5 ${Math.max(...restCalls.app) <= 5 ? "✅" : "❌"} |`,
  `| of which GitHub Deployments, token and App (create, \`in_progress\`, final; 0 with \`environment.deployments: false\`) | ${values([...deploymentCalls.token, ...deploymentCalls.app])} | ≤ 3 ${Math.max(...deploymentCalls.token, ...deploymentCalls.app) <= 3 ? "✅" : "❌"} |`,
  `| worker bundle (esbuild, minified, ESM, \`@aws-sdk/*\` external) | ${(bundle.bytes / 1024).toFixed(0)} KB in ${bundle.files.length} files | ≤ 1024 KB ${bundle.bytes <= 1024 * 1024 ? "✅" : "❌"} |`,
  `| worker cold module load **as Lambda loads it** (the \`osls package\` zip, \`NODE_OPTIONS\` from serverless.yml with its source maps, the SDK from a node_modules outside the task), median / p90 of ${cold.runs} fresh processes (load average ${loadRange(cold.load)}) | **${ms(cold.importMedianMs)} / ${ms(cold.importP90Ms)}** | ≤ 150 ms ${cold.importMedianMs <= 150 ? "✅" : "❌"} |`,
  `| worker cold module load as measured before (bare esbuild bundle, repository SDK, no Node flags), interleaved with the row above | ${ms(bare.importMedianMs)} / ${ms(bare.importP90Ms)} | not the goal's row |`,
  "",
  "Counted by the GitHub fake over every push after the first (each changes all objects and ends `success`; no health queue here, so the final status comes from the worker). The tarball download from the codeload-style URL and the once-an-hour App token exchange are not REST API calls and are not counted (the budget counts API calls). Reproduce: `npm run bench:worker` (`BENCH_OBJECTS`, `BENCH_ROUNDS` to vary).",
].join("\n");
writeBenchmarksSection("worker", section);
console.log(section);
