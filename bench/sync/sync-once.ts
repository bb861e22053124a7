/**
 * Child process for the benchmark: one pullbridge sync of a generated fixture, as the scoped
 * worker identity, printing a JSON line with timings, request counts and peak RSS. Runs in
 * its own process so peak RSS belongs to this sync alone.
 *
 * Input (env PULLBRIDGE_BENCH_INPUT, JSON): server, caPem, token, namespace, total, revision.
 */
import { performance } from "node:perf_hooks";
import { createClusterClient } from "../../lib/cluster/kube-cluster-client.ts";
import { kubeConfigFromToken } from "../../lib/cluster/kube-config.ts";
import { targetSchema } from "../../lib/config/targets.ts";
import { syncTarget } from "../../lib/sync/sync-target.ts";
import { PULLBRIDGE_VERSION } from "../../lib/sync/tooling-version.ts";
import { asDesired, generateFixture } from "./fixture.ts";

type Input = {
  server: string;
  caPem: string;
  token: string;
  namespace: string;
  total: number;
  revision: string;
};

const input = JSON.parse(process.env.PULLBRIDGE_BENCH_INPUT ?? "{}") as Input;
const cluster = await createClusterClient({
  kubeConfig: kubeConfigFromToken({
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
});
const desired = asDesired(
  generateFixture({ namespace: input.namespace, total: input.total, baseRevision: input.revision }),
);
const started = performance.now();
const result = await syncTarget(
  { cluster, toolingVersion: PULLBRIDGE_VERSION },
  { target, desired, revision: { sha: input.revision }, now: new Date(), mode: "apply" },
);
const wallMs = performance.now() - started;
console.log(
  JSON.stringify({
    wallMs,
    counts: result.counts,
    requests: result.requests,
    fallbacks: result.dryRunFallbacks,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    heapUsedMb: process.memoryUsage().heapUsed / 2 ** 20,
    heapTotalMb: process.memoryUsage().heapTotal / 2 ** 20,
  }),
);
process.exit(0);
