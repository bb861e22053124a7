/**
 * The layering rules live in biome.json as folder globs: code under `lib/` does no I/O and imports
 * no SDK unless it sits in an `adapters/` folder, and `lib/app` never imports an adapter. This test
 * runs the real biome binary with the repository's configuration over probe files placed where
 * real files would be, so a glob that stops matching (a renamed folder, an edited override) fails.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = new URL("../../", import.meta.url);
const biomeBin = new URL("node_modules/.bin/biome", root).pathname;

const IO_IMPORT = 'import { readFileSync } from "node:fs";\n\nexport const probe = readFileSync;\n';
const SDK_IMPORT = 'import { SQSClient } from "@aws-sdk/client-sqs";\n\nexport const probe = SQSClient;\n';
const ADAPTER_IMPORT =
  'import { createSqsJobQueue } from "../jobs/adapters/sqs-job-queue.ts";\n\nexport const probe = createSqsJobQueue;\n';
const PORT_IMPORT =
  'import type { JobQueue } from "../jobs/job-queue.ts";\n\nexport type Probe = JobQueue;\n';

const probes: Record<string, string> = {
  "lib/sync/io-probe.ts": IO_IMPORT,
  "lib/render/sdk-probe.ts": SDK_IMPORT,
  "lib/source/adapters/io-probe.ts": IO_IMPORT,
  "lib/jobs/adapters/sdk-probe.ts": SDK_IMPORT,
  "lib/app/adapter-probe.ts": ADAPTER_IMPORT,
  "lib/app/port-probe.ts": PORT_IMPORT,
};

let dir = "";
let flagged = new Set<string>();

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "pullbridge-arch-"));
  const config = JSON.parse(readFileSync(new URL("biome.json", root), "utf8")) as Record<string, unknown>;
  delete config.$schema;
  writeFileSync(path.join(dir, "biome.json"), JSON.stringify(config));
  for (const [file, text] of Object.entries(probes)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
  let out: string;
  try {
    out = execFileSync(biomeBin, ["lint", "--vcs-enabled=false", "--reporter=json", "."], {
      cwd: dir,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
  } catch (error) {
    // biome exits 1 when it reports errors; its JSON report is still on stdout.
    out = String((error as { stdout?: string }).stdout ?? "");
  }
  const report = JSON.parse(out) as {
    diagnostics: { category: string; location?: { path?: string | { file?: string } } }[];
  };
  flagged = new Set(
    report.diagnostics
      .filter((d) => d.category === "lint/style/noRestrictedImports")
      .map((d) => (typeof d.location?.path === "string" ? d.location.path : (d.location?.path?.file ?? ""))),
  );
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("architecture lint configuration", () => {
  it("refuses I/O modules and SDKs in pure lib/ code outside adapters/ folders", () => {
    expect(flagged.has("lib/sync/io-probe.ts")).toBe(true);
    expect(flagged.has("lib/render/sdk-probe.ts")).toBe(true);
  });

  it("allows I/O modules and SDKs in adapters/ folders", () => {
    expect(flagged.has("lib/source/adapters/io-probe.ts")).toBe(false);
    expect(flagged.has("lib/jobs/adapters/sdk-probe.ts")).toBe(false);
  });

  it("keeps lib/app on ports: importing an adapter is refused, a port is not", () => {
    expect(flagged.has("lib/app/adapter-probe.ts")).toBe(true);
    expect(flagged.has("lib/app/port-probe.ts")).toBe(false);
  });
});
