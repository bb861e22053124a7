/**
 * The S3 adapter of the state-store port against a real S3-protocol server (moto, started once
 * per run by the global setup): conditional writes really decide races (exactly one of two
 * writers holding the same ETag wins), conditional reads answer 304, and failures the emulator
 * cannot produce (a denied request, throttling) come through the fault proxy with S3's own XML
 * error bodies, and are classified permanent or retryable.
 */
import type { S3Client } from "@aws-sdk/client-s3";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { StateStoreError } from "../../../lib/errors.ts";
import { createS3ObjectStore, lazyS3Client } from "../../../lib/state/adapters/s3-object-store.ts";
import type { ObjectStore, PutResult } from "../../../lib/state/object-store.ts";
import { type FaultProxy, startFaultProxy } from "../../support/fault-proxy.ts";
import { MOTO_CREDENTIALS, MOTO_REGION } from "../../support/moto.ts";
import { createTestBucket, testS3Client } from "../../support/s3.ts";

const text = (body: Uint8Array) => new TextDecoder().decode(body);

/** A store as one Lambda would build it: its own lazily built client. */
function storeFor(bucket: string, endpoint: string = inject("motoEndpoint"), maxAttempts?: number) {
  return createS3ObjectStore({
    bucket,
    client: lazyS3Client({ endpoint, region: MOTO_REGION, credentials: MOTO_CREDENTIALS, maxAttempts }),
  });
}

/** The StateStoreError a call rejects with (fails the test when it resolves or throws something else). */
async function storeErrorOf(call: Promise<unknown>): Promise<StateStoreError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof StateStoreError))
    throw new Error(`expected a StateStoreError, got ${String(error)}`);
  return error;
}

let s3: S3Client;
let bucket: string;
let store: ObjectStore;
beforeAll(async () => {
  s3 = testS3Client();
  bucket = await createTestBucket(s3);
  store = storeFor(bucket);
});
afterAll(() => {
  s3.destroy();
});

describe("conditional writes decide races", () => {
  it("two writers holding the same ETag race: exactly one wins, the other gets a conflict and overwrites nothing", async () => {
    // Prepare: two independent writers (two clients, as two Lambdas would have), 10 rounds.
    const [a, b] = [storeFor(bucket), storeFor(bucket)];
    const rounds = 10;
    const outcomes: Array<{ a: PutResult; b: PutResult; stored: string; storedEtag: string }> = [];

    // Act
    for (let round = 0; round < rounds; round += 1) {
      const key = `race/doc-${round}`;
      const first = await a.put(key, "v0", { ifNoneMatch: "*" });
      if (first.kind !== "written") throw new Error("seeding the key failed");
      const [resultA, resultB] = await Promise.all([
        a.put(key, `from-a-${round}`, { ifMatch: first.etag }),
        b.put(key, `from-b-${round}`, { ifMatch: first.etag }),
      ]);
      const stored = await store.get(key);
      if (stored.kind !== "found") throw new Error("the key vanished");
      outcomes.push({ a: resultA, b: resultB, stored: text(stored.body), storedEtag: stored.etag });
    }

    // Assess: per round one written + one conflict, and the stored object is the winner's.
    for (const [round, o] of outcomes.entries()) {
      const kinds = [o.a.kind, o.b.kind].sort();
      expect(kinds, `round ${round}`).toEqual(["conflict", "written"]);
      const [winner, winnerResult] = o.a.kind === "written" ? ["a", o.a] : ["b", o.b];
      expect(o.stored, `round ${round}`).toBe(`from-${winner}-${round}`);
      expect(winnerResult.kind === "written" && winnerResult.etag, `round ${round}`).toBe(o.storedEtag);
    }
  });

  it("a write with a stale ETag is a conflict and leaves the newer version in place", async () => {
    // Prepare
    const key = "cas/stale";
    const v1 = await store.put(key, "one", { ifNoneMatch: "*" });
    if (v1.kind !== "written") throw new Error("seed failed");
    const v2 = await store.put(key, "two", { ifMatch: v1.etag });

    // Act
    const stale = await store.put(key, "three", { ifMatch: v1.etag });
    const now = await store.get(key);

    // Assess
    expect(v2.kind).toBe("written");
    expect(stale).toEqual({ kind: "conflict" });
    expect(now.kind === "found" && text(now.body)).toBe("two");
  });

  it("create-only (If-None-Match: *) on an existing key is a conflict; on a free key it writes", async () => {
    // Prepare
    const key = "cas/create-only";

    // Act
    const created = await store.put(key, "first", { ifNoneMatch: "*" });
    const again = await store.put(key, "second", { ifNoneMatch: "*" });
    const now = await store.get(key);

    // Assess
    expect(created.kind).toBe("written");
    expect(again).toEqual({ kind: "conflict" });
    expect(now.kind === "found" && text(now.body)).toBe("first");
  });

  it("a compare-and-swap on an object deleted since it was read is a conflict, not a re-creation", async () => {
    // Prepare
    const key = "cas/deleted";
    const v1 = await store.put(key, "one", { ifNoneMatch: "*" });
    if (v1.kind !== "written") throw new Error("seed failed");
    await store.delete(key);

    // Act
    const result = await store.put(key, "two", { ifMatch: v1.etag });

    // Assess
    expect(result).toEqual({ kind: "conflict" });
    expect(await store.get(key)).toEqual({ kind: "missing" });
  });
});

