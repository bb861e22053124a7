/** CPU seconds used by the control plane's processes (Linux /proc), to show where a sync's time goes. */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";

const run = promisify(execFile);
const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** PIDs of the etcd and kube-apiserver started for `controlPlaneDir` (matched by their data/cert dirs). */
export async function controlPlanePids(controlPlaneDir: string): Promise<number[]> {
  const { stdout } = await run("pgrep", ["-f", controlPlaneDir]).catch(() => ({ stdout: "" }));
  const pids = stdout
    .split("\n")
    .map(Number)
    .filter((p) => p > 0);
  const binaries: number[] = [];
  for (const pid of pids) {
    const cmd = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
    if (/\/(etcd|kube-apiserver)\0/.test(cmd)) binaries.push(pid);
  }
  return binaries;
}

/** utime + stime of the processes, in seconds (0 where /proc is unavailable). */
export async function cpuSeconds(pids: readonly number[]): Promise<number> {
  let ticks = 0;
  for (const pid of pids) {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    ticks += Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
  }
  return ticks / TICKS_PER_SECOND;
}

/**
 * CPU seconds of this process's children that have exited and been waited for (cutime + cstime):
 * the delta around one spawned command is that command's CPU, when nothing else exits meanwhile.
 */
export async function exitedChildrenCpuSeconds(): Promise<number> {
  const stat = await readFile("/proc/self/stat", "utf8").catch(() => "");
  // cutime and cstime are fields 16 and 17.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[13] ?? 0) + Number(fields[14] ?? 0)) / TICKS_PER_SECOND;
}
