/**
 * Bundles the webhook function (esbuild, minified, ESM, node24) and checks the two hard limits:
 * total size and the absence of @kubernetes/client-node.
 *
 * Choices that keep it within 150 KB and a fast cold start (see bench/README.md):
 * - `@aws-sdk/*` is external: the nodejs24.x runtime ships SDK v3 (SQS alone, bundled with its
 *   credential chain, is ~300 KB).
 * - code splitting: the SSM / Secrets Manager providers are imported dynamically, so their SDK
 *   clients load on the first secret read instead of at every cold start.
 * - no YAML parser and no targets schema: the webhook reads the targets as the JSON `osls package`
 *   writes after validating them (lib/config/packaged-targets.ts), and validates payloads and jobs
 *   with `zod/mini` (~31 KB instead of ~100 KB of zod).
 */
import { readFile, rm } from "node:fs/promises";
import { basename, join } from "node:path";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const WEBHOOK_ENTRY = "functions/webhook/handler.ts";
export const BUNDLE_LIMIT_BYTES = 150 * 1024;
export const FORBIDDEN_PACKAGE = "@kubernetes/client-node";

/** The esbuild options the webhook is packaged with (mirror them in serverless.yml). */
const WEBHOOK_ESBUILD_OPTIONS = {
  bundle: true,
  minify: true,
  format: "esm",
  platform: "node",
  target: "node24",
  mainFields: ["module", "main"],
  splitting: true,
  external: ["@aws-sdk/*"],
  outExtension: { ".js": ".mjs" },
  legalComments: "none",
  // Same shim as serverless.yml: CommonJS dependencies inside an ESM bundle still call require().
  banner: {
    js: "import { createRequire as __pbCreateRequire } from 'node:module'; const require = __pbCreateRequire(import.meta.url);",
  },
} as const;

export type BundleReport = {
  /** The entry file (what Lambda loads). */
  file: string;
  /** Every output file, entry and lazily loaded chunks. */
  files: { name: string; bytes: number }[];
  /** Entry plus chunks: what the function ships. */
  bytes: number;
  gzipBytes: number;
  /** Largest inputs by bytes in the output. */
  topPackages: { name: string; bytes: number }[];
  forbiddenInputs: string[];
};

function packageOf(input: string): string {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
  return match?.[1] ?? "(pullbridge)";
}

/** Builds the webhook bundle into `outDir` (emptied first) and reports its size and composition. */
export function bundleWebhook(outDir: string): Promise<BundleReport> {
  return bundleFunction(WEBHOOK_ENTRY, outDir);
}

/**
 * Builds one function's handler (`entry`) with the options serverless.yml packages every function
 * with, into `outDir` (emptied first), and reports its size and composition.
 */
export async function bundleFunction(entry: string, outDir: string): Promise<BundleReport> {
  await rm(outDir, { recursive: true, force: true });
  const result = await build({
    ...WEBHOOK_ESBUILD_OPTIONS,
    mainFields: [...WEBHOOK_ESBUILD_OPTIONS.mainFields],
    external: [...WEBHOOK_ESBUILD_OPTIONS.external],
    entryPoints: { handler: entry },
    outdir: outDir,
    metafile: true,
    logLevel: "silent",
  });
  const bytesByPackage = new Map<string, number>();
  const files: { name: string; bytes: number }[] = [];
  let gzipBytes = 0;
  for (const [path, output] of Object.entries(result.metafile.outputs)) {
    if (!path.endsWith(".mjs")) continue;
    const contents = await readFile(path);
    files.push({ name: basename(path), bytes: contents.byteLength });
    gzipBytes += gzipSync(contents).byteLength;
    for (const [input, info] of Object.entries(output.inputs)) {
      const name = packageOf(input);
      bytesByPackage.set(name, (bytesByPackage.get(name) ?? 0) + info.bytesInOutput);
    }
  }
  return {
    file: join(outDir, "handler.mjs"),
    files: files.sort((a, b) => b.bytes - a.bytes),
    bytes: files.reduce((sum, f) => sum + f.bytes, 0),
    gzipBytes,
    topPackages: [...bytesByPackage.entries()]
      .map(([name, bytes]) => ({ name, bytes }))
      .sort((a, b) => b.bytes - a.bytes)
      .slice(0, 16),
    forbiddenInputs: Object.keys(result.metafile.inputs).filter((i) =>
      i.includes(`node_modules/${FORBIDDEN_PACKAGE}/`),
    ),
  };
}
