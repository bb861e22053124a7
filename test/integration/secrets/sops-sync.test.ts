/**
 * SOPS-encrypted manifests end to end on real servers: the real `sops` binary encrypted the
 * fixtures (test/fixtures/sops), moto is the KMS (its key re-wraps each fixture's data key), the
 * real kube-apiserver stores the decrypted objects, and denials and throttling come through the
 * fault proxy in front of moto (moto enforces no key policy and never throttles).
 */

import { KMSClient } from "@aws-sdk/client-kms";
import { CoreV1Api } from "@kubernetes/client-node";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { createKmsDataKeys } from "../../../lib/secrets/adapters/kms-data-keys.ts";
import { ageIdentityText, createTestKmsKey, rewrapForKms, sopsFixture } from "../../factories/sops.ts";
import { type Bridge, startBridge } from "../../support/bridge.ts";
import { type FaultProxy, startFaultProxy } from "../../support/fault-proxy.ts";
import { kubeConfigFor } from "../../support/kube.ts";
import { MOTO_CREDENTIALS, MOTO_REGION } from "../../support/moto.ts";

const core = () => kubeConfigFor("admin").makeApiClient(CoreV1Api);
const AGE_REF = "ssm:/pullbridge/age/team-a";

let proxy: FaultProxy;
let kmsClient: KMSClient;
let arn: string;
let bridge: Bridge | undefined;

beforeAll(async () => {
  proxy = await startFaultProxy({ upstream: inject("motoEndpoint") });
  // The worker's KMS client goes through the proxy, with one attempt: what the proxy answers is what it sees.
  kmsClient = new KMSClient({
    endpoint: inject("motoEndpoint"),
    region: MOTO_REGION,
    credentials: MOTO_CREDENTIALS,
  });
  arn = await createTestKmsKey(kmsClient);
});
afterAll(async () => {
  await proxy.close();
});
afterEach(async () => {
  proxy.setRule(undefined);
  await bridge?.close();
  bridge = undefined;
});

/** A bridge whose target may decrypt with the moto KMS key and team A's age key. */
async function sopsBridge(
  options: { keys?: string[]; preview?: boolean; fleet?: boolean } = {},
): Promise<Bridge> {
  const workerKms = new KMSClient({
    endpoint: proxy.url,
    region: MOTO_REGION,
    credentials: MOTO_CREDENTIALS,
    maxAttempts: 1,
  });
  return await startBridge({
    target: {
      decryption: { keys: options.keys ?? ["team-a-kms", "team-a-age"] },
      preview: options.preview ?? false,
    },
    keys: {
      "team-a-kms": { type: "kms", arn },
      "team-a-age": { type: "age", privateKey: AGE_REF },
    },
    kms: createKmsDataKeys({ clientFor: () => workerKms }),
    storedSecrets: { [AGE_REF]: ageIdentityText("a") },
    ...(options.fleet ? { fleet: true as const } : {}),
  });
}

/** A fixture readable by KMS only (its age entry removed), re-wrapped for this run's moto key. */
const kmsOnly = (name: string) => rewrapForKms(sopsFixture(name), { kms: kmsClient, arn, kmsOnly: true });

const reported = (b: Bridge, sha: string) => {
  const statuses = b.world.fake.statuses(sha);
  const runs = b.world.fake.checkRuns(sha);
  return {
    state: statuses.at(-1)?.state,
    text: [
      ...statuses.map((s) => s.description ?? ""),
      ...runs.flatMap((r) => [
        r.title ?? "",
        r.summary ?? "",
        r.text ?? "",
        ...(r.annotations ?? []).map((a) => `${a.path} ${a.message}`),
      ]),
    ].join("\n"),
  };
};

