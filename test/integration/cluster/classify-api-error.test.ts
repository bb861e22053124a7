/**
 * Every row of the API error table (lib/cluster/classify-api-error.ts), provoked for real: the
 * API server's own answers where it can give them (validation, conversion, schema, conflicts,
 * quota, admission, RBAC, authentication, not found, bad request, media type), and a fault proxy
 * in front of the real server for what a network does (429/503 with Retry-After, a 502 from a
 * load balancer, a request that is never answered, a reset connection).
 */
import { setTimeout as sleep } from "node:timers/promises";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { createClusterClient } from "../../../lib/cluster/adapters/kube-cluster-client.ts";
import { kubeConfigFromToken } from "../../../lib/cluster/adapters/kube-config.ts";
import {
  clusterErrorFromResponse,
  createKubeTransport,
  type KubeTransport,
} from "../../../lib/cluster/adapters/kube-http-transport.ts";
import type { ApiResource } from "../../../lib/cluster/cluster-port.ts";
import { timeBudgetSignal } from "../../../lib/cluster/time-budget.ts";
import { ClusterError } from "../../../lib/errors.ts";
import type { KubeObject } from "../../../lib/manifests/kube-object.ts";
import { CONFIGMAPS, configMap, DEPLOYMENTS, deployment, secret } from "../../factories/sync.ts";
import { type FaultProxy, startFaultProxy, statusBody } from "../../support/fault-proxy.ts";
import { createTestNamespace, kubeConfigFor, uniqueName } from "../../support/kube.ts";

const SECRETS: ApiResource = {
  group: "",
  version: "v1",
  kind: "Secret",
  resource: "secrets",
  namespaced: true,
};

const cp = () => inject("controlPlane");
const caData = () => Buffer.from(cp().caPem).toString("base64");
const kubeConfigAt = (server: string, token = cp().admin.token) =>
  kubeConfigFromToken({ server, caData: caData(), token });
const admin = (transport?: Parameters<typeof createClusterClient>[0]["transport"]) =>
  createClusterClient({ kubeConfig: kubeConfigAt(cp().server), ...(transport ? { transport } : {}) });

/** The ClusterError a call rejects with (fails the test when it resolves or throws something else). */
async function failureOf(call: Promise<unknown>): Promise<ClusterError> {
  const outcome = await call.then(
    () => new Error("expected the call to fail"),
    (error: unknown) => error,
  );
  if (!(outcome instanceof ClusterError)) throw outcome;
  return outcome;
}

/**
 * Repeats `call` until it fails with a ClusterError `accept`s, for configuration the API server
 * picks up asynchronously (admission policies, webhooks, quotas come through informers).
 */
async function untilRefused(
  call: () => Promise<unknown>,
  accept: (error: ClusterError) => boolean = () => true,
): Promise<ClusterError> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const outcome = await call().then(
      () => undefined,
      (error: unknown) => error,
    );
    if (outcome !== undefined && !(outcome instanceof ClusterError)) throw outcome;
    if (outcome instanceof ClusterError && accept(outcome)) return outcome;
    await sleep(100);
  }
  throw new Error("the API server never refused the call");
}

const classOf = (error: ClusterError) => ({ failureClass: error.failureClass, retryable: error.retryable });

let namespace: string;
let adminTransport: KubeTransport;

beforeAll(async () => {
  namespace = await createTestNamespace("classify");
  adminTransport = await createKubeTransport({ kubeConfig: kubeConfigFor("admin") });
});

afterAll(async () => {
  await adminTransport?.close();
});

const apply = async (object: KubeObject, resource: ApiResource = CONFIGMAPS, dryRun = true) => {
  const client = await admin();
  try {
    return await client.apply({ resource, object, force: false, dryRun });
  } finally {
    await client.close();
  }
};

