/**
 * Child process for the benchmark: one pullbridge sync, as the scoped worker identity, printing
 * a JSON line with timings, request counts and peak RSS. Runs in its own process so peak RSS
 * belongs to this sync alone.
 *
 * Input (env PULLBRIDGE_BENCH_INPUT, JSON): server, caPem, token, namespace, revision, and either
 * `total` (the simple fixture, generated in-process as the original RSS rows did) or
 * `manifestDir` (YAML files on disk, read into a tree and loaded with `loadManifests` exactly as
 * the worker loads a commit's tarball — so YAML parsing is part of the peak, as it is in Lambda).
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { createClusterClient } from "../../lib/cluster/adapters/kube-cluster-client.ts";
import { connectionFromToken } from "../../lib/cluster/adapters/kube-connection.ts";
import { targetSchema } from "../../lib/config/targets.ts";
import { manifestPolicyOf } from "../../lib/manifests/check-policy.ts";
import type { DesiredObject } from "../../lib/manifests/kube-object.ts";
import { loadManifests } from "../../lib/manifests/load-manifests.ts";
import { syncTarget } from "../../lib/sync/sync-target.ts";
import { PULLBRIDGE_VERSION } from "../../lib/sync/tooling-version.ts";
import { asDesired, generateFixture } from "./fixture.ts";

type Input = {
  server: string;
  caPem: string;
  token: string;
  namespace: string;
  revision: string;
  total?: number;
  manifestDir?: string;
  clusterScoped?: boolean;
};

const mb = (bytes: number) => bytes / 2 ** 20;
const input = JSON.parse(process.env.PULLBRIDGE_BENCH_INPUT ?? "{}") as Input;
// As the Lambda worker connects to EKS: a typed connection from the token, no client-node.
const cluster = await createClusterClient({
  connection: connectionFromToken({
    server: input.server,
    caData: Buffer.from(input.caPem).toString("base64"),
    token: input.token,
  }),
});
const target = targetSchema.parse({
  name: "bench",
  repo: "acme/bench",
  cluster: "bench",
  namespace: input.namespace,
  policy: { clusterScoped: input.clusterScoped ?? false },
});

const loadStarted = performance.now();
let desired: DesiredObject[];
let manifestBytes = 0;
if (input.manifestDir) {
  // As the worker holds a commit: path → bytes, then the manifest loader.
  const files = new Map<string, Uint8Array>();
  for (const name of (await readdir(input.manifestDir)).sort()) {
    const bytes = await readFile(join(input.manifestDir, name));
    manifestBytes += bytes.length;
    files.set(`manifests/${name}`, bytes);
  }
  desired = loadManifests({ files, targetPath: "manifests", policy: manifestPolicyOf(target) });
  files.clear();
} else {
  desired = asDesired(
    generateFixture({ namespace: input.namespace, total: input.total ?? 0, baseRevision: input.revision }),
  );
}
const loadMs = performance.now() - loadStarted;
const afterLoad = { maxRssMb: process.resourceUsage().maxRSS / 1024, rssMb: mb(process.memoryUsage().rss) };

const started = performance.now();
const result = await syncTarget(
  { cluster, toolingVersion: PULLBRIDGE_VERSION },
  {
    target,
    desired,
    configuredTargets: [target],
    revision: { sha: input.revision },
    now: new Date(),
    mode: "apply",
  },
);
const wallMs = performance.now() - started;
const memory = process.memoryUsage();
console.log(
  JSON.stringify({
    objects: desired.length,
    manifestMb: mb(manifestBytes),
    loadMs,
    wallMs,
    counts: result.counts,
    requests: result.requests,
    fallbacks: result.dryRunFallbacks,
    durationsMs: result.durationsMs,
    afterLoad,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    heapUsedMb: mb(memory.heapUsed),
    heapTotalMb: mb(memory.heapTotal),
    externalMb: mb(memory.external),
  }),
);
process.exit(0);
