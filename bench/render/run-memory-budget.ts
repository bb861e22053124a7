/**
 * `npm run bench:memory-budget`: does the worker's memory add up? The worker function runs two
 * processes at once during a render: Node (its V8 heap capped by NODE_OPTIONS) and the renderer
 * helper (held by the kernel to PULLBRIDGE_RENDER_MAX_MEMORY_MB). Both are measured at their
 * limits, with the settings serverless.yml gives the worker, and their sum is compared with the
 * function's memory:
 *   - Node: the worker's bundle loaded (as Lambda loads it), the heap filled to its cap, and the
 *     fetched tree and a render's output held at their limits (external memory the heap cap does
 *     not bound); peak RSS from the process itself.
 *   - The helper: adversarial charts that reach for more than the bound, and the largest
 *     legitimate render the output limit allows, through the worker's adapter; peak RSS from the
 *     kernel (wait4, test/support/peak-rss.ts).
 * Writes the "Memory budget" section of BENCHMARKS.md (BENCH_NO_WRITE=1 to only print it).
 */
import { spawnSync } from "node:child_process";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { loadWorkerEnv, NODE_OVERHEAD_MB } from "../../lib/config/worker-env.ts";
import { RenderError } from "../../lib/errors.ts";
import { createProcessRenderer } from "../../lib/render/adapters/process-renderer.ts";
import { peakRssWrapper } from "../../test/support/peak-rss.ts";
import { rendererBinDir } from "../../test/support/renderer.ts";
import { workerFunctionSettings } from "../../test/support/worker-function.ts";
import { writeBenchmarksSection } from "../benchmarks-file.ts";
import { bundleFunction } from "../webhook/bundle-webhook.ts";
import { WORKER_COLD_LOAD_ENV, WORKER_ENTRY } from "../worker/worker-bundle.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const MB = 1e6;
const mb = (bytes: number) => `${Math.round(bytes / MB)} MB`;

const fn = workerFunctionSettings();
const workerEnv = loadWorkerEnv({
  ...WORKER_COLD_LOAD_ENV,
  ...fn.environment,
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memorySize),
});
const limits = workerEnv.renderLimits;
const nodeOptions = fn.environment.NODE_OPTIONS ?? "";
const loadBefore = loadavg()[0] ?? 0;

// --- Node with its heap at the cap ---------------------------------------------------------------
const bundle = await bundleFunction(
  WORKER_ENTRY,
  join(ROOT, "node_modules", ".cache", "pullbridge-bench", "memory-budget"),
);
const fill = `
const v8 = await import("node:v8");
await import(${JSON.stringify(pathToFileURL(bundle.file).href)});
const limit = v8.getHeapStatistics().heap_size_limit;
const keep = [];
let i = 0;
while (v8.getHeapStatistics().used_heap_size < limit * 0.92) {
  const chunk = [];
  for (let j = 0; j < 1000; j++) chunk.push({ a: "s" + i + "-" + j, b: [i, j], c: { d: "x".repeat(8) + i } });
  keep.push(chunk);
  i++;
}
// External memory the heap cap does not bound, at its limits: the fetched tree's bytes, and the
// renderer's output as the adapter holds it at its peak (the chunks and their concatenation).
const external = [new Uint8Array(${workerEnv.sourceLimits.maxBytes}).fill(1), Buffer.alloc(${limits.maxOutputBytes}, 2), Buffer.alloc(${limits.maxOutputBytes}, 3)];
const s = v8.getHeapStatistics();
process.stdout.write(JSON.stringify({ heapLimit: limit, heapUsed: s.used_heap_size, maxRss: process.resourceUsage().maxRSS * 1024, external: external.length, kept: keep.length }));
`;
const nodeRuns: { heapLimit: number; heapUsed: number; maxRss: number }[] = [];
for (let run = 0; run < RUNS; run++) {
  const child = spawnSync(
    process.execPath,
    [...nodeOptions.split(" ").filter(Boolean), "--input-type=module", "-e", fill],
    {
      env: { PATH: process.env.PATH ?? "", AWS_REGION: "us-east-1", ...WORKER_COLD_LOAD_ENV },
      encoding: "utf8",
      maxBuffer: 1024 * 1024,
    },
  );
  if (child.status !== 0) throw new Error(`heap fill failed: ${child.stderr}`);
  nodeRuns.push(JSON.parse(child.stdout));
  console.error(`[bench] node at its heap cap, run ${run + 1}: ${mb(nodeRuns.at(-1)?.maxRss ?? 0)}`);
}
const nodePeak = Math.max(...nodeRuns.map((r) => r.maxRss));
const heapCapMb = Number(/--max-old-space-size=(\d+)/.exec(nodeOptions)?.[1] ?? Number.NaN);

