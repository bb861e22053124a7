/**
 * Measures a child process's peak resident memory exactly: a wrapper executable that runs the
 * real binary with the same arguments, environment and standard streams, waits for it with
 * wait4(2) and records its `ru_maxrss` (the kernel's own high-water mark, which polling /proc
 * can miss between two reads). The adapter under test spawns the wrapper as it would the binary,
 * so the binary runs exactly as in production (if the adapter kills the wrapper, the binary dies
 * with it and that run has no record). Python's `os.wait4` is the one portable way to read a
 * child's rusage (Node has none); Python is a CI prerequisite already (.ci/run).
 */
import { execFileSync } from "node:child_process";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export type PeakRssWrapper = {
  /** The executable to run instead of the binary. */
  path: string;
  /** Peak RSS in bytes and how the binary ended, of the last run. */
  lastRun(): Promise<{ peakBytes: number; exit: string }>;
  remove(): Promise<void>;
};

/** A wrapper around `binary` that records each run's peak RSS. */
export async function peakRssWrapper(binary: string): Promise<PeakRssWrapper> {
  const dir = await mkdtemp(join(tmpdir(), "pullbridge-peak-rss-"));
  const report = join(dir, "last-run");
  const python = execFileSync("python3", ["-c", "import sys; print(sys.executable)"], {
    encoding: "utf8",
  }).trim();
  const path = join(dir, "wrapped");
  await writeFile(
    path,
    [
      `#!${python}`,
      "import ctypes, os, signal, sys",
      `binary, report = ${JSON.stringify(binary)}, ${JSON.stringify(report)}`,
      "if os.path.exists(report):",
      "    os.remove(report)",
      "pid = os.fork()",
      "if pid == 0:",
      "    # Killed with the wrapper (the adapter's SIGKILL reaches only the wrapper): PR_SET_PDEATHSIG.",
      "    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)",
      "    os.execv(binary, [binary] + sys.argv[1:])",
      "while True:",
      "    try:",
      "        _, status, usage = os.wait4(pid, 0)",
      "        break",
      "    except InterruptedError:",
      "        continue",
      "exit = f'signal {os.WTERMSIG(status)}' if os.WIFSIGNALED(status) else f'code {os.WEXITSTATUS(status)}'",
      "with open(report, 'w') as out:",
      "    out.write(f'{usage.ru_maxrss * 1024} {exit}')",
      "if os.WIFSIGNALED(status):",
      "    signal.signal(os.WTERMSIG(status), signal.SIG_DFL)",
      "    os.kill(os.getpid(), os.WTERMSIG(status))",
      "sys.exit(os.WEXITSTATUS(status))",
      "",
    ].join("\n"),
  );
  await chmod(path, 0o755);
  return {
    path,
    async lastRun() {
      const [peak = "0", ...exit] = (await readFile(report, "utf8")).split(" ");
      return { peakBytes: Number(peak), exit: exit.join(" ") };
    },
    async remove() {
      await rm(dir, { recursive: true, force: true });
    },
  };
}
