/**
 * Cold module load of a function's bundle: a fresh `node` process per run imports the handler
 * module (configuration read, adapters built at module scope, as in a Lambda init) and reports
 * how long the import took; the whole process wall time is reported too. Several subjects are
 * measured interleaved (A, B, A, B, …) so that each sees the same machine load.
 */
import { spawnSync } from "node:child_process";
import { loadavg } from "node:os";
import { pathToFileURL } from "node:url";
import { packTargets } from "../../lib/config/packaged-targets.ts";
import { parseTargetsYaml } from "../../lib/config/targets.ts";

export type ColdLoad = {
  runs: number;
  importMedianMs: number;
  importP90Ms: number;
  importMinMs: number;
  processMedianMs: number;
  /** 1-minute load average over the runs: lowest and highest seen. */
  load: [number, number];
};

/** What to load, with which environment (complete: nothing of this process's is inherited), from where. */
export type ColdLoadSubject = { file: string; env: Record<string, string>; cwd?: string };

const TARGETS_YAML = `version: 1
clusters:
  prod: { type: eks, name: prod }
targets:
  - { name: web, repo: acme/app, path: apps/web, cluster: prod, namespace: web }
  - { name: api, repo: acme/app, path: apps/api, cluster: prod, namespace: api }
`;

const round2 = (value: number) => Math.round(value * 100) / 100;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return (
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN
  );
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const value = sorted.length % 2 ? sorted[mid] : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
  return round2(value ?? Number.NaN);
}

/**
 * The environment the webhook's esbuild bundle was measured with before the packaged rows
 * existed: local mode (the secret itself, no parameter name), the packaged targets JSON inline.
 */
export function localModeWebhookEnv(): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "",
    AWS_REGION: "us-east-1",
    PULLBRIDGE_LOCAL_MODE: "1",
    PULLBRIDGE_QUEUE_URL: "http://127.0.0.1:9324/000000000000/jobs.fifo",
    PULLBRIDGE_TARGETS_JSON: packTargets(parseTargetsYaml(TARGETS_YAML), "bench"),
    PULLBRIDGE_WEBHOOK_SECRET: "cold-load-secret",
  };
}

/** Spawns `runs` fresh processes per subject, interleaved, each importing the subject's file once. */
export function measureColdLoads(subjects: readonly ColdLoadSubject[], runs = 15): ColdLoad[] {
  const samples = subjects.map(() => ({
    imports: [] as number[],
    processes: [] as number[],
    loads: [] as number[],
  }));
  for (let i = 0; i < runs; i++) {
    for (const [index, subject] of subjects.entries()) {
      const script = `const t = performance.now(); const m = await import(${JSON.stringify(pathToFileURL(subject.file).href)}); const ms = performance.now() - t; if (typeof m.handler !== "function") throw new Error("no handler export"); process.stderr.write(JSON.stringify({ ms }));`;
      const sample = samples[index];
      if (!sample) continue;
      sample.loads.push(loadavg()[0] ?? 0);
      const started = performance.now();
      const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
        env: subject.env,
        cwd: subject.cwd,
        encoding: "utf8",
      });
      sample.processes.push(performance.now() - started);
      if (child.status !== 0) throw new Error(`${subject.file} failed to load: ${child.stderr}`);
      sample.imports.push((JSON.parse(child.stderr.trim().split("\n").at(-1) ?? "{}") as { ms: number }).ms);
    }
  }
  return samples.map((s) => ({
    runs,
    importMedianMs: median(s.imports),
    importP90Ms: round2(percentile(s.imports, 90)),
    importMinMs: round2(Math.min(...s.imports)),
    processMedianMs: median(s.processes),
    load: [round2(Math.min(...s.loads)), round2(Math.max(...s.loads))],
  }));
}