// --- The renderer helper at its bound ------------------------------------------------------------
const wrapper = await peakRssWrapper(join(rendererBinDir(), "pullbridge-renderer"));
const renderer = createProcessRenderer({ binaryPath: wrapper.path, limits });
const encode = (text: string) => new TextEncoder().encode(text);
const CONFIG_MAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n";
const chartCases: { what: string; template: string }[] = [
  {
    what: 'one allocation: `repeat 2000000000 "x"` (the issue\'s chart)',
    template: `{{- $s := repeat 2000000000 "x" }}\n${CONFIG_MAP}  n: {{ len $s | quote }}\n`,
  },
  {
    what: "gradual growth: 1 MB strings appended to a list until the bound",
    template: `{{- $l := list }}{{- range until 2000 }}{{- $l = append $l (repeat 1000000 "y") }}{{- end }}\n${CONFIG_MAP}  n: {{ len $l | quote }}\n`,
  },
  {
    what: "exponential growth: a 1 MB string doubled 12 times",
    template: `{{- $s := repeat 1000000 "x" }}{{- range until 12 }}{{- $s = print $s $s }}{{- end }}\n${CONFIG_MAP}  n: {{ len $s | quote }}\n`,
  },
  {
    what: `the largest render the output limit allows: ${Math.floor(limits.maxOutputBytes / 65_700) - 2} ConfigMaps of 64 KiB`,
    template: `{{- range $i := until ${Math.floor(limits.maxOutputBytes / 65_700) - 2} }}\n---\n${CONFIG_MAP.replace("name: x", "name: cm-{{ $i }}")}  v: |\n    {{ repeat 21845 "<>&" }}\n{{- end }}\n`,
  },
];
const helperRows: { what: string; outcome: string; peak: number }[] = [];
for (const { what, template } of chartCases) {
  let peak = 0;
  let outcome = "";
  for (let run = 0; run < RUNS; run++) {
    const result = await renderer
      .render({
        files: new Map([
          ["charts/x/Chart.yaml", encode("apiVersion: v2\nname: x\nversion: 1.0.0\n")],
          ["charts/x/templates/t.yaml", encode(template)],
        ]),
        path: "charts/x",
        engine: "helm",
        helm: { releaseName: "r", namespace: "default", valuesFiles: [], values: {}, apiVersions: [] },
      })
      .then(
        (out) => `rendered (${mb(Buffer.byteLength(out.text))} of output)`,
        (error: unknown) => (error instanceof RenderError ? `refused: ${error.message}` : String(error)),
      );
    const last = await wrapper.lastRun();
    peak = Math.max(peak, last.peakBytes);
    outcome = result;
  }
  helperRows.push({ what, outcome, peak });
  console.error(`[bench] helper, ${what}: ${mb(peak)} (${outcome})`);
}
await wrapper.remove();
const helperPeak = Math.max(...helperRows.map((r) => r.peak));