describe("SOPS-encrypted manifests", () => {
  it("syncs a KMS-encrypted Secret decrypted, and re-syncs it with zero writes", async () => {
    // Prepare
    bridge = await sopsBridge({ keys: ["team-a-kms"] });
    const file = await kmsOnly("secret.enc.yaml");

    // Act
    const first = await bridge.push({ "deploy/secret.yaml": file });
    await bridge.drain();
    const secret = await core().readNamespacedSecret({ name: "db-credentials", namespace: bridge.namespace });
    const before = bridge.clusterRequests().writes;
    await bridge.scheduleDrift();
    await bridge.drain();
    const again = await core().readNamespacedSecret({ name: "db-credentials", namespace: bridge.namespace });

    // Assess
    expect(reported(bridge, first.sha).state).toBe("success");
    const decoded = (key: string) => Buffer.from(secret.data?.[key] ?? "", "base64").toString("utf8");
    expect(decoded("password")).toBe("s3cr3t-P4ssw0rd-first");
    expect(decoded("username")).toBe("app-user");
    expect(decoded("token")).toBe("token-value-12345");
    expect(secret.metadata?.labels?.app).toBe("web");
    expect(secret.metadata?.annotations?.["pullbridge.dev/encrypted-values"]).toContain(
      "/stringData/password",
    );
    expect(again.metadata?.resourceVersion).toBe(secret.metadata?.resourceVersion);
    expect(bridge.clusterRequests().writes - before).toBe(0);
    expect(reported(bridge, first.sha).text).not.toContain("s3cr3t-P4ssw0rd-first");
  });

  it("with the fleet cache on, never stores a render or routing record of a tree holding SOPS files; cached trees hold only ciphertext", async () => {
    // Prepare
    bridge = await sopsBridge({ keys: ["team-a-kms"], fleet: true });
    const file = await kmsOnly("secret.enc.yaml");

    // Act: a push, then a drift tick (which would reuse a cached render).
    const first = await bridge.push({ "deploy/secret.yaml": file });
    await bridge.drain();
    await bridge.scheduleDrift();
    await bridge.drain();

    // Assess
    expect(reported(bridge, first.sha).state).toBe("success");
    const store = bridge.fleet?.store;
    if (store === undefined) throw new Error("the bridge has no state bucket");
    expect(await store.list("cache/renders/")).toEqual([]);
    expect(await store.list("routing/")).toEqual([]);
    const blobs = await store.list("cache/trees/");
    expect(blobs.length).toBeGreaterThan(0);
    for (const blob of blobs) {
      const read = await store.get(blob.key);
      const text = read.kind === "found" ? Buffer.from(read.body).toString("latin1") : "";
      expect(text, blob.key).not.toContain("s3cr3t-P4ssw0rd-first");
    }
  });

  it("syncs an age-encrypted ConfigMap (its key read from SSM), and re-syncs it with zero writes", async () => {
    // Prepare
    bridge = await sopsBridge({ keys: ["team-a-age"] });

    // Act
    const first = await bridge.push({ "deploy/settings.yaml": sopsFixture("configmap.enc.yaml") });
    await bridge.drain();
    const cm = await core().readNamespacedConfigMap({ name: "app-settings", namespace: bridge.namespace });
    const before = bridge.clusterRequests().writes;
    await bridge.scheduleDrift();
    await bridge.drain();

    // Assess
    expect(reported(bridge, first.sha).state).toBe("success");
    expect(cm.data).toEqual({ endpoint: "https://internal.example/api", apiKey: "ak-8f3b2c9d4e5f6a7b" });
    expect(bridge.clusterRequests().writes - before).toBe(0);
  });

  it("refuses a file whose MAC does not match, naming it, and writes nothing", async () => {
    // Prepare
    bridge = await sopsBridge();
    const tampered = sopsFixture("secret.enc.yaml").replace("app: web", "app: evil");

    // Act
    const pushed = await bridge.push({
      "deploy/secret.yaml": tampered,
      "deploy/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\n",
    });
    await bridge.drain();

    // Assess
    const report = reported(bridge, pushed.sha);
    expect(report.state).toBe("failure");
    expect(report.text).toContain("deploy/secret.yaml");
    expect(report.text).toContain("MAC mismatch");
    expect(bridge.clusterRequests().writes).toBe(0);
  });

  it("refuses a file encrypted for another tenant's key, whatever its metadata says", async () => {
    // Prepare
    bridge = await sopsBridge();

    // Act
    const pushed = await bridge.push({ "deploy/secret.yaml": sopsFixture("secret-team-b.enc.yaml") });
    await bridge.drain();

    // Assess
    const report = reported(bridge, pushed.sha);
    expect(report.state).toBe("failure");
    expect(report.text).toContain("deploy/secret.yaml");
    expect(report.text).toContain("none of which target web may decrypt with");
    expect(bridge.clusterRequests().writes).toBe(0);
  });

  it("fails permanently, naming the file and the key, when kms:Decrypt is denied", async () => {
    // Prepare
    bridge = await sopsBridge({ keys: ["team-a-kms"] });
    const file = await kmsOnly("secret.enc.yaml");
    proxy.setRule(() => ({
      respond: {
        status: 400,
        headers: { "content-type": "application/x-amz-json-1.1" },
        body: JSON.stringify({
          __type: "AccessDeniedException",
          message:
            "User is not authorized to perform: kms:Decrypt because no resource-based policy allows it",
        }),
      },
    }));

    // Act
    const pushed = await bridge.push({ "deploy/secret.yaml": file });
    const results = await bridge.drain();

    // Assess
    const report = reported(bridge, pushed.sha);
    expect(report.state).toBe("failure");
    expect(report.text).toContain("deploy/secret.yaml");
    expect(report.text).toContain(`kms:Decrypt on ${arn} was denied`);
    expect(results.reduce((n, r) => n + r.failed, 0)).toBe(0);
    expect(bridge.clusterRequests().writes).toBe(0);
  });

  it("retries when KMS throttles, and syncs once it answers", async () => {
    // Prepare
    bridge = await sopsBridge({ keys: ["team-a-kms"] });
    const file = await kmsOnly("secret.enc.yaml");
    proxy.setRule(() => ({
      respond: {
        status: 400,
        headers: { "content-type": "application/x-amz-json-1.1" },
        body: JSON.stringify({ __type: "ThrottlingException", message: "Rate exceeded" }),
      },
    }));

    // Act
    const pushed = await bridge.push({ "deploy/secret.yaml": file });
    const throttled = await bridge.pollOnce();
    const whileThrottled = reported(bridge, pushed.sha);
    proxy.setRule(undefined);
    await bridge.drain();

    // Assess
    expect(throttled.failed).toBe(1);
    expect(whileThrottled.state).toBe("pending");
    expect(whileThrottled.text).toContain("KMS throttled");
    expect(reported(bridge, pushed.sha).state).toBe("success");
  });
});

describe("previews of encrypted changes", () => {
  it("show which encrypted keys change, never a value, and decrypt nothing", async () => {
    // Prepare
    bridge = await sopsBridge({ keys: ["team-a-kms"], preview: true });
    const v1 = await kmsOnly("secret.enc.yaml");
    const v2 = await kmsOnly("secret-v2.enc.yaml");
    await bridge.push({ "deploy/secret.yaml": v1 });
    await bridge.drain();
    const kmsCallsBefore = proxy.seen.length;

    // Act
    const pr = await bridge.openPullRequest({ branch: "rotate", files: { "deploy/secret.yaml": v2 } });
    await bridge.drain();

    // Assess
    const run = bridge.world.fake.checkRuns(pr.sha).find((r) => r.name === "pullbridge preview / web");
    const text = `${run?.summary ?? ""}\n${run?.text ?? ""}`;
    expect(run?.conclusion).toBe("success");
    expect(text).toContain("encrypted: key password changed");
    expect(text).not.toContain("s3cr3t-P4ssw0rd");
    expect(text).not.toContain("app-user");
    expect(proxy.seen.length).toBe(kmsCallsBefore);
  });
});
