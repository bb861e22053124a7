/**
 * `npm run bench:webhook`: bundle size (and the @kubernetes/client-node ban), cold module load
 * — as Lambda loads it (the `osls package` zip, its source maps under `--enable-source-maps`, the
 * AWS SDK from a node_modules outside the task, the function's environment from the template)
 * and, interleaved with it, as the earlier rows measured it (a bare esbuild bundle, the
 * repository's SDK, local mode) — and in-process handler latency. Prints a Markdown report,
 * writes bench/webhook/results.json and its section of BENCHMARKS.md, and exits non-zero when a
 * hard limit (bundle size, @kubernetes/client-node) is broken; missed timing targets are reported.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, type as osType, release, totalmem } from "node:os";
import { join } from "node:path";
import { writeBenchmarksSection } from "../benchmarks-file.ts";
import { packageStack, unpackFunction } from "../lambda-package.ts";
import { BUNDLE_LIMIT_BYTES, bundleWebhook, FORBIDDEN_PACKAGE } from "./bundle-webhook.ts";
import { localModeWebhookEnv, measureColdLoads } from "./cold-load.ts";

const LATENCY_P99_TARGET_MS = 50;
const COLD_LOAD_TARGET_MS = 60;
// Inside node_modules so the bundle's external `@aws-sdk/*` imports resolve as they do in Lambda.
const outDir = join("node_modules", ".cache", "pullbridge-bench", "webhook");
const failures: string[] = [];

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

// 1. Bundle.
const bundle = await bundleWebhook(outDir);
if (bundle.forbiddenInputs.length > 0) {
  failures.push(`bundle contains ${FORBIDDEN_PACKAGE}: ${bundle.forbiddenInputs.slice(0, 3).join(", ")}`);
}
if (bundle.bytes > BUNDLE_LIMIT_BYTES)
  failures.push(`bundle is ${kb(bundle.bytes)} > ${kb(BUNDLE_LIMIT_BYTES)}`);

// 2. Cold module load: the packaged function as Lambda loads it, and the bare bundle as before, interleaved.
const packaged = await unpackFunction(
  await packageStack(join("node_modules", ".cache", "pullbridge-bench", "bench-webhook", "package")),
  "webhook",
  join("node_modules", ".cache", "pullbridge-bench", "bench-webhook", "unpacked"),
);
// The share of the SDK client the handler imports at module scope, from the same runtime path.
const sdkProbe = join(packaged.taskRoot, "sdk-probe.mjs");
writeFileSync(sdkProbe, 'import "@aws-sdk/client-sqs";\nexport const handler = () => undefined;\n');
const [cold, bare, sdkOnly] = measureColdLoads(
  [
    { file: packaged.handlerFile, env: packaged.env, cwd: packaged.taskRoot },
    { file: bundle.file, env: localModeWebhookEnv() },
    { file: sdkProbe, env: packaged.env, cwd: packaged.taskRoot },
  ],
  Number(process.env.BENCH_COLD_RUNS ?? 15),
);
if (!cold || !bare || !sdkOnly) throw new Error("cold load not measured");

// 3. Latency, in a child process whose stdout (logs and EMF, as in Lambda) is discarded.
const latencyFile = join(outDir, "latency.json");
const child = spawnSync(process.execPath, ["bench/webhook/latency.ts", latencyFile], {
  // Logs (stdout and stderr for warnings) and EMF are discarded, as Lambda ships them elsewhere.
  stdio: ["ignore", "ignore", "pipe"],
  env: process.env,
  encoding: "utf8",
  maxBuffer: 256 * 1024 * 1024,
});
if (child.status !== 0) {
  console.error(`latency benchmark failed:\n${child.stderr.split("\n").slice(-20).join("\n")}`);
  process.exit(1);
}
const latency = JSON.parse(readFileSync(latencyFile, "utf8")) as Record<
  string,
  { runs: number; p50: number; p90: number; p99: number; max: number; mean: number }
>;
// Timings depend on what else the machine is doing: missed targets are reported, not fatal.
const warnings: string[] = [];
const main = Object.values(latency)[0];
if (main && main.p99 > LATENCY_P99_TARGET_MS) {
  warnings.push(`latency p99 ${main.p99} ms > ${LATENCY_P99_TARGET_MS} ms`);
}
if (cold.importMedianMs > COLD_LOAD_TARGET_MS) {
  warnings.push(`cold load median ${cold.importMedianMs} ms > ${COLD_LOAD_TARGET_MS} ms`);
}
const mark = (ok: boolean) => (ok ? "✅" : "❌");

const cpu = cpus();
const machine = {
  cpu: `${cpu[0]?.model ?? "unknown"} × ${cpu.length}`,
  memory: `${Math.round(totalmem() / 2 ** 30)} GiB`,
  os: `${osType()} ${release()}`,
  node: process.version,
  /** 1-minute load average when the run ended: other work on the machine inflates timings. */
  loadAverage: loadavg()[0]?.toFixed(2) ?? "?",
  date: new Date().toISOString(),
};
writeFileSync(
  "bench/webhook/results.json",
  `${JSON.stringify({ machine, bundle, packaged: { zipBytes: packaged.zipBytes, moduleBytes: packaged.moduleBytes, sourceMapBytes: packaged.sourceMapBytes, sdkPackages: packaged.sdkPackages, cold }, bare: { cold: bare }, sdkOnly, latency }, null, 2)}\n`,
);
const load = (l: [number, number]) =>
  l[0] === l[1] ? l[0].toFixed(2) : `${l[0].toFixed(2)}–${l[1].toFixed(2)}`;

