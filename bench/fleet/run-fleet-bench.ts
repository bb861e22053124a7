/**
 * `npm run bench:fleet`: what a fleet costs per drift tick and per push — 1,000 Kustomize targets in
 * one 50 MB monorepo across 10 namespaces, synced by the real webhook, drift and worker handlers
 * (local mode's composition) against a real kube-apiserver (as the namespaced worker identity),
 * fauxqs, moto (the state bucket) and the OpenAPI-checked GitHub fake, which counts requests by
 * GitHub's rate-limit rules (304s free) and the bytes it serves.
 *
 * Phases: a cold tick (everything created), a quiet tick (nothing changed), a push touching one
 * app, and the tick after it. Per phase: GitHub requests, requests counted against the rate limit,
 * tarball downloads and bytes, renders, Lambda GB-seconds (handler time × memory, as Lambda bills),
 * cluster requests and state-store (S3) requests.
 *
 * `BENCH_VARIANT=today` measures the code before issue 26 (run from a checkout of that commit with
 * bench/fleet and the fake's counting copied in; see bench/README.md): every drift job there does
 * the same work whatever the other targets do, so it runs the ticks for `BENCH_TODAY_SAMPLE`
 * targets (default 100) and scales their per-target cost to the fleet; the push row is measured
 * as it is. Results go to bench/fleet/results-<variant>.json; the `after` run writes the
 * BENCHMARKS.md section from both.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { KubeConfig } from "@kubernetes/client-node";
import { startFauxqs } from "fauxqs";
import { composeLocalBridge } from "../../functions/local/compose-local-bridge.ts";
import { enqueueDriftJobs } from "../../lib/app/enqueue-drift-jobs.ts";
import type { ClusterPort } from "../../lib/cluster/cluster-port.ts";
import { parseTargetsConfig } from "../../lib/config/targets.ts";
import { pollOnce } from "../../lib/jobs/adapters/lambda-sqs-event-source.ts";
import { createSqsJobQueue } from "../../lib/jobs/adapters/sqs-job-queue.ts";
import type { Renderer } from "../../lib/render/renderer-port.ts";
import { METRIC_NAMESPACE } from "../../lib/telemetry/metric-names.ts";
import { httpApiEvent, pushPayload, signedDelivery, TEST_SECRET } from "../../test/factories/webhook.ts";
import { lambdaContext } from "../../test/factories/webhook-lambda.ts";
import { ensureBinaries, startControlPlane } from "../../test/support/control-plane/control-plane.ts";
import { startGitHubWorld, TEST_INSTALLATION_ID } from "../../test/support/github-fake/github-world.ts";
import { createGrantedNamespace } from "../../test/support/kube.ts";
import { testRenderer } from "../../test/support/renderer.ts";
import { testSqsClient } from "../../test/support/sqs.ts";
import { writeBenchmarksSection } from "../benchmarks-file.ts";
import {
  appKustomization,
  appName,
  appPath,
  type FleetShape,
  fleetFiles,
  namespaceOf,
} from "./fleet-repo.ts";
import { type PhaseCost, type Results, renderSection } from "./report.ts";
import { startStateStore } from "./state-store.ts";

// EMF lines for 1,000 jobs would drown the progress lines; the bench counts for itself.
process.env.POWERTOOLS_METRICS_DISABLED ??= "true";
const VARIANT = process.env.BENCH_VARIANT === "today" ? "today" : "after";
const SHAPE: FleetShape = {
  targets: Number(process.env.BENCH_TARGETS ?? 1000),
  namespaces: Number(process.env.BENCH_NAMESPACES ?? 10),
  repoMb: Number(process.env.BENCH_REPO_MB ?? 50),
};
const SAMPLE =
  VARIANT === "today"
    ? Math.min(SHAPE.targets, Number(process.env.BENCH_TODAY_SAMPLE ?? 100))
    : SHAPE.targets;
/** Memory of each function as deployed (serverless.yml), for GB-seconds. */
const MEMORY_MB = { worker: 1536, webhook: 256, drift: 256 } as const;
const PUSHED_APP = 7;
const log = (line: string) => process.stderr.write(`[bench:fleet ${VARIANT}] ${line}\n`);

