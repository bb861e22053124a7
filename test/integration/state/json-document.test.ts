/**
 * The JSON-document helper over the S3 adapter, against moto: schema-checked reads and writes,
 * revalidation of the version last seen (one conditional request, no body), and
 * read–modify–write by compare-and-swap that loses no update when writers race.
 */
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import * as z from "zod";
import { StateStoreError } from "../../../lib/errors.ts";
import { createS3ObjectStore, lazyS3Client } from "../../../lib/state/adapters/s3-object-store.ts";
import { jsonDocument } from "../../../lib/state/json-document.ts";
import type { GetResult, ObjectStore } from "../../../lib/state/object-store.ts";
import { MOTO_CREDENTIALS, MOTO_REGION } from "../../support/moto.ts";
import { createTestBucket, testS3Client } from "../../support/s3.ts";

const Counter = z.object({ count: z.number().int(), writers: z.array(z.string()).default([]) });
type Counter = z.infer<typeof Counter>;

function storeFor(bucket: string): ObjectStore {
  return createS3ObjectStore({
    bucket,
    client: lazyS3Client({
      endpoint: inject("motoEndpoint"),
      region: MOTO_REGION,
      credentials: MOTO_CREDENTIALS,
    }),
  });
}

/** The store, recording what each read answered (to see revalidations). */
function recording(store: ObjectStore): { store: ObjectStore; reads: Array<GetResult["kind"]> } {
  const reads: Array<GetResult["kind"]> = [];
  return {
    reads,
    store: {
      ...store,
      async get(key, options) {
        const answer = await store.get(key, options);
        reads.push(answer.kind);
        return answer;
      },
    },
  };
}

let s3: S3Client;
let bucket: string;
beforeAll(async () => {
  s3 = testS3Client();
  bucket = await createTestBucket(s3);
});
afterAll(() => {
  s3.destroy();
});

describe("jsonDocument", () => {
  it("creates, reads back and revalidates an unchanged document without downloading it again", async () => {
    // Prepare
    const { store, reads } = recording(storeFor(bucket));
    const doc = jsonDocument(store, "docs/created.json", Counter);

    // Act
    const before = await doc.read();
    const created = await doc.write({ count: 1, writers: [] }, "absent");
    const first = await doc.read();
    const second = await doc.read();

    // Assess
    expect(before).toEqual({ kind: "missing" });
    expect(created.kind).toBe("written");
    expect(first).toEqual({ kind: "found", value: { count: 1, writers: [] }, etag: expect.any(String) });
    expect(second).toEqual(first);
    expect(reads).toEqual(["missing", "not-modified", "not-modified"]);
  });

  it("sees another writer's change on the next read", async () => {
    // Prepare
    const mine = jsonDocument(storeFor(bucket), "docs/shared.json", Counter);
    const theirs = jsonDocument(storeFor(bucket), "docs/shared.json", Counter);
    await mine.write({ count: 1, writers: ["mine"] }, "absent");
    await theirs.update((c) => ({ count: (c?.count ?? 0) + 1, writers: [...(c?.writers ?? []), "theirs"] }));

    // Act
    const read = await mine.read();

    // Assess
    expect(read.kind === "found" && read.value).toEqual({ count: 2, writers: ["mine", "theirs"] });
  });

  it("loses no update when two writers increment concurrently (compare-and-swap, re-read on conflict)", async () => {
    // Prepare: two writers with their own clients, 8 increments each, interleaved.
    const key = "docs/counter.json";
    const a = jsonDocument(storeFor(bucket), key, Counter);
    const b = jsonDocument(storeFor(bucket), key, Counter);
    const increment = (who: string) => (c: Counter | undefined) => ({
      count: (c?.count ?? 0) + 1,
      writers: [...(c?.writers ?? []), who],
    });

    // Act
    await Promise.all(
      [a, b].map(async (doc, i) => {
        for (let n = 0; n < 8; n += 1) await doc.update(increment(i === 0 ? "a" : "b"), { maxAttempts: 50 });
      }),
    );
    const final = await jsonDocument(storeFor(bucket), key, Counter).read();

    // Assess
    expect(final.kind === "found" && final.value.count).toBe(16);
    expect(final.kind === "found" && final.value.writers.filter((w) => w === "a").length).toBe(8);
  });

  it("a write with an ETag that is no longer current is a conflict", async () => {
    // Prepare
    const doc = jsonDocument(storeFor(bucket), "docs/stale.json", Counter);
    const first = await doc.write({ count: 1, writers: [] }, "absent");
    if (first.kind !== "written") throw new Error("seed failed");
    await doc.write({ count: 2, writers: [] }, { etag: first.etag });

    // Act
    const stale = await doc.write({ count: 3, writers: [] }, { etag: first.etag });
    const twice = await doc.write({ count: 3, writers: [] }, "absent");

    // Assess
    expect(stale).toEqual({ kind: "conflict" });
    expect(twice).toEqual({ kind: "conflict" });
  });

  it("update returns unchanged and writes nothing when the change says so", async () => {
    // Prepare
    const { store, reads } = recording(storeFor(bucket));
    const doc = jsonDocument(store, "docs/unchanged.json", Counter);

    // Act
    const result = await doc.update((c) => (c === undefined ? undefined : { ...c, count: c.count + 1 }));

    // Assess
    expect(result).toEqual({ kind: "unchanged", value: undefined });
    expect(await doc.read()).toEqual({ kind: "missing" });
    expect(reads).toEqual(["missing", "missing"]);
  });

  it("a stored object that is not JSON, or does not match the schema, is a permanent error naming it", async () => {
    // Prepare: written by something else, straight through the SDK.
    for (const [key, body] of [
      ["docs/garbage.json", "not json {"],
      ["docs/wrong-shape.json", '{"count":"three"}'],
    ] as const) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    }

    // Act
    const errors = await Promise.all(
      ["docs/garbage.json", "docs/wrong-shape.json"].map((key) =>
        jsonDocument(storeFor(bucket), key, Counter)
          .read()
          .then(
            () => undefined,
            (e: unknown) => e,
          ),
      ),
    );

    // Assess
    const [garbage, wrongShape] = errors;
    expect(garbage).toBeInstanceOf(StateStoreError);
    expect(wrongShape).toBeInstanceOf(StateStoreError);
    if (!(garbage instanceof StateStoreError) || !(wrongShape instanceof StateStoreError)) return;
    expect(garbage.retryable).toBe(false);
    expect(garbage.message).toBe(`state store: s3://${bucket}/docs/garbage.json is not JSON`);
    expect(wrongShape.retryable).toBe(false);
    expect(wrongShape.message).toContain(
      `s3://${bucket}/docs/wrong-shape.json does not match its schema: count:`,
    );
  });

  it("refuses to write a value its schema rejects, before any request", async () => {
    // Prepare
    const { store, reads } = recording(storeFor(bucket));
    const doc = jsonDocument(store, "docs/refused.json", Counter);

    // Act
    const error = await doc.write({ count: 1.5, writers: [] }, "absent").then(
      () => undefined,
      (e: unknown) => e,
    );

    // Assess
    expect(error).toBeInstanceOf(StateStoreError);
    expect(error instanceof StateStoreError && error.retryable).toBe(false);
    expect(await doc.read()).toEqual({ kind: "missing" });
    expect(reads).toEqual(["missing"]);
  });
});
