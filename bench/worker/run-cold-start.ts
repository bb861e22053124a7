/**
 * `npm run bench:worker-cold`: the worker function's bundle (size, files, composition) and its
 * cold module load, measured as the webhook's (fresh `node` per run, median), without the
 * end-to-end part of `npm run bench:worker`. Prints Markdown; the cold-start section of
 * BENCHMARKS.md is written by hand from it (with the machine's load at the time).
 */
import { loadavg } from "node:os";
import { join } from "node:path";
import { bundleFunction, FORBIDDEN_PACKAGE } from "../webhook/bundle-webhook.ts";
import { measureColdLoad } from "../webhook/cold-load.ts";
import { WORKER_COLD_LOAD_ENV, WORKER_ENTRY } from "./worker-bundle.ts";

const BUNDLE_TARGET_BYTES = 1024 * 1024;
const COLD_LOAD_TARGET_MS = 150;
// Inside node_modules so the bundle's external `@aws-sdk/*` imports resolve as they do in Lambda.
const outDir = join("node_modules", ".cache", "pullbridge-bench", "worker-cold");
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const mark = (ok: boolean) => (ok ? "✅" : "❌");

const loadBefore = loadavg().map((x) => x.toFixed(2));
const bundle = await bundleFunction(WORKER_ENTRY, outDir);
const cold = measureColdLoad(bundle.file, Number(process.env.BENCH_COLD_RUNS ?? 15), WORKER_COLD_LOAD_ENV);
const loadAfter = loadavg().map((x) => x.toFixed(2));

console.log(
  [
    `Load average (1/5/15 min) before ${loadBefore.join(" / ")}, after ${loadAfter.join(" / ")}; ${new Date().toISOString()}`,
    "",
    "| measure | result | goal |",
    "|---|---|---|",
    `| worker bundle, all files | ${kb(bundle.bytes)} (${kb(bundle.gzipBytes)} gzip; entry ${kb(bundle.files.find((f) => f.name === "handler.mjs")?.bytes ?? 0)}) | ${mark(bundle.bytes <= BUNDLE_TARGET_BYTES)} ≤ 1 MB |`,
    `| \`${FORBIDDEN_PACKAGE}\` in bundle | ${bundle.forbiddenInputs.length === 0 ? "absent" : `${bundle.forbiddenInputs.length} files`} | — |`,
    `| cold module load, median of ${cold.runs} fresh processes (min ${cold.importMinMs} ms) | ${cold.importMedianMs} ms (process ${cold.processMedianMs} ms) | ${mark(cold.importMedianMs <= COLD_LOAD_TARGET_MS)} ≤ ${COLD_LOAD_TARGET_MS} ms |`,
    "",
    `Files: ${bundle.files.map((f) => `${f.name} ${kb(f.bytes)}`).join(", ")}`,
    "",
    `Composition: ${bundle.topPackages.map((p) => `${p.name} ${kb(p.bytes)}`).join(", ")}`,
  ].join("\n"),
);
