/**
 * Reliability under load: 1,000 signed push deliveries across 10 targets (each on its own
 * branch) — 50 real pushes, the rest redeliveries with the same delivery id and re-sends of older
 * pushes under new ids, all shuffled so older commits arrive after newer ones — into the real
 * webhook handler and fauxqs, while three event-source pollers run the real worker against the
 * real API server at the same time (every job is a real sync or a real superseded check). Each target must end on its branch head, no delivery may be
 * lost (every one answered 202 and no job in the DLQ), and no two batches of one target may ever
 * run at once. Seeded, so a run can be repeated.
 */

import { randomUUID } from "node:crypto";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { CoreV1Api } from "@kubernetes/client-node";
import type { SQSEvent } from "aws-lambda";
import { afterAll, describe, expect, inject, it } from "vitest";
import { composeWorker } from "../../../functions/worker/compose-worker.ts";
import { parseTargetsConfig } from "../../../lib/config/targets.ts";
import { consumeQueue } from "../../../lib/jobs/adapters/lambda-sqs-event-source.ts";
import { DEFAULT_SOURCE_LIMITS } from "../../../lib/source/git-source.ts";
import { METRIC_NAMESPACE, ServiceName } from "../../../lib/telemetry/metric-names.ts";
import { httpApiEvent, pushPayload, signedDelivery } from "../../factories/webhook.ts";
import { lambdaContext, webhookLambda } from "../../factories/webhook-lambda.ts";
import {
  type GitHubWorld,
  startGitHubWorld,
  TEST_INSTALLATION_ID,
} from "../../support/github-fake/github-world.ts";
import { createTestNamespace, grantWorker, kubeConfigFor } from "../../support/kube.ts";
import { createFifoWithDlq, testSqsClient } from "../../support/sqs.ts";

const TARGETS = 10;
const ROUNDS = 5;
const DELIVERIES = 1000;
const POLLERS = 3;
/** Share of the extra deliveries that are redeliveries with the same id (the rest get new ids). */
const REDELIVERED = 0.85;
const SEED = Number(process.env.FC_SEED ?? 20261202);

