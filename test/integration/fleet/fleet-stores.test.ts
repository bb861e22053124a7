/**
 * The fleet's state-bucket stores on moto (S3 with conditional writes): branch heads asked with
 * the last ETag, and routing records written by compare-and-swap from concurrent workers.
 */
import { describe, expect, inject, it } from "vitest";
import { createBranchHeads } from "../../../lib/cache/branch-heads.ts";
import { StateStoreError } from "../../../lib/errors.ts";
import { createRoutingStore } from "../../../lib/routing/routing-store.ts";
import type { GitSource, ResolveHeadRequest } from "../../../lib/source/git-source.ts";
import { createS3ObjectStore, lazyS3Client } from "../../../lib/state/adapters/s3-object-store.ts";
import { createFleetCounters } from "../../../lib/telemetry/fleet-counters.ts";
import { silentLog } from "../../../lib/telemetry/log.ts";
import { FleetMetric } from "../../../lib/telemetry/metric-names.ts";
import { MOTO_CREDENTIALS, MOTO_REGION } from "../../support/moto.ts";
import { createTestBucket } from "../../support/s3.ts";

const A = "a".repeat(40);
const B = "b".repeat(40);

function store(bucket: string) {
  return createS3ObjectStore({
    bucket,
    client: lazyS3Client({
      endpoint: inject("motoEndpoint"),
      region: MOTO_REGION,
      credentials: MOTO_CREDENTIALS,
      maxAttempts: 1,
    }),
  });
}

/** A source whose branch head is `head.sha`, answering If-None-Match as GitHub does (ETag = `"<sha>"`). */
function headSource(head: { sha: string }) {
  const asked: ResolveHeadRequest[] = [];
  const source = {
    headSha: async () => head.sha,
    resolveHead: async (request: ResolveHeadRequest) => {
      asked.push(request);
      const etag = `"${head.sha}"`;
      return request.etag === etag
        ? { kind: "unchanged" as const }
        : { kind: "found" as const, sha: head.sha, etag };
    },
  } as unknown as GitSource;
  return { source, asked };
}

describe("branch heads", () => {
  it("asks in full once, then with the recorded ETag (unchanged), and again in full when the head moved", async () => {
    // Prepare
    const heads = createBranchHeads({
      store: store(await createTestBucket()),
      counters: createFleetCounters(),
      log: silentLog,
    });
    const head = { sha: A };
    const { source, asked } = headSource(head);
    const at = { repo: "Acme/App", branch: "feature/x" };

    // Act
    const first = await heads.resolve(source, at);
    const second = await heads.resolve(source, at);
    head.sha = B;
    const third = await heads.resolve(source, at);
    const fourth = await heads.resolve(source, { repo: "acme/app", branch: "feature/x" });

    // Assess
    expect([first, second, third, fourth]).toEqual([
      { sha: A, changed: true },
      { sha: A, changed: false },
      { sha: B, changed: true },
      { sha: B, changed: false },
    ]);
    expect(asked.map((r) => r.etag)).toEqual([undefined, `"${A}"`, `"${A}"`, `"${B}"`]);
  });

  it("still answers (in full, counted) when the state bucket cannot be read", async () => {
    // Prepare
    const counters = createFleetCounters();
    const heads = createBranchHeads({ store: store("no-such-bucket-h26"), counters, log: silentLog });
    const { source, asked } = headSource({ sha: A });

    // Act
    const found = await heads.resolve(source, { repo: "acme/app", branch: "main" });

    // Assess
    expect(found).toEqual({ sha: A, changed: true });
    expect(asked.map((r) => r.etag)).toEqual([undefined]);
    expect(counters.peek()[FleetMetric.StateStoreErrors]).toBeGreaterThanOrEqual(1);
  });
});

describe("routing store", () => {
  it("keeps every target's record when many workers write at once (compare-and-swap)", async () => {
    // Prepare
    const bucket = await createTestBucket();
    const writers = Array.from({ length: 6 }, () =>
      createRoutingStore({ store: store(bucket), log: silentLog, sleep: async () => {} }),
    );
    const record = (n: number) => ({
      sha: A,
      digest: `sha256:${n}`,
      inputs: [`apps/t${n}/kustomization.yaml`, "bases/web/deployment.yaml"],
      listed: [],
      probed: {},
    });

    // Act
    const results = await Promise.all(
      writers.map((w, n) => w.record({ repo: "Acme/App", branch: "main", target: `t${n}` }, record(n))),
    );
    const read = await createRoutingStore({ store: store(bucket), log: silentLog }).read("acme/app", "main");

    // Assess
    expect(results).toEqual(Array(6).fill("written"));
    expect(Object.keys(read?.targets ?? {}).sort()).toEqual(["t0", "t1", "t2", "t3", "t4", "t5"]);
    expect(read?.targets.t3).toEqual(record(3));
  });

  it("drops (never throws) a record it cannot write", async () => {
    // Prepare
    const routing = createRoutingStore({ store: store("no-such-bucket-h26"), log: silentLog });

    // Act
    const result = await routing.record(
      { repo: "acme/app", branch: "main", target: "t" },
      {
        sha: A,
        digest: "sha256:x",
        inputs: [],
        listed: [],
        probed: {},
      },
    );

    // Assess
    expect(result).toBe("dropped");
    await expect(routing.read("acme/app", "main")).rejects.toBeInstanceOf(StateStoreError);
  });
});
