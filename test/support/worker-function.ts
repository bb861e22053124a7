/**
 * The worker function as serverless.yml deploys it: its memory size and the literal values of its
 * environment (references such as `${param:…}` and `!Ref` are left out), so tests and benchmarks
 * run the worker's parts with the settings Lambda gives them.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "..", "..");

export type WorkerFunctionSettings = {
  /** `functions.worker.memorySize`, in MB. */
  memorySize: number;
  /** `functions.worker.environment` entries with literal values (NODE_OPTIONS, PULLBRIDGE_RENDER_MAX_MEMORY_MB, …). */
  environment: Record<string, string>;
};

/** Reads the worker's memory size and literal environment from serverless.yml. */
export function workerFunctionSettings(): WorkerFunctionSettings {
  const lines = readFileSync(join(ROOT, "serverless.yml"), "utf8").split("\n");
  const start = lines.indexOf("  worker:");
  if (start < 0) throw new Error("serverless.yml: no functions.worker");
  let memorySize: number | undefined;
  const environment: Record<string, string> = {};
  let inEnvironment = false;
  for (const line of lines.slice(start + 1)) {
    if (/^ {2}\S/.test(line)) break;
    const memory = /^ {4}memorySize:\s*(\d+)\s*$/.exec(line);
    if (memory?.[1]) memorySize = Number(memory[1]);
    if (/^ {4}\S/.test(line)) inEnvironment = line.trim() === "environment:";
    const entry = /^ {6}([A-Z0-9_]+):\s*(.+?)\s*$/.exec(line);
    if (inEnvironment && entry?.[1] && entry[2] && !/^(\$\{|!)/.test(entry[2]))
      environment[entry[1]] = entry[2].replace(/^"(.*)"$/, "$1");
  }
  if (memorySize === undefined) throw new Error("serverless.yml: no functions.worker.memorySize");
  return { memorySize, environment };
}
