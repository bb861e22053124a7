/**
 * `npm run bench:config`: what a webhook delivery pays to read the stored config of a config
 * repository (issue 25) — extra S3 requests, bytes and latency — against the same delivery routed
 * from the packaged targets alone. The real delivery use case (verify → route → queue) runs in
 * process; the stored config lives in moto (the S3-protocol server the tests use), reached through
 * the loopback latency proxy at 0 ms and at an in-region-like RTT. The job queue is an in-memory
 * port: its cost is the same with and without a config, so it is left out of the difference.
 *
 * Cases: `cold` (a new container: the S3 client is built and the object downloaded), `warm` (the
 * config is unchanged: one conditional GET answered 304, no body), `changed` (the config was
 * rewritten since the last delivery: one GET with a body). Writes its section of BENCHMARKS.md.
 */
import { spawnSync } from "node:child_process";
import { cpus, loadavg, totalmem } from "node:os";
import { performance } from "node:perf_hooks";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { deliveryConfigOf } from "../../lib/app/delivery-config.ts";
import { createDeliveryHandler, type DeliveryHandler } from "../../lib/app/handle-delivery.ts";
import { createCurrentConfigSource } from "../../lib/config/current-config.ts";
import { packStoredConfig, STORED_CONFIG_KEY } from "../../lib/config/stored-config.ts";
import { parseTargetsConfig, type TargetsFile } from "../../lib/config/targets.ts";
import type { JobQueue } from "../../lib/jobs/job-queue.ts";
import { createS3ObjectStore } from "../../lib/state/adapters/s3-object-store.ts";
import type { ObjectStore } from "../../lib/state/object-store.ts";
import { pushPayload, signedDelivery } from "../../test/factories/webhook.ts";
import { ensureMoto, MOTO_CREDENTIALS, MOTO_REGION, startMoto } from "../../test/support/moto.ts";
import { writeBenchmarksSection } from "../benchmarks-file.ts";
import { startLatencyProxy } from "../latency-proxy.ts";

const TARGETS = Number(process.env.BENCH_TARGETS ?? 42);
const RTTS = (process.env.BENCH_RTTS ?? "0,10").split(",").map(Number);
const RUNS = { cold: 15, warm: 200, changed: 30, packaged: 200 };

type Stats = { p50: number; p90: number; max: number };
const stats = (samples: number[]): Stats => {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
  const round = (n: number) => Math.round(n * 100) / 100;
  return { p50: round(at(0.5)), p90: round(at(0.9)), max: round(sorted.at(-1) ?? Number.NaN) };
};

/** A store that counts requests and the bytes of bodies received. */
function counted(store: ObjectStore) {
  const count = { requests: 0, bytes: 0, notModified: 0 };
  const wrapped: ObjectStore = {
    ...store,
    async get(key, options) {
      count.requests += 1;
      const answer = await store.get(key, options);
      if (answer.kind === "found") count.bytes += answer.body.byteLength;
      if (answer.kind === "not-modified") count.notModified += 1;
      return answer;
    },
  };
  return { store: wrapped, count };
}

const queue: JobQueue = {
  async enqueue(jobs) {
    return { queued: jobs.map((job, i) => ({ job, messageId: String(i) })) };
  },
};
const silent = { debug() {}, info() {}, warn() {}, error() {} };

function handler(targets: TargetsFile, config?: ReturnType<typeof deliveryConfigOf>): DeliveryHandler {
  return createDeliveryHandler({
    secrets: async () => ["bench-secret"],
    targets: targets.targets,
    queue,
    log: silent,
    metrics: { record() {} },
    maxBodyBytes: 1024 * 1024,
    now: () => new Date(),
    monotonicMs: () => performance.now(),
    ...(config === undefined ? {} : { config }),
  });
}

