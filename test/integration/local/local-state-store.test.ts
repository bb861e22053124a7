/**
 * Local mode's state store wiring: the bridge hands its functions an S3 object store on the
 * endpoint and bucket it is given (moto), and none when it is given none.
 */
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { afterEach, describe, expect, inject, it } from "vitest";
import { type LocalBridge, startLocalBridge } from "../../../functions/local/start-local-bridge.ts";
import { parseTargetsConfig } from "../../../lib/config/targets.ts";
import { createTestBucket, testS3Client } from "../../support/s3.ts";

const targets = parseTargetsConfig({
  version: 1,
  clusters: { test: { type: "kubeconfig", source: "file:/nonexistent/kubeconfig" } },
  targets: [{ name: "web", repo: "acme/config", path: "deploy", cluster: "test", namespace: "web" }],
});

let bridge: LocalBridge | undefined;
afterEach(async () => {
  await bridge?.close();
  bridge = undefined;
});

const startWith = (stateStore?: { endpoint: string; bucket: string }) =>
  startLocalBridge({
    targets,
    source: { kind: "local", directories: { "acme/config": "/nonexistent" } },
    webhookSecret: "local-test-secret",
    sqsEndpoint: inject("sqsEndpoint"),
    logLevel: "SILENT",
    write: () => undefined,
    stateStore,
  });

describe("local mode's state store", () => {
  it("is an S3 object store with real conditional writes on the bucket it is given", async () => {
    // Prepare
    const s3 = testS3Client();
    const bucket = await createTestBucket(s3);
    bridge = await startWith({ endpoint: inject("motoEndpoint"), bucket });

    // Act
    const created = await bridge.stateStore?.put("config/current.json", '{"n":1}', { ifNoneMatch: "*" });
    const again = await bridge.stateStore?.put("config/current.json", '{"n":2}', { ifNoneMatch: "*" });
    const stored = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "config/current.json" }));
    const body = await stored.Body?.transformToString();
    s3.destroy();

    // Assess
    expect(bridge.stateStore?.bucket).toBe(bucket);
    expect(created?.kind).toBe("written");
    expect(again).toEqual({ kind: "conflict" });
    expect(body).toBe('{"n":1}');
  });

  it("is absent when none is given", async () => {
    // Act
    bridge = await startWith();

    // Assess
    expect(bridge.stateStore).toBeUndefined();
  });
});