function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const configMap = (round: number) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  round: "${round}"\n`;

let world: GitHubWorld | undefined;
afterAll(async () => {
  await world?.close();
});

describe("1,000 deliveries across 10 targets", () => {
  it("each target ends on its branch head, nothing is lost, no target runs twice at once", async () => {
    // Prepare
    const rand = random(SEED);
    const activeWorld = await startGitHubWorld({ mode: "app" });
    world = activeWorld;
    const sqs = testSqsClient();
    const queue = await createFifoWithDlq(sqs, { maxReceiveCount: 5 });
    const namespaces: string[] = [];
    for (let k = 0; k < TARGETS; k++) {
      const ns = await createTestNamespace("load");
      await grantWorker(ns);
      namespaces.push(ns);
    }
    await activeWorld.repo.commitFiles({ "README.md": "load test\n" }, "root");
    const config = parseTargetsConfig({
      version: 1,
      clusters: {
        test: { type: "kubeconfig", source: `file:${inject("controlPlane").dir}/worker.kubeconfig` },
      },
      targets: namespaces.map((namespace, k) => ({
        name: `t${k}`,
        repo: activeWorld.repoName,
        branch: `b${k}`,
        path: "deploy",
        cluster: "test",
        namespace,
      })),
    });
    const webhook = webhookLambda({ sqs, queueUrl: queue.queueUrl, targets: config.targets });
    const worker = composeWorker({
      targets: config,
      github: activeWorld.jobGitHub,
      secrets: { read: async (ref) => Promise.reject(new Error(`no secret ${ref} in tests`)) },
      awsCredentials: async () => ({ accessKeyId: "unused", secretAccessKey: "unused" }),
      localMode: true,
      sourceLimits: DEFAULT_SOURCE_LIMITS,
      maxReceiveCount: 5,
      logger: new Logger({ serviceName: ServiceName.Worker, logLevel: "SILENT" }),
      metrics: new Metrics({ namespace: METRIC_NAMESPACE, serviceName: ServiceName.Worker }),
    });
    // Who is running: a second batch of a target while one is in flight would be a FIFO violation.
    const active = new Map<string, number>();
    let overlaps = 0;
    let jobs = 0;
    const invoke = async (event: SQSEvent) => {
      const groups = [...new Set(event.Records.map((r) => r.attributes.MessageGroupId ?? "?"))];
      for (const g of groups) {
        const now = (active.get(g) ?? 0) + 1;
        active.set(g, now);
        if (now > 1) overlaps += 1;
      }
      jobs += event.Records.length;
      try {
        return await worker(
          event,
          lambdaContext(randomUUID(), { functionName: "load", remainingMs: 120_000 }),
        );
      } finally {
        for (const g of groups) active.set(g, (active.get(g) ?? 1) - 1);
      }
    };
    const source = {
      sqs,
      queueUrl: queue.queueUrl,
      waitTimeSeconds: 0,
      visibilityTimeout: 120,
      releaseFailuresImmediately: true,
    };

    type Delivery = Awaited<ReturnType<typeof signedDelivery>>;
    const sent: Delivery[] = [];
    const answers = new Map<number, number>();
    const deliver = async (delivery: Delivery) => {
      const response = await webhook(
        httpApiEvent(delivery),
        lambdaContext(randomUUID(), { functionName: "wh" }),
      );
      const status = response.statusCode ?? 0;
      answers.set(status, (answers.get(status) ?? 0) + 1);
    };
    const befores = new Map<number, string>();
    const pushOf = async (k: number, sha: string) => {
      const payload = pushPayload({
        repo: activeWorld.repoName,
        branch: `b${k}`,
        before: befores.get(k) ?? "0".repeat(40),
        after: sha,
        commits: [{ added: [], modified: ["deploy/app.yaml"], removed: [] }],
        installationId: TEST_INSTALLATION_ID,
      });
      befores.set(k, sha);
      return await signedDelivery({ event: "push", payload });
    };

    // Act: pollers run while deliveries arrive.
    let delivering = true;
    const pollers = Array.from({ length: POLLERS }, async () => {
      let idle = 0;
      await consumeQueue(source, invoke, {
        until: () => !delivering && idle >= 3,
        idleMs: 50,
        onPoll: (result) => {
          idle = result.received === 0 ? idle + 1 : 0;
        },
      });
    });
    const extrasPerRound = Math.floor((DELIVERIES - TARGETS * ROUNDS) / ROUNDS);
    let total = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const fresh: Delivery[] = [];
      for (let k = 0; k < TARGETS; k++) {
        await activeWorld.repo.checkout(`b${k}`);
        const sha = await activeWorld.repo.commitFiles(
          { "deploy/app.yaml": configMap(round) },
          `round ${round}`,
        );
        fresh.push(await pushOf(k, sha));
      }
      await activeWorld.repo.checkout("main");
      sent.push(...fresh);
      const extras = round === ROUNDS - 1 ? DELIVERIES - total - fresh.length : extrasPerRound;
      const batch = [...fresh];
      for (let e = 0; e < extras; e++) {
        const old = sent[Math.floor(rand() * sent.length)];
        if (!old) continue;
        // Most are GitHub redeliveries (same delivery id: the queue deduplicates them); the rest are
        // re-sends of an older push under a new id, which become jobs for superseded commits.
        batch.push(
          rand() < REDELIVERED ? old : await signedDelivery({ event: "push", body: old.body ?? "" }),
        );
      }
      for (let i = batch.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [batch[i], batch[j]] = [batch[j] as (typeof batch)[number], batch[i] as (typeof batch)[number]];
      }
      for (const delivery of batch) await deliver(delivery);
      total += batch.length;
    }
    delivering = false;
    await Promise.all(pollers);

    // Assess
    const core = kubeConfigFor("admin").makeApiClient(CoreV1Api);
    const ends: Array<{
      target: string;
      head: string;
      synced: string | undefined;
      round: string | undefined;
    }> = [];
    for (let k = 0; k < TARGETS; k++) {
      const namespace = namespaces[k] ?? "";
      const cm = await core.readNamespacedConfigMap({ namespace, name: "app" });
      const head = await activeWorld.repo.head(`b${k}`);
      const statuses = activeWorld.fake.statuses(head).filter((s) => s.context.endsWith(`/t${k}`));
      ends.push({ target: `t${k}`, head, synced: statuses.at(-1)?.state, round: cm.data?.round });
    }
    const dlq = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queue.dlqUrl,
        AttributeNames: ["ApproximateNumberOfMessages"],
      }),
    );
    const inDlq = Number(dlq.Attributes?.ApproximateNumberOfMessages ?? "0");
    console.log(
      `[reliability] deliveries: ${total} delivered (${TARGETS * ROUNDS} pushes), answers ${JSON.stringify(Object.fromEntries(answers))}, ${jobs} jobs run by ${POLLERS} pollers, ${ends.filter((e) => e.synced === "success" && e.round === String(ROUNDS - 1)).length}/${TARGETS} targets on their head, ${inDlq} in the DLQ, ${overlaps} overlapping runs of one target (seed ${SEED})`,
    );
    expect(total).toBe(DELIVERIES);
    expect([...answers.keys()]).toEqual([202]);
    expect(ends).toEqual(
      ends.map((e) => ({ target: e.target, head: e.head, synced: "success", round: String(ROUNDS - 1) })),
    );
    expect(inDlq).toBe(0);
    expect(overlaps).toBe(0);
  }, 600_000);
});