describe("API answers, provoked on the real API server", () => {
  it("validation (422): an invalid ConfigMap key is permanent", async () => {
    // Act
    const error = await failureOf(apply(configMap(namespace, "bad-key", { "a b": "x" })));

    // Assess
    expect(classOf(error)).toEqual({ failureClass: "validation", retryable: false });
    expect(error.status).toBe(422);
  });

  it("conversion (500 failed to convert new object): `memory: 512mb` and invalid base64 in Secret data are permanent", async () => {
    // Prepare
    const bad = deployment(namespace, "mem", { image: "nginx" });
    const spec = bad.spec as { template: { spec: { containers: Array<Record<string, unknown>> } } };
    const [container] = spec.template.spec.containers;
    if (container) container.resources = { limits: { memory: "512mb" } };
    const badBase64: KubeObject = { ...secret(namespace, "b64", {}), data: { key: "not base64!!" } };

    // Act
    const quantity = await failureOf(apply(bad, DEPLOYMENTS));
    const base64 = await failureOf(apply(badBase64, SECRETS));

    // Assess
    expect([classOf(quantity), classOf(base64)]).toEqual([
      { failureClass: "conversion", retryable: false },
      { failureClass: "conversion", retryable: false },
    ]);
    expect([quantity.status, base64.status]).toEqual([500, 500]);
    expect(quantity.message).toContain("quantities must match the regular expression");
    expect(base64.message).toContain("illegal base64 data");
  });

  it("schema (500 failed to create typed patch object): a field of the wrong type is permanent, and a Secret's value is redacted", async () => {
    // Prepare
    const pin: KubeObject = { ...secret(namespace, "pin", {}), stringData: { pin: 98765432 } };

    // Act
    const error = await failureOf(apply(pin, SECRETS));

    // Assess
    expect(classOf(error)).toEqual({ failureClass: "schema", retryable: false });
    expect(error.message).toContain(".stringData.pin: expected string");
    expect(error.message).toContain("{Value:***}");
    expect(error.message).not.toContain("98765432");
  });

  it("field conflict (409 FieldManagerConflict) is permanent; the sync reads its causes", async () => {
    // Prepare: another manager owns .data.color.
    const name = uniqueName("owned");
    const response = await adminTransport.send({
      method: "PATCH",
      path: `/api/v1/namespaces/${namespace}/configmaps/${name}`,
      query: { fieldManager: "kubectl" },
      contentType: "application/apply-patch+yaml",
      body: configMap(namespace, name, { color: "blue" }),
      countAs: "write",
    });
    expect(response.status).toBe(201);

    // Act
    const error = await failureOf(apply(configMap(namespace, name, { color: "green" }), CONFIGMAPS, false));

    // Assess
    console.log(error.message, JSON.stringify(error.causes), error.reason);
    expect(classOf(error)).toEqual({ failureClass: "field-conflict", retryable: false });
    expect(error.causes.map((c) => c.field)).toEqual([".data.color"]);
  });

  it("resourceVersion conflict (409): retryable on the ApplySet parent (our precondition), permanent when a manifest carries one", async () => {
    // Prepare
    const client = await admin();
    const name = uniqueName("parent");
    const parent = (resourceVersion?: string): KubeObject => ({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name, namespace, ...(resourceVersion ? { resourceVersion } : {}) },
      type: "Opaque",
    });
    const first = await client.applyApplySetParent({ parent: parent() });
    await client.applyApplySetParent({
      parent: {
        ...parent(first.metadata.resourceVersion),
        metadata: { ...parent().metadata, labels: { v: "2" } },
      },
    });

    // Act
    const ours = await failureOf(
      client.applyApplySetParent({ parent: parent(first.metadata.resourceVersion) }),
    );
    const manifests = await failureOf(
      client.apply({
        resource: SECRETS,
        object: parent(first.metadata.resourceVersion),
        force: true,
        dryRun: false,
      }),
    );
    await client.close();

    // Assess
    expect([classOf(ours), classOf(manifests)]).toEqual([
      { failureClass: "version-conflict", retryable: true },
      { failureClass: "version-conflict", retryable: false },
    ]);
    expect(ours.status).toBe(409);
  });

  it("already exists (409 on create) is retryable: a concurrent creation won the race", async () => {
    // Prepare
    const create = () =>
      adminTransport.send({
        method: "POST",
        path: `/api/v1/namespaces/${namespace}/configmaps`,
        body: configMap(namespace, "twice", { a: "1" }),
        countAs: "write",
      });
    await create();

    // Act
    const error = clusterErrorFromResponse({ response: await create(), operation: "create" });

    // Assess
    expect(classOf(error)).toEqual({ failureClass: "already-exists", retryable: true });
    expect(error.status).toBe(409);
  });

  it("quota (403): an uncomputed quota is retryable, an exceeded one permanent", async () => {
    // Prepare: no controller-manager here, so the admin plays the quota controller.
    const ns = await createTestNamespace("quota");
    const quota = { apiVersion: "v1", kind: "ResourceQuota", metadata: { name: "q", namespace: ns } };
    const created = await adminTransport.send({
      method: "POST",
      path: `/api/v1/namespaces/${ns}/resourcequotas`,
      body: { ...quota, spec: { hard: { "count/configmaps": "1" } } },
      countAs: "write",
    });
    expect(created.status).toBe(201);

    // The quota controller would first publish the limits (usage still unknown), then the usage.
    const publishStatus = (status: unknown) =>
      adminTransport.send({
        method: "PATCH",
        path: `/api/v1/namespaces/${ns}/resourcequotas/q/status`,
        contentType: "application/merge-patch+json",
        body: { status },
        countAs: "write",
      });
    // Quota admission skips dry-runs (they consume nothing), so these are real writes; it reads
    // quotas from an informer, so ask until it has seen each status.
    const write = () => apply(configMap(ns, uniqueName("cm"), { a: "1" }), CONFIGMAPS, false);

    // Act
    const limits = await publishStatus({ hard: { "count/configmaps": "1" } });
    const pending = await untilRefused(write);
    const computed = await publishStatus({
      hard: { "count/configmaps": "1" },
      used: { "count/configmaps": "1" },
    });
    const exceeded = await untilRefused(write, (e) => e.failureClass !== "quota-pending");

    // Assess
    expect([limits.status, computed.status]).toEqual([200, 200]);
    expect([classOf(pending), classOf(exceeded)]).toEqual([
      { failureClass: "quota-pending", retryable: true },
      { failureClass: "quota-exceeded", retryable: false },
    ]);
    expect(exceeded.status).toBe(403);
  });

  it("namespace terminating (403) is retryable: it can take objects again once it is gone", async () => {
    // Prepare: without a namespace controller a deleted namespace stays Terminating.
    const ns = await createTestNamespace("ending");
    await kubeConfigFor("admin").makeApiClient(CoreV1Api).deleteNamespace({ name: ns });

    // Act
    const error = await failureOf(apply(configMap(ns, "late", { a: "1" })));

    // Assess
    expect(classOf(error)).toEqual({ failureClass: "namespace-terminating", retryable: true });
  });

  describe("admission", () => {
    const cleanups: Array<() => Promise<unknown>> = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0)) await cleanup();
    });

    /** A namespace only the test's admission configuration applies to. */
    async function labelledNamespace(label: string): Promise<string> {
      const name = uniqueName("adm");
      await kubeConfigFor("admin")
        .makeApiClient(CoreV1Api)
        .createNamespace({ body: { metadata: { name, labels: { [label]: name } } } });
      return name;
    }

    async function create(path: string, body: unknown) {
      const response = await adminTransport.send({ method: "POST", path, body, countAs: "write" });
      expect(response.status).toBe(201);
      const name = (body as { metadata: { name: string } }).metadata.name;
      cleanups.push(() =>
        adminTransport.send({ method: "DELETE", path: `${path}/${name}`, countAs: "write" }),
      );
    }

    it("a ValidatingAdmissionPolicy denial is permanent", async () => {
      // Prepare
      const label = "pullbridge.test/vap";
      const ns = await labelledNamespace(label);
      const name = uniqueName("no-forbidden-key");
      const base = "/apis/admissionregistration.k8s.io/v1";
      await create(`${base}/validatingadmissionpolicies`, {
        apiVersion: "admissionregistration.k8s.io/v1",
        kind: "ValidatingAdmissionPolicy",
        metadata: { name },
        spec: {
          failurePolicy: "Fail",
          matchConstraints: {
            resourceRules: [
              {
                apiGroups: [""],
                apiVersions: ["v1"],
                operations: ["CREATE", "UPDATE"],
                resources: ["configmaps"],
              },
            ],
          },
          validations: [
            { expression: "!has(object.data) || !('forbidden' in object.data)", message: "no forbidden key" },
          ],
        },
      });
      await create(`${base}/validatingadmissionpolicybindings`, {
        apiVersion: "admissionregistration.k8s.io/v1",
        kind: "ValidatingAdmissionPolicyBinding",
        metadata: { name },
        spec: {
          policyName: name,
          validationActions: ["Deny"],
          matchResources: { namespaceSelector: { matchLabels: { [label]: ns } } },
        },
      });

      // Act: the API server loads new policies asynchronously; ask until it enforces this one.
      const error = await untilRefused(() => apply(configMap(ns, "cm", { forbidden: "x" })));

      // Assess
      expect(error.message).toContain(
        `ValidatingAdmissionPolicy '${name}' with binding '${name}' denied request`,
      );
      expect(classOf(error)).toEqual({ failureClass: "admission-denied", retryable: false });
    });

    it("an unreachable admission webhook (failurePolicy Fail) is retryable", async () => {
      // Prepare
      const label = "pullbridge.test/webhook-down";
      const ns = await labelledNamespace(label);
      const name = `${uniqueName("down")}.pullbridge.test`;
      await create("/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations", {
        apiVersion: "admissionregistration.k8s.io/v1",
        kind: "ValidatingWebhookConfiguration",
        metadata: { name },
        webhooks: [
          {
            name,
            // Port 1 on loopback: nothing listens, the connection is refused.
            clientConfig: { url: "https://127.0.0.1:1/validate" },
            rules: [
              {
                apiGroups: [""],
                apiVersions: ["v1"],
                operations: ["CREATE", "UPDATE"],
                resources: ["configmaps"],
              },
            ],
            namespaceSelector: { matchLabels: { [label]: ns } },
            failurePolicy: "Fail",
            sideEffects: "None",
            admissionReviewVersions: ["v1"],
            timeoutSeconds: 2,
          },
        ],
      });

      // Act: webhook configurations are loaded asynchronously too.
      const error = await untilRefused(() => apply(configMap(ns, "cm", { a: "x" })));

      // Assess
      expect(error.message).toContain("failed calling webhook");
      expect(classOf(error)).toEqual({ failureClass: "admission-unavailable", retryable: true });
    });
  });

  it("forbidden (403 RBAC) is permanent", async () => {
    // Prepare: the worker has no rights in this namespace.
    const worker = await createClusterClient({ kubeConfig: kubeConfigFor("worker") });

    // Act
    const error = await failureOf(
      worker.apply({
        resource: CONFIGMAPS,
        object: configMap(namespace, "x", {}),
        force: false,
        dryRun: true,
      }),
    );
    await worker.close();

    // Assess
    expect(classOf(error)).toEqual({ failureClass: "forbidden", retryable: false });
  });

  it("unauthorized (401) is retryable: the next attempt resolves fresh credentials", async () => {
    // Prepare
    const stale = await createClusterClient({ kubeConfig: kubeConfigAt(cp().server, "expired-token") });

    // Act
    const error = await failureOf(stale.get({ resource: CONFIGMAPS, namespace, name: "x" }));
    await stale.close();

    // Assess
    expect(classOf(error)).toEqual({ failureClass: "unauthorized", retryable: true });
    expect(error.status).toBe(401);
  });

  it("not found (404): a namespace that does not exist is permanent", async () => {
    // Act
    const error = await failureOf(apply(configMap(uniqueName("missing"), "x", {})));

    // Assess
    expect(classOf(error)).toEqual({ failureClass: "not-found", retryable: false });
  });

  it("bad request (400) and other client errors (415) are permanent", async () => {
    // Prepare
    const client = await admin();

    // Act
    const badSelector = await failureOf(
      client.list({ resource: CONFIGMAPS, namespace, labelSelector: "a b c" }),
    );
    const mediaType = clusterErrorFromResponse({
      response: await adminTransport.send({
        method: "PATCH",
        path: `/api/v1/namespaces/${namespace}/configmaps/x`,
        contentType: "text/plain",
        body: "x",
        countAs: "write",
      }),
      operation: "patch",
    });
    await client.close();

    // Assess
    expect([classOf(badSelector), classOf(mediaType)]).toEqual([
      { failureClass: "bad-request", retryable: false },
      { failureClass: "client-error", retryable: false },
    ]);
    expect(mediaType.status).toBe(415);
  });
});