describe("reads", () => {
  it("a conditional read with the current ETag is not-modified; after a change it returns the new body and ETag", async () => {
    // Prepare
    const key = "read/conditional";
    const v1 = await store.put(key, '{"a":1}', { ifNoneMatch: "*" }, { contentType: "application/json" });
    if (v1.kind !== "written") throw new Error("seed failed");

    // Act
    const unchanged = await store.get(key, { ifNoneMatch: v1.etag });
    const v2 = await store.put(key, '{"a":2}', { ifMatch: v1.etag });
    const changed = await store.get(key, { ifNoneMatch: v1.etag });

    // Assess
    expect(unchanged).toEqual({ kind: "not-modified" });
    expect(changed.kind).toBe("found");
    if (changed.kind !== "found" || v2.kind !== "written") return;
    expect(text(changed.body)).toBe('{"a":2}');
    expect(changed.etag).toBe(v2.etag);
    expect(changed.etag).not.toBe(v1.etag);
  });

  it("reports a missing key as missing, and the version id of a versioned bucket", async () => {
    // Act
    const missing = await store.get("read/never-written");
    const written = await store.put("read/versioned", "x", { unconditional: true });
    const found = await store.get("read/versioned");

    // Assess
    expect(missing).toEqual({ kind: "missing" });
    expect(written.kind === "written" && written.versionId).toEqual(expect.any(String));
    expect(found.kind === "found" && found.versionId).toBe(written.kind === "written" && written.versionId);
  });

  it("lists exactly the keys under a prefix, across pages", async () => {
    // Prepare: 7 keys under the prefix, pages of 3; a sibling prefix that must not appear.
    const paged = createS3ObjectStore({ bucket, client: testS3Client(), listPageSize: 3 });
    const keys = Array.from({ length: 7 }, (_, i) => `list/cache/item-${i}`);
    for (const key of keys) await paged.put(key, key, { unconditional: true });
    await paged.put("list/cached-sibling", "no", { unconditional: true });

    // Act
    const listed = await paged.list("list/cache/");

    // Assess
    expect(listed.map((o) => o.key)).toEqual(keys);
    expect(listed.every((o) => o.etag !== "" && o.size > 0)).toBe(true);
  });

  it("deletes, and deleting a missing key is not an error", async () => {
    // Prepare
    await store.put("delete/me", "x", { unconditional: true });

    // Act
    await store.delete("delete/me");
    await store.delete("delete/me");

    // Assess
    expect(await store.get("delete/me")).toEqual({ kind: "missing" });
  });
});

