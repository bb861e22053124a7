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
