/**
 * The renderer's bounds hold as the Lambda runs it: the real helper, spawned by the real adapter
 * (lib/render/adapters/process-renderer.ts) with the limits and environment the worker function gets from
 * serverless.yml (read through the worker's own configuration, lib/config/worker-env.ts). Adversarial
 * charts of each class — one huge allocation, exponential or gradual growth, a huge list, output of any bytes
 * around its limit, a render that never ends — end either in their render or in a one-line named
 * refusal, and the helper's peak resident memory (the kernel's own high-water mark, wait4) never
 * passes its bound.
 */

import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadWorkerEnv } from "../../../lib/config/worker-env.ts";
import { RenderError } from "../../../lib/errors.ts";
import { createProcessRenderer } from "../../../lib/render/adapters/process-renderer.ts";
import type { Renderer, RenderLimits, RenderOutput } from "../../../lib/render/renderer-port.ts";
import { type PeakRssWrapper, peakRssWrapper } from "../../support/peak-rss.ts";
import { rendererBinDir } from "../../support/renderer.ts";
import { workerFunctionSettings } from "../../support/worker-function.ts";

let wrapper: PeakRssWrapper;
let limits: RenderLimits;
let renderer: Renderer;

beforeAll(async () => {
  // The worker's configuration as Lambda gives it: serverless.yml's environment and memory size.
  const fn = workerFunctionSettings();
  limits = loadWorkerEnv({
    ...fn.environment,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memorySize),
    PULLBRIDGE_TARGETS_YAML:
      "version: 1\nclusters:\n  c: { type: eks, name: c }\ntargets:\n  - { name: web, repo: acme/app, path: apps/web, cluster: c, namespace: web }\n",
  }).renderLimits;
  wrapper = await peakRssWrapper(join(rendererBinDir(), "pullbridge-renderer"));
  renderer = createProcessRenderer({ binaryPath: wrapper.path, limits });
}, 1_200_000);

afterAll(async () => {
  await wrapper?.remove();
});

const encode = (text: string) => new TextEncoder().encode(text);

/** Renders a one-template chart `charts/x` as a worker job would. */
function renderChart(template: string): Promise<RenderOutput | RenderError> {
  return renderer
    .render({
      files: new Map([
        ["charts/x/Chart.yaml", encode("apiVersion: v2\nname: x\nversion: 1.0.0\n")],
        ["charts/x/templates/t.yaml", encode(template)],
      ]),
      path: "charts/x",
      engine: "helm",
      helm: { releaseName: "r", namespace: "default", valuesFiles: [], values: {}, apiVersions: [] },
    })
    .catch((error: unknown) => {
      if (error instanceof RenderError) return error;
      throw error;
    });
}

const CONFIG_MAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n";

/** Templates that ask for more memory than the bound allows (or just under it), by class. */
const memoryAttack = fc.oneof(
  // One allocation: a soft limit lets it through whole.
  fc
    .integer({ min: 100_000_000, max: 4_000_000_000 })
    .map((n) => `{{- $s := repeat ${n} "x" }}\n${CONFIG_MAP}  n: {{ len $s | quote }}\n`),
  // Exponential growth from a small start.
  fc
    .record({ start: fc.integer({ min: 100_000, max: 5_000_000 }), rounds: fc.integer({ min: 6, max: 14 }) })
    .map(
      ({ start, rounds }) =>
        `{{- $s := repeat ${start} "x" }}{{- range until ${rounds} }}{{- $s = print $s $s }}{{- end }}\n${CONFIG_MAP}  n: {{ len $s | quote }}\n`,
    ),
  // Gradual growth: many allocations of a few MB, none large alone.
  fc
    .record({
      chunk: fc.integer({ min: 100_000, max: 5_000_000 }),
      steps: fc.integer({ min: 200, max: 5_000 }),
    })
    .map(
      ({ chunk, steps }) =>
        `{{- $l := list }}{{- range until ${steps} }}{{- $l = append $l (repeat ${chunk} "y") }}{{- end }}\n${CONFIG_MAP}  n: {{ len $l | quote }}\n`,
    ),
  // A huge list of integers.
  fc
    .integer({ min: 10_000_000, max: 400_000_000 })
    .map((n) => `{{- $l := until ${n} }}\n${CONFIG_MAP}  n: {{ len $l | quote }}\n`),
);

