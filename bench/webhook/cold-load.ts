/**
 * Cold module load of the webhook bundle: a fresh `node` process per run imports the bundle
 * (configuration read, adapters built at module scope, as in a Lambda init) and reports how
 * long the import took; the whole process wall time is reported too.
 */
import { spawnSync } from "node:child_process";
import { pathToFileURL } from "node:url";
import { packTargets } from "../../lib/config/packaged-targets.ts";
import { parseTargetsYaml } from "../../lib/config/targets.ts";

export type ColdLoad = { runs: number; importMedianMs: number; importMinMs: number; processMedianMs: number };

const TARGETS_YAML = `version: 1
clusters:
  prod: { type: eks, name: prod }
targets:
  - { name: web, repo: acme/app, path: apps/web, cluster: prod, namespace: web }
  - { name: api, repo: acme/app, path: apps/api, cluster: prod, namespace: api }
`;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const value = sorted.length % 2 ? sorted[mid] : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
  return Math.round((value ?? Number.NaN) * 100) / 100;
}

/** The environment the webhook bundle is loaded with. */
function webhookEnv(): Record<string, string> {
  return {
    PULLBRIDGE_LOCAL_MODE: "1",
    PULLBRIDGE_QUEUE_URL: "http://127.0.0.1:9324/000000000000/jobs.fifo",
    // The packaged form serverless.yml gives the webhook (no YAML parser in the bundle).
    PULLBRIDGE_TARGETS_JSON: packTargets(parseTargetsYaml(TARGETS_YAML), "bench"),
    PULLBRIDGE_WEBHOOK_SECRET: "cold-load-secret",
  };
}

/** Spawns `runs` fresh processes that each import `bundleFile` once (with the webhook's environment unless `env` is given). */
export function measureColdLoad(
  bundleFile: string,
  runs = 15,
  env: Record<string, string> = webhookEnv(),
): ColdLoad {
  const script = `const t = performance.now(); const m = await import(${JSON.stringify(pathToFileURL(bundleFile).href)}); const ms = performance.now() - t; if (typeof m.handler !== "function") throw new Error("no handler export"); process.stderr.write(JSON.stringify({ ms }));`;
  const imports: number[] = [];
  const processes: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
      env: {
        PATH: process.env.PATH ?? "",
        AWS_REGION: "us-east-1",
        ...env,
      },
      encoding: "utf8",
    });
    processes.push(performance.now() - started);
    if (child.status !== 0) throw new Error(`bundle failed to load: ${child.stderr}`);
    imports.push((JSON.parse(child.stderr.trim().split("\n").at(-1) ?? "{}") as { ms: number }).ms);
  }
  return {
    runs,
    importMedianMs: median(imports),
    importMinMs: Math.round(Math.min(...imports) * 100) / 100,
    processMedianMs: median(processes),
  };
}