const cp = await startControlPlane({ binDir: await ensureBinaries() });
const sqsServer = await startFauxqs({ port: 0, logger: false });
const state = VARIANT === "after" ? await startStateStore() : undefined;
const world = await startGitHubWorld({ mode: "app", repoName: "acme/fleet" });
try {
  const admin = new KubeConfig();
  admin.loadFromFile(join(cp.dir, "admin.kubeconfig"));
  const prefix = "fleet";
  for (let n = 0; n < SHAPE.namespaces; n++) await createGrantedNamespace(admin, `${prefix}-${n}`);

  log(`writing the ${SHAPE.repoMb} MB monorepo with ${SHAPE.targets} overlays`);
  await world.repo.commitFiles(fleetFiles(SHAPE), "fleet");
  let before = await world.repo.head("main");

  const config = parseTargetsConfig({
    version: 1,
    clusters: { test: { type: "kubeconfig", source: `file:${join(cp.dir, "worker.kubeconfig")}` } },
    targets: Array.from({ length: SHAPE.targets }, (_, i) => ({
      name: appName(i),
      repo: world.repoName,
      branch: "main",
      path: appPath(i, SHAPE),
      // Needed before issue 26 (the base lives elsewhere); derived since, kept so both runs share one file.
      watch: ["bases/web"],
      cluster: "test",
      namespace: namespaceOf(i, SHAPE, prefix),
    })),
  });

  const inner = testRenderer();
  let renders = 0;
  const renderer: Renderer = {
    render: (request) => {
      renders += 1;
      return inner.render(request);
    },
    // Part of a cached render's key (absent before issue 26: the `today` run never asks).
    ...(inner.identity === undefined ? {} : { identity: inner.identity.bind(inner) }),
  };
  const clusterClients: ClusterPort[] = [];
  const sqs = testSqsClient(sqsServer.address);
  const system = await composeLocalBridge({
    targets: config,
    github: world.jobGitHub,
    sqs,
    queuePrefix: `fleet-${Date.now().toString(36)}`,
    webhookSecret: TEST_SECRET,
    renderer,
    maxReceiveCount: 5,
    visibilityTimeoutSeconds: 120,
    workerTimeoutMs: 120_000,
    secrets: { read: async (ref) => Promise.reject(new Error(`no secret ${ref} in the bench`)) },
    awsCredentials: async () => ({ accessKeyId: "unused", secretAccessKey: "unused" }),
    logger: (serviceName) => new Logger({ serviceName, logLevel: "SILENT" }),
    metrics: (serviceName) => new Metrics({ namespace: METRIC_NAMESPACE, serviceName }),
    onClusterClient: {
      worker: (client) => {
        if (!clusterClients.includes(client)) clusterClients.push(client);
      },
    },
    ...(state === undefined ? {} : { stateStore: state.store }),
  });
  const queue = createSqsJobQueue({ client: sqs, queueUrl: system.jobs.queueUrl });

  const handlerMs = { worker: 0, webhook: 0, drift: 0 };
  const invocations = { worker: 0, webhook: 0, drift: 0 };
  const timed = async <T>(fn: keyof typeof handlerMs, run: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await run();
    } finally {
      // Lambda bills each invocation's duration rounded up to the millisecond.
      handlerMs[fn] += Math.ceil(performance.now() - started);
      invocations[fn] += 1;
    }
  };
  const clusterRequests = () =>
    clusterClients.reduce(
      (sum, c) => {
        const r = c.requestCounts();
        return {
          reads: sum.reads + r.reads,
          writes: sum.writes + r.writes,
          dryRuns: sum.dryRuns + r.dryRuns,
        };
      },
      { reads: 0, writes: 0, dryRuns: 0 },
    );
  const snapshot = () => ({
    requests: world.fake.requests.length,
    renders,
    handlerMs: { ...handlerMs },
    invocations: { ...invocations },
    cluster: clusterRequests(),
    s3: state?.counts() ?? { get: 0, put: 0, list: 0, delete: 0, notModified: 0 },
    at: performance.now(),
  });
  type Snapshot = ReturnType<typeof snapshot>;
  let failures = 0;
  const drain = async () => {
    let empty = 0;
    while (empty < 2) {
      const result = await pollOnce(
        {
          sqs,
          queueUrl: system.jobs.queueUrl,
          queueArn: system.jobs.queueArn,
          waitTimeSeconds: 0,
          visibilityTimeout: 120,
          releaseFailuresImmediately: true,
        },
        (event) => timed("worker", async () => await system.jobs.invoke(event)),
      );
      failures += result.failed;
      empty = result.received === 0 ? empty + 1 : 0;
      if (result.failed > 0) log(`${result.failed} job(s) failed: ${String(result.handlerError ?? "")}`);
    }
  };
  const cost = (name: string, from: Snapshot, scale: number): PhaseCost => {
    const to = snapshot();
    const budget = world.fake.budget(from.requests);
    const ms = (fn: keyof typeof handlerMs) => to.handlerMs[fn] - from.handlerMs[fn];
    const gbSeconds =
      (ms("worker") * MEMORY_MB.worker + ms("webhook") * MEMORY_MB.webhook + ms("drift") * MEMORY_MB.drift) /
      1024 /
      1000;
    const cluster = {
      reads: to.cluster.reads - from.cluster.reads,
      writes: to.cluster.writes - from.cluster.writes,
      dryRuns: to.cluster.dryRuns - from.cluster.dryRuns,
    };
    const s3 = Object.fromEntries(
      Object.entries(to.s3).map(([k, v]) => [k, v - from.s3[k as keyof typeof from.s3]]),
    ) as PhaseCost["s3"];
    const phase: PhaseCost = {
      name,
      scale,
      github: {
        requests: budget.requests,
        rateLimited: budget.rateLimited,
        notModified: budget.notModified,
        appJwt: budget.appJwt,
        archives: budget.archives,
        archiveBytes: budget.archiveBytes,
      },
      renders: to.renders - from.renders,
      workerMs: ms("worker"),
      workerInvocations: to.invocations.worker - from.invocations.worker,
      webhookMs: ms("webhook"),
      driftMs: ms("drift"),
      gbSeconds,
      cluster,
      s3,
      wallMs: to.at - from.at,
    };
    log(`${name}: ${JSON.stringify(phase)}`);
    return phase;
  };

  const sample = config.targets.slice(0, SAMPLE);
  let ticks = 0;
  const tick = async () => {
    const at = new Date();
    await timed("drift", () =>
      enqueueDriftJobs({ targets: sample, queue, now: at, scheduleId: `bench-${ticks++}-${at.getTime()}` }),
    );
    await drain();
  };
  const scale = SHAPE.targets / SAMPLE;
  const phases: PhaseCost[] = [];

  log(`cold tick (${SAMPLE} targets)`);
  let from = snapshot();
  await tick();
  phases.push(cost("cold tick (first sync of every target)", from, scale));

  log("quiet tick");
  from = snapshot();
  await tick();
  phases.push(cost("quiet tick", from, scale));

  log("push touching one app");
  from = snapshot();
  const changed = `${appPath(PUSHED_APP, SHAPE)}/kustomization.yaml`;
  const after = await world.repo.commitFiles({ [changed]: appKustomization(PUSHED_APP, 1) }, "bump one app");
  const payload = pushPayload({
    repo: world.repoName,
    branch: "main",
    before,
    after,
    commits: [{ modified: [changed] }],
    installationId: TEST_INSTALLATION_ID,
  });
  before = after;
  const response = await timed("webhook", async () =>
    system.webhook(httpApiEvent(await signedDelivery({ event: "push", payload })), lambdaContext("push")),
  );
  await drain();
  phases.push(cost("push touching one app", from, 1));
  const pushed = world.fake.statuses(after).filter((s) => s.context === `pullbridge/${appName(PUSHED_APP)}`);
  if (pushed.at(-1)?.state !== "success")
    throw new Error(`the pushed app ended ${pushed.at(-1)?.state}: ${pushed.at(-1)?.description}`);
  log(`webhook answered ${response.statusCode}: ${response.body}`);

  log("tick after the push");
  from = snapshot();
  await tick();
  phases.push(cost("tick after the push (one app changed)", from, scale));

  if (world.fake.violations.length > 0)
    throw new Error(`GitHub fake violations: ${JSON.stringify(world.fake.violations.slice(0, 3))}`);
  if (failures > 0) throw new Error(`${failures} job(s) failed during the bench`);

  const results: Results = {
    variant: VARIANT,
    date: new Date().toISOString(),
    machine: `${cpus().length} × ${cpus()[0]?.model ?? "CPU"}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, kube-apiserver ${cp.version}, load average ${loadavg()[0]?.toFixed(1)} at the end`,
    shape: SHAPE,
    sample: SAMPLE,
    tarballBytes: phases[0]?.github.archives
      ? Math.round((phases[0].github.archiveBytes ?? 0) / phases[0].github.archives)
      : 0,
    phases,
  };
  const file = join(import.meta.dirname, `results-${VARIANT}.json`);
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  log(`wrote ${file}`);
  const todayFile = join(import.meta.dirname, "results-today.json");
  if (VARIANT === "after" && existsSync(todayFile) && process.env.BENCH_NO_WRITE !== "1") {
    const today = JSON.parse(readFileSync(todayFile, "utf8")) as Results;
    const section = renderSection(today, results);
    writeBenchmarksSection("fleet", section);
    console.log(section);
  }
} finally {
  await world.close();
  await state?.stop();
  await sqsServer.stop();
  await cp.stop();
}
