/**
 * The adapter's own bounds, with real child processes standing in for a wedged or runaway
 * helper (the helper's own limits are tested against the real binary in integration).
 */
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RenderError } from "../../../../lib/errors.ts";
import { createProcessRenderer } from "../../../../lib/render/adapters/process-renderer.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pullbridge-fake-renderer-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function script(name: string, body: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, `#!/bin/sh\n${body}\n`);
  await chmod(path, 0o755);
  return path;
}

const request = {
  files: new Map([["a/kustomization.yaml", new Uint8Array()]]),
  path: "a",
  engine: "kustomize" as const,
};

async function failure(promise: Promise<unknown>): Promise<RenderError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RenderError);
  return error as RenderError;
}

describe("createProcessRenderer", () => {
  it("kills a helper that never answers, past its deadline", async () => {
    // Prepare
    const renderer = createProcessRenderer({
      binaryPath: await script("hang", "exec /bin/sleep 60"),
      limits: { timeoutMs: 100 },
    });

    // Act
    const error = await failure(renderer.render(request));

    // Assess
    expect(error.code).toBe("timeout");
    expect(error.retryable).toBe(false);
  });

  it("kills a helper whose output runs past the cap", async () => {
    // Prepare
    const renderer = createProcessRenderer({
      binaryPath: await script("flood", "exec /usr/bin/yes"),
      limits: { maxOutputBytes: 1024 },
    });

    // Act
    const error = await failure(renderer.render(request));

    // Assess
    expect(error.code).toBe("output-too-large");
  });

  it("kills the helper on abort", async () => {
    // Prepare
    const renderer = createProcessRenderer({ binaryPath: await script("slow", "exec /bin/sleep 60") });
    const abort = new AbortController();

    // Act
    const pending = failure(renderer.render({ ...request, signal: abort.signal }));
    abort.abort();
    const error = await pending;

    // Assess
    expect(error.code).toBe("timeout");
    expect(error.message).toContain("aborted");
  });

  it("passes on the helper's classified error with its file", async () => {
    // Prepare
    const answer = JSON.stringify({
      renderer: "kustomize test",
      objects: [],
      notes: [],
      inputs: [],
      error: {
        code: "remote",
        file: "a/kustomization.yaml",
        message: "a/kustomization.yaml: remote resource refused",
      },
    });
    const renderer = createProcessRenderer({
      binaryPath: await script("refuse", `/bin/cat >/dev/null; echo '${answer}'; exit 1`),
    });

    // Act
    const error = await failure(renderer.render(request));

    // Assess
    expect(error).toMatchObject({ code: "remote", file: "a/kustomization.yaml" });
  });

  it("takes the text after the header line as it is, counting the output limit on the text itself", async () => {
    // Prepare: 1,000 bytes of `<>&`, which JSON escaping would have made 6,000.
    const text = `${"<>&".repeat(333)}\n`;
    const header = JSON.stringify({
      renderer: "helm test",
      objects: [
        { start: 0, end: 600, source: { file: "a/one.yaml" } },
        { start: 600, end: 1000, source: { file: "a/two.yaml" } },
      ],
      notes: [],
      inputs: ["a/kustomization.yaml"],
      textBytes: text.length,
    });
    const binaryPath = await script("answer", `/bin/cat >/dev/null; printf '%s\\n%s' '${header}' '${text}'`);

    // Act
    const exact = await createProcessRenderer({ binaryPath, limits: { maxOutputBytes: 1000 } }).render(
      request,
    );
    const over = await failure(
      createProcessRenderer({ binaryPath, limits: { maxOutputBytes: 999 } }).render(request),
    );

    // Assess
    expect(exact.text).toBe(text);
    expect(exact.objects.map((o) => o.yaml)).toEqual([text.slice(0, 600), text.slice(600)]);
    expect(exact.objects.map((o) => o.source.file)).toEqual(["a/one.yaml", "a/two.yaml"]);
    expect(over.code).toBe("output-too-large");
  });

  it("names the memory bound when the helper dies of it, in one line without the Go stack trace", async () => {
    // Prepare: what the Go runtime prints when the kernel refuses it more memory.
    const renderer = createProcessRenderer({
      binaryPath: await script(
        "oom",
        [
          "/bin/cat >/dev/null",
          "echo 'runtime: out of memory: cannot allocate 4194304-byte block (502956032 in use)' >&2",
          "echo 'fatal error: out of memory' >&2",
          "echo '' >&2",
          "echo 'goroutine 1 gp=0x1 m=0 mp=0x2 [running]:' >&2",
          "echo 'runtime.throw({0x1b38b1e?, 0x1?})' >&2",
          "exit 2",
        ].join("\n"),
      ),
      limits: { maxMemoryBytes: 512 * 1024 * 1024 },
    });

    // Act
    const error = await failure(renderer.render(request));

    // Assess
    expect(error.code).toBe("memory");
    expect(error.message).toBe("render of a exceeded 512 MiB of memory (maxMemoryBytes)");
    expect(error.file).toBe("a");
  });

  it("a helper that dies otherwise is named by the first line it printed, not its stack trace", async () => {
    // Prepare
    const renderer = createProcessRenderer({
      binaryPath: await script(
        "panic",
        "/bin/cat >/dev/null\necho 'panic: boom' >&2\necho '' >&2\necho 'goroutine 1 [running]:' >&2\nexit 2",
      ),
    });

    // Act
    const error = await failure(renderer.render(request));

    // Assess
    expect(error.code).toBe("crash");
    expect(error.message).toBe("the renderer exited with code 2 rendering a: panic: boom");
  });

  it("passes the memory bound as an argument, so it holds before the request is read", async () => {
    // Prepare
    const renderer = createProcessRenderer({
      binaryPath: await script("args", `/bin/cat >/dev/null; echo "$@" >&2; exit 3`),
      limits: { maxMemoryBytes: 1234 },
    });

    // Act
    const error = await failure(renderer.render(request));

    // Assess
    expect(error.message).toContain("--max-memory-bytes=1234");
  });

  it("a missing helper is a permanent error naming it", async () => {
    // Prepare
    const renderer = createProcessRenderer({ binaryPath: join(dir, "not-there") });

    // Act
    const error = await failure(renderer.render(request));

    // Assess
    expect(error.code).toBe("crash");
    expect(error.message).toContain("not-there");
  });
});