const install = await ensureMoto({});
if (install.kind !== "installed") throw new Error(`moto is not available: ${install.reason}`);
const moto = await startMoto({ binDir: install.binDir });
const motoPort = Number(new URL(moto.endpoint).port);
const bucket = "bench-config";
const admin = new S3Client({
  endpoint: moto.endpoint,
  forcePathStyle: true,
  region: MOTO_REGION,
  credentials: MOTO_CREDENTIALS,
});
await admin.send(new CreateBucketCommand({ Bucket: bucket }));

const clusters = { prod: { type: "eks", name: "prod" } };
const stack = parseTargetsConfig({
  version: 1,
  clusters,
  projects: { apps: { repositories: ["acme/*"], clusters: ["prod"], namespaces: ["*"] } },
  configRepository: { repo: "acme/platform", path: "pullbridge" },
});
const projects = { apps: { repositories: ["acme/*"], clusters: ["prod"], namespaces: ["*"] } };
const fleet = parseTargetsConfig({
  version: 1,
  clusters,
  projects,
  targets: Array.from({ length: TARGETS }, (_, i) => ({
    name: `app-${i}`,
    project: "apps",
    repo: `acme/app-${i}`,
    path: "deploy",
    cluster: "prod",
    namespace: `team-${i}`,
  })),
}).targets;
const body = (revision: number) =>
  packStoredConfig({
    repo: "acme/platform",
    branch: "main",
    path: "pullbridge",
    sha: revision.toString(16).padStart(40, "0"),
    storedAt: new Date().toISOString(),
    targets: fleet,
    origins: Object.fromEntries(
      fleet.map((t, i) => [t.name, { file: "pullbridge/apps.yaml", line: 3 + i * 7 }]),
    ),
    directorySources: [],
    pullRequestGenerators: [],
    retired: [],
    queued: { sync: [], remove: [] },
  });
const packagedStack = parseTargetsConfig({ version: 1, clusters, projects, targets: fleet });
const objectBytes = Buffer.byteLength(body(0));

// One delivery shape for every case: a push to app-7's repository that touches its path.
const delivery = async () =>
  await signedDelivery({
    event: "push",
    secret: "bench-secret",
    payload: pushPayload({
      repo: "acme/app-7",
      branch: "main",
      commits: [{ modified: ["deploy/app.yaml"] }],
    }),
  });

type Row = {
  rtt: number;
  case: string;
  latency: Stats;
  requests: number;
  bytes: number;
  notModified: number;
};
const rows: Row[] = [];

for (const rtt of RTTS) {
  const proxy = await startLatencyProxy({ upstream: { host: "127.0.0.1", port: motoPort }, rttMs: rtt });
  const endpoint = `http://127.0.0.1:${proxy.port}`;
  const s3 = () =>
    new S3Client({ endpoint, forcePathStyle: true, region: MOTO_REGION, credentials: MOTO_CREDENTIALS });
  let revision = 1;
  await createS3ObjectStore({ bucket, client: s3() }).put(STORED_CONFIG_KEY, body(revision), {
    unconditional: true,
  });

  const measure = async (
    name: string,
    runs: number,
    next: () => Promise<{
      handle: DeliveryHandler;
      count?: { requests: number; bytes: number; notModified: number };
    }>,
  ) => {
    const samples: number[] = [];
    const total = { requests: 0, bytes: 0, notModified: 0 };
    for (let i = 0; i < runs; i++) {
      const { handle, count } = await next();
      const before = count === undefined ? undefined : { ...count };
      const request = await delivery();
      const started = performance.now();
      const response = await handle(request);
      samples.push(performance.now() - started);
      if (response.statusCode !== 202 || !response.body.includes("app-7"))
        throw new Error(`${name}: ${response.body}`);
      if (count !== undefined && before !== undefined) {
        total.requests += count.requests - before.requests;
        total.bytes += count.bytes - before.bytes;
        total.notModified += count.notModified - before.notModified;
      }
    }
    rows.push({
      rtt,
      case: name,
      latency: stats(samples),
      requests: total.requests / runs,
      bytes: Math.round(total.bytes / runs),
      notModified: total.notModified / runs,
    });
  };

  const packaged = handler(packagedStack);
  await measure("packaged targets only (no config repository)", RUNS.packaged, async () => ({
    handle: packaged,
  }));

  // Cold: every sample is a new container's first delivery (new S3 client, nothing cached).
  await measure("stored config, cold container", RUNS.cold, async () => {
    const { store, count } = counted(createS3ObjectStore({ bucket, client: s3() }));
    return {
      handle: handler(stack, deliveryConfigOf(stack, createCurrentConfigSource(stack, store))),
      count,
    };
  });

  const warm = counted(createS3ObjectStore({ bucket, client: s3() }));
  const warmHandler = handler(stack, deliveryConfigOf(stack, createCurrentConfigSource(stack, warm.store)));
  await warmHandler(await delivery());
  await measure("stored config, warm, unchanged (304)", RUNS.warm, async () => ({
    handle: warmHandler,
    count: warm.count,
  }));

  const writer = createS3ObjectStore({ bucket, client: s3() });
  await measure("stored config, warm, changed since last delivery (200)", RUNS.changed, async () => {
    revision += 1;
    await writer.put(STORED_CONFIG_KEY, body(revision), { unconditional: true });
    return { handle: warmHandler, count: warm.count };
  });
  await proxy.close();
}
await moto.stop();

