import { describe, expect, it } from "vitest";
import { checkMemoryBudget, loadWorkerEnv, NODE_OVERHEAD_MB } from "../../../lib/config/worker-env.ts";
import { ConfigError } from "../../../lib/errors.ts";
import { DEFAULT_RENDER_LIMITS } from "../../../lib/render/renderer-port.ts";

const TARGETS =
  "version: 1\nclusters:\n  c: { type: eks, name: c }\ntargets:\n  - { name: web, repo: acme/app, path: apps/web, cluster: c, namespace: web }\n";

describe("the worker's memory budget", () => {
  it("reads the renderer's bound in MiB, the default otherwise", () => {
    // Act
    const configured = loadWorkerEnv({
      PULLBRIDGE_TARGETS_YAML: TARGETS,
      PULLBRIDGE_RENDER_MAX_MEMORY_MB: "300",
    });
    const defaulted = loadWorkerEnv({ PULLBRIDGE_TARGETS_YAML: TARGETS });

    // Assess
    expect(configured.renderLimits).toEqual({ ...DEFAULT_RENDER_LIMITS, maxMemoryBytes: 300 * 2 ** 20 });
    expect(defaulted.renderLimits).toEqual(DEFAULT_RENDER_LIMITS);
  });

  it("refuses to start when Node's heap cap, what Node holds beside it and the renderer's bound exceed the function's memory", () => {
    // Prepare
    const env = {
      PULLBRIDGE_TARGETS_YAML: TARGETS,
      NODE_OPTIONS: "--enable-source-maps --max-old-space-size=768",
      PULLBRIDGE_RENDER_MAX_MEMORY_MB: "512",
    };

    // Act
    const tooSmall = () => loadWorkerEnv({ ...env, AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "1024" });
    const enough = () => loadWorkerEnv({ ...env, AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "1536" });

    // Assess
    expect(tooSmall).toThrow(ConfigError);
    expect(tooSmall).toThrow(
      `PULLBRIDGE_RENDER_MAX_MEMORY_MB: 512 MiB for the renderer + Node's heap cap of 768 MB (NODE_OPTIONS --max-old-space-size) + ${NODE_OVERHEAD_MB} MB Node holds beside its heap = ${Math.ceil(768 + NODE_OVERHEAD_MB + 536.870912)} MB, above the function's 1024 MB`,
    );
    expect(enough).not.toThrow();
  });

  it("checks only where the function's memory and the heap cap are both known (on Lambda)", () => {
    // Act / Assess
    expect(() =>
      checkMemoryBudget({
        functionMemoryMb: undefined,
        nodeOptions: "--max-old-space-size=4096",
        renderMaxMemoryBytes: 2 ** 30,
      }),
    ).not.toThrow();
    expect(() =>
      checkMemoryBudget({
        functionMemoryMb: 128,
        nodeOptions: "--enable-source-maps",
        renderMaxMemoryBytes: 2 ** 30,
      }),
    ).not.toThrow();
  });
});
