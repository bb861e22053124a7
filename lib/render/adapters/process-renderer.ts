/**
 * The renderer adapter: runs the `pullbridge-renderer` Go helper as a child process, one per
 * render, with the tree on stdin and, on stdout, a JSON header line followed by the rendered text
 * itself (unescaped, so the output limit measures the text). Bounded: the helper enforces the
 * time and output limits with named errors and holds a hard memory bound (the kernel refuses it
 * address space past it, infra/renderer/memory_linux.go); this side names the memory bound when
 * the helper dies of it (a Go process cannot report its own out-of-memory) and kills it past the
 * deadline (plus a grace), past the output cap or on abort, so a wedged helper cannot hold the Lambda.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { RenderError, type RenderFailureCode } from "../../errors.ts";
import {
  DEFAULT_RENDER_LIMITS,
  type ProbeResult,
  type RenderedObject,
  type Renderer,
  type RenderLimits,
  type RenderOutput,
  type RenderRequest,
} from "../renderer-port.ts";

export type ProcessRendererOptions = {
  /** Path of the helper binary for this platform. */
  binaryPath: string;
  limits?: Partial<RenderLimits>;
};

/** Time the helper gets past its own timeout to report it before it is killed. */
const KILL_GRACE_MS = 2_000;
/** The header line (object spans and sources, inputs, notes) is small; this caps a runaway one. */
const MAX_HEADER_BYTES = 16 * 1024 * 1024;
/** How the Go runtime says a mapping was refused (its RLIMIT_AS reached): `fatal error: out of memory`, `runtime: cannot allocate memory`. */
const OUT_OF_MEMORY = /out of memory|cannot allocate memory|cannot map pages/;

type HelperHeader = {
  renderer: string;
  objects: Array<{ start: number; end: number; source: RenderedObject["source"] }>;
  /** Absent from a helper built before hooks were returned. */
  hooks?: RenderedObject[];
  notes: string[];
  inputs: string[];
  /** Absent from helpers built before directory reads were reported. */
  listed?: string[];
  probed?: Record<string, ProbeResult>;
  textBytes: number;
  error?: { code: RenderFailureCode; file?: string; message: string };
};

/** `640 MiB` for a whole number of MiB, else bytes. */
function formatBytes(bytes: number): string {
  const mib = bytes / 2 ** 20;
  return Number.isInteger(mib) ? `${mib} MiB` : `${bytes} bytes`;
}

/** A Renderer backed by the Go helper binary. */
export function createProcessRenderer(options: ProcessRendererOptions): Renderer {
  const limits = { ...DEFAULT_RENDER_LIMITS, ...options.limits };
  let identity: Promise<string> | undefined;
  return {
    identity() {
      identity ??= digestFile(options.binaryPath);
      return identity;
    },
    async render(request: RenderRequest): Promise<RenderOutput> {
      const body = JSON.stringify({
        files: Object.fromEntries(
          [...request.files].map(([path, bytes]) => [path, Buffer.from(bytes).toString("base64")]),
        ),
        links: Object.fromEntries((request.files.followed ?? []).map((link) => [link.path, link.target])),
        path: request.path,
        mode: request.engine,
        helm: request.helm,
        maxOutputBytes: limits.maxOutputBytes,
        timeoutMs: limits.timeoutMs,
      });
      const { header: line, text } = await runHelper(options.binaryPath, body, limits, request);
      let header: HelperHeader;
      try {
        header = JSON.parse(line.toString("utf8")) as HelperHeader;
      } catch (cause) {
        throw new RenderError("crash", `the renderer for ${request.path} wrote no valid response`, { cause });
      }
      if (header.error) {
        const { code, file, message } = header.error;
        throw new RenderError(code, message, { file: file || undefined });
      }
      if (text.length !== header.textBytes) {
        throw new RenderError(
          "crash",
          `the renderer for ${request.path} announced ${header.textBytes} bytes of output and wrote ${text.length}`,
        );
      }
      return {
        renderer: header.renderer,
        text: text.toString("utf8"),
        objects: header.objects.map((o) => ({
          yaml: text.subarray(o.start, o.end).toString("utf8"),
          source: o.source,
        })),
        hooks: header.hooks ?? [],
        notes: header.notes,
        inputs: header.inputs,
        listed: header.listed,
        probed: header.probed,
      };
    },
  };
}

