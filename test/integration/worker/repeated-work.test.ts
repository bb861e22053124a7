/**
 * Less repeated work: a push job whose branch head the target already synced (an older push that
 * coalesced to it, a redelivery) fetches no tarball and applies nothing, while drift checks still
 * run; and the worker's "job done" log line keeps the job's result. Real fauxqs, kube-apiserver
 * and the GitHub fake.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { afterEach, describe, expect, it } from "vitest";
import { ServiceName } from "../../../lib/telemetry/metric-names.ts";
import { configMapYaml } from "../../factories/manifest-text.ts";
import { type Bridge, startBridge } from "../../support/bridge.ts";

const TARBALL = "GET /repos/{owner}/{repo}/tarball/{ref}";

let bridge: Bridge | undefined;
afterEach(async () => {
  await bridge?.close();
  bridge = undefined;
});

/** Lines written to stdout and stderr while `act` runs. */
async function outputOf(act: () => Promise<unknown>): Promise<string[]> {
  const lines: string[] = [];
  const streams = [process.stdout, process.stderr] as const;
  const writes = streams.map((s) => s.write.bind(s));
  for (const stream of streams) {
    stream.write = ((chunk: string | Uint8Array) => {
      lines.push(...String(chunk).split("\n"));
      return true;
    }) as typeof stream.write;
  }
  try {
    await act();
  } finally {
    streams.forEach((stream, i) => {
      stream.write = writes[i] as typeof stream.write;
    });
  }
  return lines.filter((l) => l.trim() !== "");
}

describe("repeated work", () => {
  it("syncs two quick pushes once: the older job coalesces, the newer finds its head synced and stops", async () => {
    // Prepare
    bridge = await startBridge();
    const first = await bridge.push({ "deploy/app.yaml": configMapYaml("app", { color: "blue" }) });
    const second = await bridge.push({ "deploy/app.yaml": configMapYaml("app", { color: "green" }) });

    // Act
    await bridge.drain();

    // Assess
    expect(bridge.world.fake.restCallsByRoute()[TARBALL]).toBe(1);
    expect(bridge.world.fake.statuses(first.sha).map((s) => s.description)).toEqual([
      `superseded by ${second.sha.slice(0, 7)}`,
    ]);
    expect(bridge.world.fake.statuses(second.sha).map((s) => s.state)).toEqual(["pending", "success"]);
    expect(bridge.world.fake.checkRuns(second.sha)).toHaveLength(1);
  });

  it("does no tarball fetch and no write for a redelivered push, yet the drift check still runs", async () => {
    // Prepare
    bridge = await startBridge();
    const push = await bridge.push({ "deploy/app.yaml": configMapYaml("app", { color: "blue" }) });
    await bridge.drain();
    const writes = bridge.clusterRequests().writes;
    const tarballs = bridge.world.fake.restCallsByRoute()[TARBALL];

    // Act
    await bridge.redeliverLastPush();
    await bridge.drain();
    const afterRedelivery = bridge.world.fake.restCallsByRoute()[TARBALL];
    await bridge.scheduleDrift();
    await bridge.drain();

    // Assess
    expect(afterRedelivery).toBe(tarballs);
    expect(bridge.clusterRequests().writes).toBe(writes);
    expect(bridge.world.fake.statuses(push.sha).map((s) => s.state)).toEqual(["pending", "success"]);
    expect(bridge.world.fake.restCallsByRoute()[TARBALL]).toBe((tarballs ?? 0) + 1);
  });

  it("logs the job's result on the job-done line without a reserved-key warning", async () => {
    // Prepare
    bridge = await startBridge({ logger: new Logger({ serviceName: ServiceName.Worker, logLevel: "INFO" }) });
    const active = bridge;
    await active.push({ "deploy/app.yaml": configMapYaml("app", { color: "blue" }) });

    // Act
    const lines = await outputOf(() => active.drain());

    // Assess
    const done = lines
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((entry) => entry.message === "job done");
    expect(done).toMatchObject({ outcome: "synced", summary: expect.stringMatching(/^1 created in /) });
    expect(lines.filter((l) => /reserved/i.test(l))).toEqual([]);
  });
});
