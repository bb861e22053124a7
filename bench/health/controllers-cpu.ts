/**
 * What the rolling cluster's extra processes cost: starts the light plane's binaries plus
 * controller-manager, scheduler and KWOK, stays idle for IDLE_SECONDS (default 60), and prints
 * the CPU seconds each process used (from /proc/<pid>/stat), so BENCHMARKS.md can compare the
 * controllers with kube-apiserver + etcd. Run: node bench/health/controllers-cpu.ts
 */

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { setTimeout } from "node:timers/promises";
import { ensureBinaries } from "../../test/support/control-plane/control-plane.ts";
import {
  ensureRollingBinaries,
  startRollingCluster,
} from "../../test/support/control-plane/rolling-cluster.ts";

const ticks = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim());
const idleSeconds = Number(process.env.IDLE_SECONDS ?? 60);

/** CPU seconds (user + system) of every process whose command line names `binary`. */
function cpuOf(binary: string): number {
  const pids = execFileSync("pgrep", ["-f", `${binary} `])
    .toString()
    .trim()
    .split("\n")
    .filter(Boolean);
  let total = 0;
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
      total += (Number(fields[11]) + Number(fields[12])) / ticks;
    } catch {
      // exited meanwhile
    }
  }
  return total;
}

const binDir = await ensureBinaries();
const { k8sDir, kwokDir } = await ensureRollingBinaries();
const started = Date.now();
const cluster = await startRollingCluster({ binDir, k8sDir, kwokDir });
const startMs = Date.now() - started;
const names = [`${k8sDir}/kube-controller-manager`, `${k8sDir}/kube-scheduler`, `${kwokDir}/kwok`];
const cpIdentity = `--data-dir=${cluster.dir}/etcd`;
const before = Object.fromEntries(names.map((n) => [n, cpuOf(n)]));
const apiBefore = cpuOf(`${binDir}/kube-apiserver --etcd-servers=${cluster.etcdEndpoint}`);
const etcdBefore = cpuOf(`${binDir}/etcd ${cpIdentity}`);
await setTimeout(idleSeconds * 1000);
const report: Record<string, string> = { "rolling cluster start (ms)": String(startMs) };
for (const n of names)
  report[`${n.split("/").at(-1)} CPU s / ${idleSeconds}s idle`] = (cpuOf(n) - (before[n] ?? 0)).toFixed(2);
report[`kube-apiserver CPU s / ${idleSeconds}s idle`] = (
  cpuOf(`${binDir}/kube-apiserver --etcd-servers=${cluster.etcdEndpoint}`) - apiBefore
).toFixed(2);
report[`etcd CPU s / ${idleSeconds}s idle`] = (cpuOf(`${binDir}/etcd ${cpIdentity}`) - etcdBefore).toFixed(2);
await cluster.stop();
console.log(JSON.stringify(report, null, 2));
