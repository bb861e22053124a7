/**
 * The renderer adapter: runs the `pullbridge-renderer` Go helper as a child process, one per
 * render, with the tree on stdin and the rendered objects on stdout. Bounded: the helper gets
 * the limits and enforces them with named errors; this side kills it past the deadline (plus a
 * grace), past the output cap, or on abort, so a wedged helper cannot hold the Lambda.
 */
import { spawn } from "node:child_process";
import { RenderError, type RenderFailureCode } from "../../errors.ts";
import {
  DEFAULT_RENDER_LIMITS,
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
/** The response envelope (JSON, base64-free) costs more than the YAML it carries. */
const ENVELOPE_FACTOR = 2;
const ENVELOPE_SLACK_BYTES = 1024 * 1024;

type HelperResponse = {
  renderer: string;
  objects: RenderedObject[];
  /** Absent from a helper built before hooks were returned. */
  hooks?: RenderedObject[];
  notes: string[];
  inputs: string[];
  error?: { code: RenderFailureCode; file?: string; message: string };
};

/** A Renderer backed by the Go helper binary. */
export function createProcessRenderer(options: ProcessRendererOptions): Renderer {
  const limits = { ...DEFAULT_RENDER_LIMITS, ...options.limits };
  return {
    async render(request: RenderRequest): Promise<RenderOutput> {
      const body = JSON.stringify({
        files: Object.fromEntries(
          [...request.files].map(([path, bytes]) => [path, Buffer.from(bytes).toString("base64")]),
        ),
        path: request.path,
        mode: request.engine,
        helm: request.helm,
        maxOutputBytes: limits.maxOutputBytes,
        maxMemoryBytes: limits.maxMemoryBytes,
        timeoutMs: limits.timeoutMs,
      });
      const stdout = await runHelper(options.binaryPath, body, limits, request);
      let response: HelperResponse;
      try {
        response = JSON.parse(stdout) as HelperResponse;
      } catch (cause) {
        throw new RenderError("crash", `the renderer for ${request.path} wrote no valid response`, { cause });
      }
      if (response.error) {
        const { code, file, message } = response.error;
        throw new RenderError(code, message, { file: file || undefined });
      }
      return {
        renderer: response.renderer,
        objects: response.objects,
        hooks: response.hooks ?? [],
        notes: response.notes,
        inputs: response.inputs,
      };
    },
  };
}

function runHelper(
  binary: string,
  body: string,
  limits: RenderLimits,
  request: RenderRequest,
): Promise<string> {
  const maxStdout = limits.maxOutputBytes * ENVELOPE_FACTOR + ENVELOPE_SLACK_BYTES;
  return new Promise((resolve, reject) => {
    // An empty environment: no PATH (no `git`, no `helm`), no HOME, no credentials of the worker.
    const child = spawn(binary, [], {
      env: { GOMEMLIMIT: String(Math.floor(limits.maxMemoryBytes * 0.8)), GOMAXPROCS: "2" },
      stdio: ["pipe", "pipe", "pipe"],
    });
    const chunks: Buffer[] = [];
    let size = 0;
    let stderr = "";
    let failure: RenderError | undefined;
    const kill = (error: RenderError) => {
      failure ??= error;
      child.kill("SIGKILL");
    };
    const timer = setTimeout(
      () =>
        kill(
          new RenderError(
            "timeout",
            `rendering ${request.path} took longer than ${limits.timeoutMs} ms (timeoutMs)`,
            {
              file: request.path,
            },
          ),
        ),
      limits.timeoutMs + KILL_GRACE_MS,
    );
    const onAbort = () =>
      kill(new RenderError("timeout", `rendering ${request.path} was aborted`, { file: request.path }));
    request.signal?.addEventListener("abort", onAbort, { once: true });
    if (request.signal?.aborted) onAbort();

    child.stdout.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxStdout) {
        kill(
          new RenderError(
            "output-too-large",
            `rendered output of ${request.path} exceeds ${limits.maxOutputBytes} bytes (maxOutputBytes)`,
            { file: request.path },
          ),
        );
        return;
      }
      chunks.push(chunk);
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
      const out = Buffer.concat(chunks).toString("utf8");
      if (out.trim() === "") {
        const why = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        reject(
          new RenderError(
            "crash",
            `the renderer ${why} rendering ${request.path}: ${stderr.trim().slice(0, 2000)}`,
          ),
        );
        return;
      }
      resolve(out);
    });
    child.stdin.end(body);
  });
}