describe("the renderer's bounds, as the worker runs it", () => {
  it("uses the worker's limits from serverless.yml", () => {
    // Assess
    expect(limits.maxMemoryBytes).toBe(640 * 2 ** 20);
    expect(limits.maxOutputBytes).toBe(32 * 2 ** 20);
    expect(limits.timeoutMs).toBe(30_000);
  });

  it("memory: any chart either renders or is refused in one line, and the helper never passes its bound", async () => {
    await fc.assert(
      fc.asyncProperty(memoryAttack, async (template) => {
        // Act
        const result = await renderChart(template);
        const run = await wrapper.lastRun();

        // Assess
        expect(run.peakBytes).toBeGreaterThan(0);
        expect(run.peakBytes).toBeLessThanOrEqual(limits.maxMemoryBytes);
        if (result instanceof RenderError) {
          expect(result.code).toBe("memory");
          expect(result.message).toBe("render of charts/x exceeded 640 MiB of memory (maxMemoryBytes)");
        } else {
          expect(result.objects).toHaveLength(1);
        }
      }),
      { numRuns: 12 },
    );
  }, 600_000);

  it("memory: the issue's `repeat 2000000000` is refused by name, the helper stopped below its bound", async () => {
    // Act
    const result = await renderChart(
      `{{- $s := repeat 2000000000 "x" }}\n${CONFIG_MAP}  n: {{ len $s | quote }}\n`,
    );
    const run = await wrapper.lastRun();

    // Assess
    expect(result).toBeInstanceOf(RenderError);
    expect((result as RenderError).message).toBe(
      "render of charts/x exceeded 640 MiB of memory (maxMemoryBytes)",
    );
    expect((result as RenderError).message).not.toContain("goroutine");
    expect(run.peakBytes).toBeLessThanOrEqual(limits.maxMemoryBytes);
  }, 120_000);

  it("output: any text up to the limit renders, a byte more is refused; the limit counts the bytes printed", async () => {
    // Prepare: documents of 64 KiB and a last one of 3 × n bytes, of characters JSON would escape
    // (`<`, `>`, `&` were counted 6 bytes each): the text is `fixed + 3 × n` bytes.
    const documents = Math.floor(limits.maxOutputBytes / 65_700) - 2;
    const template = (n: number) =>
      `{{- range $i := until ${documents} }}\n---\n${CONFIG_MAP.replace("name: x", "name: cm-{{ $i }}")}  v: |\n    {{ repeat 21845 "<>&" }}\n{{- end }}\n---\n${CONFIG_MAP}  v: |\n    {{ repeat ${n} "<>&" }}\n`;
    const small = await renderChart(template(1));
    if (small instanceof RenderError) throw small;
    const fixed = Buffer.byteLength(small.text) - 3;
    const largest = Math.floor((limits.maxOutputBytes - fixed) / 3);

    await fc.assert(
      fc.asyncProperty(fc.integer({ min: largest - 1, max: largest + 1 }), async (n) => {
        // Act
        const result = await renderChart(template(n));
        const run = await wrapper.lastRun();

        // Assess
        const size = fixed + 3 * n;
        expect(run.peakBytes).toBeLessThanOrEqual(limits.maxMemoryBytes);
        if (size <= limits.maxOutputBytes) {
          expect(result).not.toBeInstanceOf(RenderError);
          expect(Buffer.byteLength((result as RenderOutput).text)).toBe(size);
          expect((result as RenderOutput).objects).toHaveLength(documents + 1);
        } else {
          expect(result).toBeInstanceOf(RenderError);
          expect((result as RenderError).code).toBe("output-too-large");
          expect((result as RenderError).message).toBe(
            `rendered output of charts/x is ${size} bytes, above the limit of ${limits.maxOutputBytes} bytes (maxOutputBytes)`,
          );
        }
      }),
      { numRuns: 3 },
    );
  }, 600_000);

  it("time: a render that never ends is stopped at its limit by the helper itself, with a named error", async () => {
    // Act
    const result = await renderChart(
      `{{- range $i := until 100000 }}{{- range $j := until 100000 }}{{- end }}{{- end }}\n${CONFIG_MAP}`,
    );
    const run = await wrapper.lastRun();

    // Assess
    expect(result).toBeInstanceOf(RenderError);
    expect((result as RenderError).code).toBe("timeout");
    expect((result as RenderError).message).toBe("rendering charts/x took longer than 30000 ms (timeoutMs)");
    // The helper ended on its own timer (exit code 1 with its answer), not by the adapter's kill.
    expect(run.exit).toBe("code 1");
    expect(run.peakBytes).toBeLessThanOrEqual(limits.maxMemoryBytes);
  }, 120_000);
});