// A cold Lambda also imports the S3 SDK on the first read (lib/state/adapters/s3-object-store.ts
// loads it on first use): measured in fresh processes, as the runtime would.
const importSamples: number[] = [];
for (let i = 0; i < 7; i++) {
  const child = spawnSync(
    process.execPath,
    [
      "--input-type=module",
      "-e",
      "const t = performance.now(); await import('@aws-sdk/client-s3'); console.log(performance.now() - t);",
    ],
    { encoding: "utf8" },
  );
  importSamples.push(Number(child.stdout.trim()));
}
const sdkImport = stats(importSamples);

const packagedP50 = (rtt: number) =>
  rows.find((r) => r.rtt === rtt && r.case.startsWith("packaged"))?.latency.p50 ?? 0;
const table = [
  "| RTT to S3 | delivery | latency p50 / p90 / max | extra vs packaged (p50) | S3 requests | bytes downloaded | 304s |",
  "|---|---|---|---|---|---|---|",
  ...rows.map(
    (r) =>
      `| ${r.rtt} ms | ${r.case} | ${r.latency.p50} / ${r.latency.p90} / ${r.latency.max} ms | ${r.case.startsWith("packaged") ? "–" : `+${Math.round((r.latency.p50 - packagedP50(r.rtt)) * 100) / 100} ms`} | ${r.requests} | ${r.bytes} | ${r.notModified} |`,
  ),
];
const cpu = cpus();
const section = [
  "## Reading the stored config per webhook delivery",
  "",
  `The stored config: ${TARGETS} targets, ${objectBytes} bytes of JSON.`,
  "",
  "Generated by `npm run bench:config` (bench/config/run-config-read-bench.ts). The real delivery use case",
  "(signature, routing, queueing to an in-memory queue port) in process; the stored config in moto",
  "(S3 protocol, loopback) behind the latency proxy (`bench/latency-proxy.ts`, half the RTT each way).",
  "Latency is the whole handler; the difference to the packaged-only row is what reading the config costs.",
  "",
  `Machine: ${cpu[0]?.model ?? "unknown"} × ${cpu.length}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, load average ${loadavg()[0]?.toFixed(2) ?? "?"} (1 min) at the end, ${new Date().toISOString()}.`,
  "",
  ...table,
  "",
  `A cold container also imports \`@aws-sdk/client-s3\` on its first read, after the SQS client the webhook loads at start: ${sdkImport.p50} ms median (p90 ${sdkImport.p90} ms) in a fresh Node process on this machine, once per container.`,
].join("\n");
console.log(section);
writeBenchmarksSection("config", section);