describe("transport failures and server-requested waits, through a fault proxy in front of the real API server", () => {
  let proxy: FaultProxy;
  beforeAll(async () => {
    proxy = await startFaultProxy({ upstream: cp().server, caPem: cp().caPem });
  });
  afterAll(async () => {
    await proxy?.close();
  });
  afterEach(() => {
    proxy.setRule(undefined);
    proxy.seen.length = 0;
  });

  const viaProxy = (transport?: Parameters<typeof createClusterClient>[0]["transport"]) => {
    // client-node allows plain HTTP only with skipTLSVerify; the proxy's side is plain HTTP on loopback.
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions({
      clusters: [{ name: "proxy", server: proxy.url, skipTLSVerify: true }],
      users: [{ name: "admin", token: cp().admin.token }],
      contexts: [{ name: "proxy", cluster: "proxy", user: "admin" }],
      currentContext: "proxy",
    });
    return createClusterClient({ kubeConfig, ...(transport ? { transport } : {}) });
  };
  /** Answers the first `times` writes with `status`, then lets requests through to the real server. */
  const failWritesFirst = (
    times: number,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) => {
    let left = times;
    proxy.setRule(({ method }) => {
      if (method !== "PATCH" || left === 0) return undefined;
      left -= 1;
      return { respond: { status, headers, body } };
    });
  };

  it("429 storage is (re)initializing with Retry-After is waited out in-process: the apply succeeds", async () => {
    // Prepare
    failWritesFirst(1, 429, statusBody(429, "TooManyRequests", "storage is (re)initializing"), {
      "retry-after": "1",
    });
    const client = await viaProxy();

    // Act
    const applied = await client.apply({
      resource: CONFIGMAPS,
      object: configMap(namespace, uniqueName("waited"), { a: "1" }),
      force: false,
      dryRun: false,
      signal: timeBudgetSignal(30_000),
    });
    await client.close();

    // Assess
    expect(applied.metadata.resourceVersion).toBeDefined();
    expect(proxy.seen.filter((r) => r.method === "PATCH").map((r) => r.action)).toEqual([
      "respond",
      "forward",
    ]);
    expect(client.requestCounts().writes).toBe(2);
  });

  it("503 with Retry-After is waited out in-process like 429", async () => {
    // Prepare
    failWritesFirst(
      2,
      503,
      statusBody(503, "ServiceUnavailable", "the server is currently unable to handle the request"),
      {
        "retry-after": "1",
      },
    );
    const client = await viaProxy();

    // Act
    await client.apply({
      resource: CONFIGMAPS,
      object: configMap(namespace, uniqueName("unavailable"), { a: "1" }),
      force: false,
      dryRun: true,
    });
    await client.close();

    // Assess
    expect(proxy.seen.filter((r) => r.method === "PATCH").map((r) => r.action)).toEqual([
      "respond",
      "respond",
      "forward",
    ]);
  });

  it("429 whose Retry-After exceeds the remaining budget goes back to the queue at once, carrying the wait", async () => {
    // Prepare
    failWritesFirst(
      1,
      429,
      statusBody(429, "TooManyRequests", "Too many requests, please try again later."),
      {
        "retry-after": "120",
      },
    );
    const client = await viaProxy();

    // Act
    const error = await failureOf(
      client.apply({
        resource: CONFIGMAPS,
        object: configMap(namespace, "throttled", { a: "1" }),
        force: false,
        dryRun: true,
        signal: timeBudgetSignal(20_000),
      }),
    );
    await client.close();

    // Assess
    expect(classOf(error)).toEqual({ failureClass: "throttled", retryable: true });
    expect(error.retryAfterMs).toBe(120_000);
    expect(proxy.seen.map((r) => r.action)).toEqual(["respond"]);
  });

  it("429 without Retry-After is retryable through the queue, without an in-process wait", async () => {
    // Prepare
    failWritesFirst(1, 429, statusBody(429, "TooManyRequests", "Too many requests, please try again later."));
    const client = await viaProxy();

    // Act
    const error = await failureOf(
      client.apply({
        resource: CONFIGMAPS,
        object: configMap(namespace, "t", {}),
        force: false,
        dryRun: true,
      }),
    );
    await client.close();

    // Assess
    expect(classOf(error)).toEqual({ failureClass: "throttled", retryable: true });
    expect(error.retryAfterMs).toBeUndefined();
    expect(proxy.seen).toHaveLength(1);
  });

  it("502 from a load balancer in front of the API server is retryable", async () => {
    // Prepare
    failWritesFirst(1, 502, "Bad Gateway", { "content-type": "text/plain" });
    const client = await viaProxy();

    // Act
    const error = await failureOf(
      client.apply({
        resource: CONFIGMAPS,
        object: configMap(namespace, "lb", {}),
        force: false,
        dryRun: true,
      }),
    );
    await client.close();

    // Assess
    expect(classOf(error)).toEqual({ failureClass: "server-error", retryable: true });
  });

  it("a request that is never answered ends at the per-request deadline, retryable", async () => {
    // Prepare
    proxy.setRule(() => ({ hold: true }));
    const client = await viaProxy({ requestDeadlineMs: 500 });

    // Act
    const error = await failureOf(client.get({ resource: CONFIGMAPS, namespace, name: "x" }));
    await client.close();

    // Assess
    expect(classOf(error)).toEqual({ failureClass: "timeout", retryable: true });
    expect(error.message).toContain("500 ms request deadline");
  });

  it("a reset connection and a refused one are retryable", async () => {
    // Prepare
    proxy.setRule(() => ({ reset: true }));
    const client = await viaProxy();
    const nowhere = await createClusterClient({ kubeConfig: kubeConfigAt("https://127.0.0.1:1") });

    // Act
    const reset = await failureOf(client.get({ resource: CONFIGMAPS, namespace, name: "x" }));
    const refused = await failureOf(nowhere.get({ resource: CONFIGMAPS, namespace, name: "x" }));
    await client.close();
    await nowhere.close();

    // Assess
    expect([classOf(reset), classOf(refused)]).toEqual([
      { failureClass: "connection", retryable: true },
      { failureClass: "connection", retryable: true },
    ]);
    expect(refused.message).toContain("ECONNREFUSED");
  });

  it("a server certificate the configured CA does not sign is permanent (a configuration error)", async () => {
    // Prepare: no CA data, so the API server's self-signed certificate is not trusted.
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions({
      clusters: [{ name: "c", server: cp().server, skipTLSVerify: false }],
      users: [{ name: "u", token: cp().admin.token }],
      contexts: [{ name: "c", cluster: "c", user: "u" }],
      currentContext: "c",
    });
    const client = await createClusterClient({ kubeConfig });

    // Act
    const error = await failureOf(client.get({ resource: CONFIGMAPS, namespace, name: "x" }));
    await client.close();

    // Assess
    expect(classOf(error)).toEqual({ failureClass: "tls", retryable: false });
  });

  it("the caller's abort (the job's time budget) and a closed client are retryable", async () => {
    // Prepare
    proxy.setRule(() => ({ hold: true }));
    const client = await viaProxy();
    const controller = new AbortController();

    // Act
    const pending = failureOf(
      client.get({ resource: CONFIGMAPS, namespace, name: "x", signal: controller.signal }),
    );
    setTimeout(() => controller.abort(), 100);
    const aborted = await pending;
    await client.close();
    const closed = await failureOf(client.get({ resource: CONFIGMAPS, namespace, name: "x" }));

    // Assess
    expect([classOf(aborted), classOf(closed)]).toEqual([
      { failureClass: "aborted", retryable: true },
      { failureClass: "closed", retryable: true },
    ]);
  });
});