// --- Report --------------------------------------------------------------------------------------
const total = nodePeak + helperPeak;
const functionBytes = fn.memorySize * MB;
// What Node holds beside its heap (RSS − used heap), and the worst case the limits allow at once.
const beside = Math.max(...nodeRuns.map((r) => r.maxRss - r.heapUsed));
const worst = heapCapMb * MB + beside + limits.maxMemoryBytes;
const text = [
  "## Memory budget",
  "",
  `\`npm run bench:memory-budget\` (\`bench/render/run-memory-budget.ts\`), with the worker's settings from serverless.yml:`,
  `function memory ${fn.memorySize} MB, \`NODE_OPTIONS=${nodeOptions}\`, renderer bound ${limits.maxMemoryBytes / 2 ** 20} MiB`,
  `(${mb(limits.maxMemoryBytes)}), output limit ${limits.maxOutputBytes / 2 ** 20} MiB, source limit ${workerEnv.sourceLimits.maxBytes / 2 ** 20} MiB.`,
  `Worst of ${RUNS} runs each, on this machine (${cpus().length} × ${cpus()[0]?.model.trim() ?? "?"}, load average ${loadBefore.toFixed(1)} at the start; memory figures do not depend on load).`,
  "",
  "| process, at its limit | peak RSS |",
  "| --- | ---: |",
  `| Node: the worker's bundle loaded, V8 heap filled to 92 % of its limit (${mb(nodeRuns[0]?.heapLimit ?? 0)}; V8 gives up near 95 %), the fetched tree (${workerEnv.sourceLimits.maxBytes / 2 ** 20} MiB) and a render's output (2 × ${limits.maxOutputBytes / 2 ** 20} MiB) held | ${mb(nodePeak)} |`,
  ...helperRows.map((r) => `| renderer helper, ${r.what} — ${r.outcome} | ${mb(r.peak)} |`),
  `| both at once, measured (Node's peak + the helper's highest) | ${mb(total)} of ${fn.memorySize} MB |`,
  `| **worst case the limits allow: heap cap ${heapCapMb} MB + ${mb(beside)} Node holds beside its heap + the helper's bound ${mb(limits.maxMemoryBytes)}** | **${mb(worst)}** of ${fn.memorySize} MB (${worst <= functionBytes ? "fits" : "DOES NOT FIT"}, ${mb(functionBytes - worst)} spare) |`,
  "",
  "- The helper never passes its bound: the kernel refuses it address space past its start-up mapping + the bound − what of",
  "  that mapping could still become resident (RLIMIT_AS, infra/renderer/memory_linux.go), so one huge allocation fails at",
  "  once and gradual growth stops below the bound (counting the possible, not the resident: 15–20 % under it);",
  "  the adapter reports `render of <path> exceeded 640 MiB of memory (maxMemoryBytes)` (a Go process cannot report its own",
  "  out-of-memory). Before this bound the issue's chart reached 1.8 GB against a 512 MiB limit.",
  `- Node holds ${mb(beside)} beside its heap (RSS − used heap): code, the runtime, the young generation and the external`,
  `  buffers above. The worker refuses to start when heap cap + ${NODE_OVERHEAD_MB} MB + the renderer's bound exceed the function's`,
  "  memory (lib/config/worker-env.ts `checkMemoryBudget`), so the three numbers in serverless.yml cannot drift apart.",
  "- Rendering memory grows with the output, and the helper's collector works harder near the bound (Go's soft limit at",
  "  80 %): 32 MiB of output in 64 KiB documents stays near 280 MB, one document of 16 MiB needs ≈ 560 MB (Helm copies",
  "  and parses each document whole), Kustomize over 18 MB of large CRDs more than the bound. What does not fit is",
  "  refused by name, never by the Lambda running out of memory.",
].join("\n");
console.log(text);
if (process.env.BENCH_NO_WRITE) console.error("[bench] BENCH_NO_WRITE set: BENCHMARKS.md not written");
else writeBenchmarksSection("memory-budget", text, join(ROOT, "BENCHMARKS.md"));
if (worst > functionBytes || beside > NODE_OVERHEAD_MB * MB) process.exitCode = 1;