const lines = [
  "## Webhook benchmark",
  "",
  `Machine: ${machine.cpu}, ${machine.memory}, ${machine.os}, Node ${machine.node}, load average ${machine.loadAverage}, ${machine.date}`,
  "",
  "| measure | result | target |",
  "|---|---|---|",
  `| bundle (esbuild, minified, ESM, node24; \`@aws-sdk/*\` from the runtime), all files | ${kb(bundle.bytes)} (${kb(bundle.gzipBytes)} gzip; entry ${kb(bundle.files.find((f) => f.name === "handler.mjs")?.bytes ?? 0)}) | ${mark(bundle.bytes <= BUNDLE_LIMIT_BYTES)} ≤ ${kb(BUNDLE_LIMIT_BYTES)} |`,
  `| \`${FORBIDDEN_PACKAGE}\` in bundle | ${bundle.forbiddenInputs.length === 0 ? "absent" : "PRESENT"} | ${mark(bundle.forbiddenInputs.length === 0)} absent |`,
  `| packaged function (\`osls package\` zip: minified bundle + source maps; what Lambda uploads) | zip ${kb(packaged.zipBytes)}; its own modules ${kb(packaged.moduleBytes)} + source maps ${kb(packaged.sourceMapBytes)}; SDK from the runtime: ${packaged.sdkPackages.join(", ")} | — |`,
  `| **cold module load as Lambda loads it**: the packaged handler, \`NODE_OPTIONS=${packaged.env.NODE_OPTIONS ?? ""}\` (source maps read at load), SDK from a node_modules outside the task, the template's environment (median / p90 of ${cold.runs} fresh processes, interleaved with the row below; load ${load(cold.load)}) | **${cold.importMedianMs} / ${cold.importP90Ms} ms** (min ${cold.importMinMs} ms; process ${cold.processMedianMs} ms) | ${mark(cold.importMedianMs <= COLD_LOAD_TARGET_MS)} ≤ ${COLD_LOAD_TARGET_MS} ms |`,
  `| cold module load as measured before: bare esbuild bundle (no source maps, no \`--enable-source-maps\`), SDK from the repository's node_modules, local-mode environment (same runs, interleaved; load ${load(bare.load)}) | ${bare.importMedianMs} / ${bare.importP90Ms} ms (min ${bare.importMinMs} ms; process ${bare.processMedianMs} ms) | not the goal's row |`,
  `| of which the SDK: \`import "@aws-sdk/client-sqs"\` alone, from the runtime path, same environment (same runs, interleaved; load ${load(sdkOnly.load)}) | ${sdkOnly.importMedianMs} / ${sdkOnly.importP90Ms} ms (min ${sdkOnly.importMinMs} ms) | — |`,
  ...Object.entries(latency).map(
    ([name, p]) =>
      `| ${name}, ${p.runs} runs: p50 / p90 / p99 / max | ${p.p50} / ${p.p90} / ${p.p99} / ${p.max} ms | ${mark(p.p99 <= LATENCY_P99_TARGET_MS)} p99 ≤ 50 ms |`,
  ),
  "",
  `Files: ${bundle.files.map((f) => `${f.name} ${kb(f.bytes)}`).join(", ")}`,
  "",
  `Bundle composition: ${bundle.topPackages.map((p) => `${p.name} ${kb(p.bytes)}`).join(", ")}`,
];
const commands = [
  "",
  "Reproduce: `npm run bench:webhook` (bench/webhook/run.ts; `BENCH_DELIVERIES=10000 BENCH_COLD_RUNS=15` are the defaults).",
  "Method and caveats: bench/README.md#webhook. Raw numbers: bench/webhook/results.json.",
];
const section = [...lines, ...commands].join("\n");
console.log(section);
writeBenchmarksSection("webhook", section);
if (warnings.length > 0)
  console.error(`\nmissed timing targets (rerun on a quiet machine):\n- ${warnings.join("\n- ")}`);
if (failures.length > 0) {
  console.error(`\nFAILED:\n- ${failures.join("\n- ")}`);
  process.exit(1);
}