describe("failures are classified and name the object", () => {
  let proxy: FaultProxy;
  beforeAll(async () => {
    proxy = await startFaultProxy({ upstream: inject("motoEndpoint") });
  });
  afterAll(async () => {
    await proxy?.close();
  });
  afterEach(() => {
    proxy.setRule(undefined);
    proxy.seen.length = 0;
  });

  /** S3's XML error body. */
  const s3Error = (code: string, message: string, key: string) =>
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><Key>${key}</Key><RequestId>4442587FB7D0A2F9</RequestId></Error>`;
  const xml = { "content-type": "application/xml" };

  it("a denied request (403 AccessDenied) is permanent and names the bucket, key and code", async () => {
    // Prepare: the proxy denies every request, as a role without a grant for this prefix would see.
    proxy.setRule(() => ({
      respond: {
        status: 403,
        headers: xml,
        body: s3Error("AccessDenied", "Access Denied", "config/current.json"),
      },
    }));
    const viaProxy = storeFor(bucket, proxy.url);

    // Act
    const read = await storeErrorOf(viaProxy.get("config/current.json"));
    const write = await storeErrorOf(viaProxy.put("config/current.json", "{}", { ifNoneMatch: "*" }));

    // Assess
    for (const [error, operation] of [
      [read, "get"],
      [write, "put"],
    ] as const) {
      expect(error.retryable).toBe(false);
      expect(error.operation).toBe(operation);
      expect(error.code).toBe("AccessDenied");
      expect(error.status).toBe(403);
      expect(error.location).toBe(`s3://${bucket}/config/current.json`);
      expect(error.message).toContain(`s3://${bucket}/config/current.json`);
    }
    // Permanent: the SDK did not retry it either (one request per call).
    expect(proxy.seen.map((r) => r.method)).toEqual(["GET", "PUT"]);
  });

  it("throttling (503 SlowDown) is retryable, after the SDK's own retries", async () => {
    // Prepare: every request throttled; the client allows 2 attempts per call.
    proxy.setRule(() => ({
      respond: {
        status: 503,
        headers: xml,
        body: s3Error("SlowDown", "Please reduce your request rate.", "k"),
      },
    }));
    const viaProxy = storeFor(bucket, proxy.url, 2);

    // Act
    const error = await storeErrorOf(viaProxy.put("cache/k", "x", { unconditional: true }));

    // Assess
    expect(error.retryable).toBe(true);
    expect(error.code).toBe("SlowDown");
    expect(error.status).toBe(503);
    expect(error.location).toBe(`s3://${bucket}/cache/k`);
    expect(proxy.seen.length).toBe(2);
  });

  it("a throttled call that the SDK's retry gets through succeeds", async () => {
    // Prepare: the first request is throttled, then the proxy forwards to moto.
    let throttled = 0;
    proxy.setRule(() => {
      if (throttled > 0) return undefined;
      throttled += 1;
      return { respond: { status: 503, headers: xml, body: s3Error("SlowDown", "Slow down", "k") } };
    });
    const viaProxy = storeFor(bucket, proxy.url, 3);

    // Act
    const written = await viaProxy.put("cache/retried", "x", { unconditional: true });

    // Assess
    expect(written.kind).toBe("written");
    expect(proxy.seen.map((r) => r.action)).toEqual(["respond", "forward"]);
  });

  it("a missing bucket is a permanent error, not a missing key", async () => {
    // Prepare
    const nowhere = storeFor("pullbridge-no-such-bucket");

    // Act
    const error = await storeErrorOf(nowhere.get("config/current.json"));

    // Assess
    expect(error.retryable).toBe(false);
    expect(error.code).toBe("NoSuchBucket");
    expect(error.message).toContain("s3://pullbridge-no-such-bucket/config/current.json");
  });

  it("an unreachable endpoint is retryable", async () => {
    // Prepare: a proxy that resets every connection, as a network failure would.
    proxy.setRule(() => ({ reset: true }));
    const viaProxy = storeFor(bucket, proxy.url, 1);

    // Act
    const error = await storeErrorOf(viaProxy.list("cache/"));

    // Assess
    expect(error.retryable).toBe(true);
    expect(error.operation).toBe("list");
    expect(error.location).toBe(`s3://${bucket}/cache/`);
  });
});
