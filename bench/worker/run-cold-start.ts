/**
 * `npm run bench:worker-cold`: the worker function's bundle (size, files, composition) and its
 * cold module load, measured as the webhook's: the packaged function as Lambda loads it (the
 * `osls package` zip, `--enable-source-maps` with its source maps, the SDK from a node_modules
 * outside the task, the template's environment) interleaved with the bare esbuild bundle the
 * earlier rows measured (fresh `node` per run, median and p90), without the end-to-end part of
 * `npm run bench:worker`. Prints Markdown; the cold-start section of BENCHMARKS.md is written by
 * hand from it (with the machine's load at the time).
 */
import { loadavg } from "node:os";
import { join } from "node:path";
import { packageStack, unpackFunction } from "../lambda-package.ts";
import { bundleFunction, FORBIDDEN_PACKAGE } from "../webhook/bundle-webhook.ts";
import { type ColdLoad, measureColdLoads } from "../webhook/cold-load.ts";
import { WORKER_COLD_LOAD_ENV, WORKER_ENTRY } from "./worker-bundle.ts";

const BUNDLE_TARGET_BYTES = 1024 * 1024;
const COLD_LOAD_TARGET_MS = 150;
// Inside node_modules so the bundle's external `@aws-sdk/*` imports resolve from the repository's.
const cache = join("node_modules", ".cache", "pullbridge-bench");
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const mark = (ok: boolean) => (ok ? "✅" : "❌");
const load = (l: [number, number]) =>
  l[0] === l[1] ? l[0].toFixed(2) : `${l[0].toFixed(2)}–${l[1].toFixed(2)}`;
const figures = (c: ColdLoad) =>
  `${c.importMedianMs} / ${c.importP90Ms} ms (min ${c.importMinMs} ms; process ${c.processMedianMs} ms; load ${load(c.load)})`;

const loadBefore = loadavg().map((x) => x.toFixed(2));
const bundle = await bundleFunction(WORKER_ENTRY, join(cache, "worker-cold"));
const packaged = await unpackFunction(
  await packageStack(join(cache, "bench-worker-cold", "package")),
  "worker",
  join(cache, "bench-worker-cold", "unpacked"),
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
const loadAfter = loadavg().map((x) => x.toFixed(2));

console.log(
  [
    `Load average (1/5/15 min) before ${loadBefore.join(" / ")}, after ${loadAfter.join(" / ")}; ${new Date().toISOString()}`,
    "",
    "| measure | result | goal |",
    "|---|---|---|",
    `| worker bundle, all files | ${kb(bundle.bytes)} (${kb(bundle.gzipBytes)} gzip; entry ${kb(bundle.files.find((f) => f.name === "handler.mjs")?.bytes ?? 0)}) | ${mark(bundle.bytes <= BUNDLE_TARGET_BYTES)} ≤ 1 MB |`,
    `| \`${FORBIDDEN_PACKAGE}\` in bundle | ${bundle.forbiddenInputs.length === 0 ? "absent" : `${bundle.forbiddenInputs.length} files`} | — |`,
    `| packaged worker (\`osls package\` zip, with the renderer) | zip ${kb(packaged.zipBytes)}; its own modules ${kb(packaged.moduleBytes)} + source maps ${kb(packaged.sourceMapBytes)}; SDK from the runtime: ${packaged.sdkPackages.join(", ")} | — |`,
    `| **cold module load as Lambda loads it** (packaged, \`NODE_OPTIONS=${packaged.env.NODE_OPTIONS ?? ""}\`, runtime-path SDK, template environment), median / p90 of ${cold.runs} fresh processes | **${figures(cold)}** | ${mark(cold.importMedianMs <= COLD_LOAD_TARGET_MS)} ≤ ${COLD_LOAD_TARGET_MS} ms |`,
    `| cold module load as measured before (bare bundle, repository SDK, no Node flags), interleaved | ${figures(bare)} | not the goal's row |`,
    "",
    `Files: ${bundle.files.map((f) => `${f.name} ${kb(f.bytes)}`).join(", ")}`,
    "",
    `Composition: ${bundle.topPackages.map((p) => `${p.name} ${kb(p.bytes)}`).join(", ")}`,
  ].join("\n"),
);
