/**
 * A job that keeps failing retryably is never silently `pending`: each retry is on the commit
 * ("retrying: attempt 2 of 3 — …", "syncing … (attempt 2 of 3)"), the last attempt posts a
 * `failure`, and the message still ends in the dead-letter queue. Real fauxqs redrive, the real
 * worker handler and the GitHub fake; the cluster is a kubeconfig whose server refuses connections.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { closedPortUrl } from "../../factories/webhook-lambda.ts";
import { type Bridge, startBridge } from "../../support/bridge.ts";

const manifest = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  color: blue\n";

let dir: string;
let bridge: Bridge;

beforeAll(async () => {
  // The shared plane's worker kubeconfig, pointed at a port nothing listens on: every attempt
  // fails with a connection error, which is retryable.
  dir = await mkdtemp(join(tmpdir(), "pullbridge-retry-"));
  const original = await readFile(join(inject("controlPlane").dir, "worker.kubeconfig"), "utf8");
  const refused = (await closedPortUrl()).replace("http://", "https://");
  const kubeconfig = join(dir, "refused.kubeconfig");
  await writeFile(kubeconfig, original.replace(/server: \S+/, `server: ${refused}`));
  bridge = await startBridge({ workerKubeconfig: kubeconfig, maxReceiveCount: 3 });
});

afterAll(async () => {
  await bridge?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("retries on the commit", () => {
  it("says which attempt is next while retrying, posts a failure after the last, and leaves the job to the DLQ", async () => {
    // Prepare
    const push = await bridge.push({ "deploy/app.yaml": manifest });

    // Act
    const polls = await bridge.drain();

    // Assess
    expect(polls.filter((p) => p.failed > 0)).toHaveLength(3);
    const statuses = bridge.world.fake.statuses(push.sha);
    expect(new Set(statuses.map((s) => s.context))).toEqual(new Set(["pullbridge/web"]));
    expect(statuses.map((s) => `${s.state}: ${s.description?.replace(/ — .*/, " — …")}`)).toEqual([
      `pending: syncing deploy to ${bridge.namespace}`,
      "pending: retrying: attempt 2 of 3 — …",
      `pending: syncing deploy to ${bridge.namespace} (attempt 2 of 3)`,
      "pending: retrying: attempt 3 of 3 — …",
      `pending: syncing deploy to ${bridge.namespace} (attempt 3 of 3)`,
      "failure: failed after 3 attempts — …",
    ]);
    expect(statuses.at(-1)?.description).toMatch(/127\.0\.0\.1|ECONNREFUSED|connect/i);
    const [checkRun, ...more] = bridge.world.fake.checkRuns(push.sha);
    expect(more).toEqual([]);
    expect(checkRun).toMatchObject({ conclusion: "failure", name: "pullbridge / web" });
    expect(checkRun?.summary).toContain("dead-letter queue");
    const dead = await bridge.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: bridge.queue.dlqUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
      }),
    );
    expect(dead.Messages ?? []).toHaveLength(1);
    expect(bridge.world.fake.violations).toEqual([]);
  });
});