/** `sha256:<hex>` of a file's content, streamed. */
function digestFile(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash("sha256");
    createReadStream(path)
      .on("data", (chunk) => hash.update(chunk))
      .on("error", (cause) =>
        reject(new RenderError("crash", `cannot read the renderer ${path}: ${cause.message}`, { cause })),
      )
      .on("end", () => resolve(`sha256:${hash.digest("hex")}`));
  });
}

/** Runs the helper; resolves with its header line and the text after it, or rejects with a RenderError. */
function runHelper(
  binary: string,
  body: string,
  limits: RenderLimits,
  request: RenderRequest,
): Promise<{ header: Buffer; text: Buffer }> {
  return new Promise((resolve, reject) => {
    // An empty environment: no PATH (no `git`, no `helm`), no HOME, no credentials of the worker.
    // The memory bound is an argument: the helper must hold it before it reads the request.
    const child = spawn(binary, [`--max-memory-bytes=${limits.maxMemoryBytes}`], {
      env: { GOMAXPROCS: "2" },
      stdio: ["pipe", "pipe", "pipe"],
    });
    const header: Buffer[] = [];
    let headerBytes = 0;
    let inText = false;
    const text: Buffer[] = [];
    let textBytes = 0;
    let stderr = "";
    let failure: RenderError | undefined;
    const kill = (error: RenderError) => {
      failure ??= error;
      child.kill("SIGKILL");
    };
    const tooLarge = () =>
      kill(
        new RenderError(
          "output-too-large",
          `rendered output of ${request.path} exceeds ${limits.maxOutputBytes} bytes (maxOutputBytes)`,
          { file: request.path },
        ),
      );
    const timer = setTimeout(
      () =>
        kill(
          new RenderError(
            "timeout",
            `rendering ${request.path} took longer than ${limits.timeoutMs} ms (timeoutMs)`,
            { file: request.path },
          ),
        ),
      limits.timeoutMs + KILL_GRACE_MS,
    );
    const onAbort = () =>
      kill(new RenderError("timeout", `rendering ${request.path} was aborted`, { file: request.path }));
    request.signal?.addEventListener("abort", onAbort, { once: true });
    if (request.signal?.aborted) onAbort();

    child.stdout.on("data", (chunk: Buffer) => {
      if (failure) return;
      let rest = chunk;
      if (!inText) {
        const newline = rest.indexOf(10);
        const part = newline === -1 ? rest : rest.subarray(0, newline);
        headerBytes += part.length;
        if (headerBytes > MAX_HEADER_BYTES) return tooLarge();
        header.push(part);
        if (newline === -1) return;
        inText = true;
        rest = rest.subarray(newline + 1);
      }
      // The text is counted exactly: the limit is on what `kustomize build` / `helm template` print.
      textBytes += rest.length;
      if (textBytes > limits.maxOutputBytes) return tooLarge();
      if (rest.length > 0) text.push(rest);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      if (stderr.length < 16_384) stderr += chunk.toString("utf8");
    });
    child.stdin.on("error", () => {
      // The helper exits early on a refusal before reading everything: its answer says why.
    });
    child.on("error", (cause) => {
      failure ??= new RenderError("crash", `cannot start the renderer ${binary}: ${cause.message}`, {
        cause,
      });
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      request.signal?.removeEventListener("abort", onAbort);
      if (failure) {
        reject(failure);
        return;
      }
      if (!inText) {
        reject(crashed(request, limits, { code, signal, stderr }));
        return;
      }
      resolve({ header: Buffer.concat(header), text: Buffer.concat(text, textBytes) });
    });
    child.stdin.end(body);
  });
}

/**
 * Why a helper that wrote no answer died, in one line. Running out of its memory bound is named
 * as such; anything else quotes the first line of what it printed (never a Go stack trace: it
 * ends up in a commit status).
 */
function crashed(
  request: RenderRequest,
  limits: RenderLimits,
  exit: { code: number | null; signal: NodeJS.Signals | null; stderr: string },
): RenderError {
  if (OUT_OF_MEMORY.test(exit.stderr)) {
    return new RenderError(
      "memory",
      `render of ${request.path} exceeded ${formatBytes(limits.maxMemoryBytes)} of memory (maxMemoryBytes)`,
      { file: request.path },
    );
  }
  const why = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
  const first = exit.stderr
    .split("\n")
    .map((line) => line.trim())
    .find((line) => line !== "");
  return new RenderError(
    "crash",
    `the renderer ${why} rendering ${request.path}${first ? `: ${first.slice(0, 300)}` : ""}`,
    { file: request.path },
  );
}
