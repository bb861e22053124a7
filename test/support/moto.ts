/**
 * moto (PyPI) in server mode: one real AWS-protocol endpoint for S3, STS, KMS and CloudWatch,
 * installed once into a cached venv by `test/support/moto/install-moto.sh` (the script `.ci/run`
 * runs too) and started on a free loopback port under the control plane's supervisor, so a
 * crashed or killed run leaves no `moto` behind. The vitest global setups start it once per run
 * (`acquireSharedMoto`); local mode starts its own (`startMoto`).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

/** moto accepts any credentials; tests and local mode sign with these fixed dummy ones. */
export const MOTO_CREDENTIALS = { accessKeyId: "test", secretAccessKey: "test" } as const;
/** The region every test and local-mode client uses against moto. */
export const MOTO_REGION = "us-east-1";

export type MotoInstall =
  | { kind: "installed"; binDir: string }
  /** Python 3 (with venv) is missing: the script's own words say what to install. */
  | { kind: "unavailable"; reason: string };

/**
 * Installs moto the first time (about two minutes; the script prints progress on stderr, which
 * `onProgress` receives line by line — default: this process's stderr) and returns its venv.
 */
export async function ensureMoto(
  options: { onProgress?: (line: string) => void; check?: boolean } = {},
): Promise<MotoInstall> {
  const script = join(here, "moto", "install-moto.sh");
  const child = spawn("bash", [script, ...(options.check ? ["--check"] : [])], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    const text = chunk.toString();
    err += text;
    if (options.onProgress) for (const line of text.split("\n").filter(Boolean)) options.onProgress(line);
    else process.stderr.write(text);
  });
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  if (code === 0) return { kind: "installed", binDir: out.trim().split("\n").at(-1) ?? "" };
  if (code === 3) return { kind: "unavailable", reason: "moto is not installed yet" };
  const reason =
    err
      .trim()
      .split("\n")
      .at(-1)
      ?.replace(/^\[moto\] /, "") ?? `exit ${code}`;
  if (code === 4) return { kind: "unavailable", reason };
  throw new Error(`installing moto failed (exit ${code}): ${reason}`);
}

export type MotoServer = {
  /** `http://127.0.0.1:<port>`: the endpoint of every AWS client pointed at moto. */
  endpoint: string;
  stop(): Promise<void>;
};

/** Starts moto from `binDir` (see `ensureMoto`); resolves once it listens. */
export async function startMoto(options: { binDir: string; readyTimeoutMs?: number }): Promise<MotoServer> {
  const dir = await mkdtemp(join(tmpdir(), "pullbridge-moto-"));
  const log = join(dir, "moto.log");
  const child: ChildProcess = spawn(
    join(here, "control-plane", "supervise.sh"),
    [String(process.pid), join(options.binDir, "python"), join(here, "moto", "moto-server.py"), "127.0.0.1"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  child.stderr?.pipe(createWriteStream(log, { flags: "a" }));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.kill("SIGTERM");
      await exited;
    }
    if (!process.env.PULLBRIDGE_KEEP_CONTROL_PLANE_DIR) await rm(dir, { recursive: true, force: true });
  };
  try {
    const endpoint = await new Promise<string>((resolve, reject) => {
      let out = "";
      const timer = setTimeout(
        () => reject(new Error("moto did not start listening")),
        options.readyTimeoutMs ?? 60_000,
      );
      child.stdout?.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        const match = /moto listening on (http:\/\/\S+)/.exec(out);
        if (match?.[1]) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`moto exited (code ${code}) before it listened`));
      });
    });
    child.stdout?.resume();
    return { endpoint, stop };
  } catch (error) {
    const tail = (await readFile(log, "utf8").catch(() => "(no log)")).split("\n").slice(-20).join("\n");
    await stop();
    throw new Error(`${error instanceof Error ? error.message : String(error)}. Last log lines:\n${tail}`);
  }
}

type Shared = { users: number; server: Promise<MotoServer> };
const SHARED = Symbol.for("pullbridge.test.moto");

/**
 * The run's one moto: the integration and rolling global setups run in the same vitest process
 * (each in its own module graph, hence `globalThis`), and the last `release` stops it.
 */
export async function acquireSharedMoto(): Promise<{ endpoint: string; release(): Promise<void> }> {
  const holder = globalThis as { [SHARED]?: Shared };
  const shared: Shared = holder[SHARED] ?? {
    users: 0,
    server: (async () => {
      const install = await ensureMoto();
      if (install.kind !== "installed") {
        throw new Error(
          `moto is needed by the integration tests and cannot be installed: ${install.reason} (then re-run; \`bash .ci/run\` installs everything)`,
        );
      }
      const started = Date.now();
      const server = await startMoto({ binDir: install.binDir });
      console.error(`[moto] ${server.endpoint} ready in ${Date.now() - started} ms`);
      return server;
    })(),
  };
  holder[SHARED] = shared;
  shared.users += 1;
  let server: MotoServer;
  try {
    server = await shared.server;
  } catch (error) {
    shared.users -= 1;
    if (holder[SHARED] === shared) delete holder[SHARED];
    throw error;
  }
  let released = false;
  return {
    endpoint: server.endpoint,
    async release() {
      if (released) return;
      released = true;
      shared.users -= 1;
      if (shared.users > 0) return;
      if (holder[SHARED] === shared) delete holder[SHARED];
      await server.stop();
    },
  };
}
