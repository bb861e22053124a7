import { describe, expect, it } from "vitest";
import type { KubeObject } from "../../../lib/manifests/kube-object.ts";
import { ignoredPathsOf, ignoreFields, parseIgnorePath } from "../../../lib/sync/ignore-fields.ts";

const webhook = (caBundle: string): KubeObject => ({
  apiVersion: "admissionregistration.k8s.io/v1",
  kind: "ValidatingWebhookConfiguration",
  metadata: { name: "hooks" },
  webhooks: [
    { name: "a.example.com", clientConfig: { caBundle, service: { name: "a", namespace: "x" } } },
    { name: "b.example.com", clientConfig: { caBundle, service: { name: "b", namespace: "x" } } },
  ],
});

describe("parseIgnorePath", () => {
  it.each([
    ["/spec/replicas", [{ key: "spec" }, { key: "replicas" }]],
    ["/metadata/annotations/a~1b", [{ key: "metadata" }, { key: "annotations" }, { key: "a/b" }]],
    [
      "/webhooks/0/clientConfig/caBundle",
      [{ key: "webhooks" }, { index: 0 }, { key: "clientConfig" }, { key: "caBundle" }],
    ],
    [
      ".webhooks[].clientConfig.caBundle",
      [{ key: "webhooks" }, { any: true }, { key: "clientConfig" }, { key: "caBundle" }],
    ],
    ['.metadata.annotations["x.io/y"]', [{ key: "metadata" }, { key: "annotations" }, { key: "x.io/y" }]],
  ])("%s", (text, segments) => {
    expect(parseIgnorePath(text)).toEqual(segments);
  });

  it("says why a path cannot be read", () => {
    expect(parseIgnorePath("spec.replicas")).toMatch(/must be a JSON pointer/);
    expect(parseIgnorePath(".spec..replicas")).toMatch(/is not a field path/);
    expect(parseIgnorePath("/spec//replicas")).toBe("has an empty segment");
  });
});

describe("ignoredPathsOf", () => {
  const deployment: KubeObject = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: "a" },
    spec: { replicas: 2 },
  };
  const hpa: KubeObject = {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata: { name: "web-hpa", namespace: "a" },
    spec: { scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" } },
  };

  it("ignores the replicas an HPA of the same set scales, unless turned off; rules select by kind and labels", () => {
    expect(
      ignoredPathsOf({ object: deployment, rules: [], set: [deployment, hpa], hpaReplicas: true }),
    ).toEqual([
      {
        path: [{ key: "spec" }, { key: "replicas" }],
        text: "/spec/replicas",
        reason: "HorizontalPodAutoscaler web-hpa scales it",
      },
    ]);
    expect(
      ignoredPathsOf({ object: deployment, rules: [], set: [deployment, hpa], hpaReplicas: false }),
    ).toEqual([]);
    const otherNamespace = { ...hpa, metadata: { ...hpa.metadata, namespace: "b" } };
    expect(
      ignoredPathsOf({ object: deployment, rules: [], set: [deployment, otherNamespace], hpaReplicas: true }),
    ).toEqual([]);
    const rules = [
      { paths: ["/spec/paused"], target: { kind: "Deployment", labelSelector: { tier: "web" } } },
      { paths: ["/spec/replicas"], target: { kind: "StatefulSet" } },
    ];
    expect(ignoredPathsOf({ object: deployment, rules, set: [], hpaReplicas: true })).toEqual([]);
    const labelled = { ...deployment, metadata: { ...deployment.metadata, labels: { tier: "web" } } };
    expect(
      ignoredPathsOf({ object: labelled, rules, set: [], hpaReplicas: true }).map((p) => p.text),
    ).toEqual(["/spec/paused"]);
  });
});

describe("ignoreFields", () => {
  const paths = [
    {
      path: [{ key: "webhooks" }, { any: true as const }, { key: "clientConfig" }, { key: "caBundle" }],
      text: ".webhooks[].clientConfig.caBundle",
      reason: "ignore[0]",
    },
  ];

  it("changes nothing for an object that is created, or whose field does not exist live yet", () => {
    expect(
      ignoreFields({ desired: webhook("git"), live: undefined, paths, ownFields: undefined }),
    ).toBeUndefined();
    const live = webhook("x");
    for (const w of live.webhooks as Array<{ clientConfig: Record<string, unknown> }>)
      delete w.clientConfig.caBundle;
    expect(ignoreFields({ desired: webhook("git"), live, paths, ownFields: undefined })).toBeUndefined();
  });

  it("leaves a field owned by another controller out of comparison and writes, and dry-runs it at its live value", () => {
    // Act
    const ignoring = ignoreFields({
      desired: webhook("git"),
      live: webhook("injected"),
      paths,
      ownFields: {},
    });

    // Assess
    expect(ignoring?.ignored).toEqual([".webhooks[].clientConfig.caBundle (ignore[0])"]);
    const bundles = (o: KubeObject | undefined) =>
      (o?.webhooks as Array<{ clientConfig: { caBundle?: string } }> | undefined)?.map(
        (w) => w.clientConfig.caBundle,
      );
    expect(bundles(ignoring?.compareDesired)).toEqual([undefined, undefined]);
    expect(bundles(ignoring?.dryRun)).toEqual(["injected", "injected"]);
    expect(bundles(ignoring?.write)).toEqual([undefined, undefined]);
    expect(ignoring?.handover).toBeUndefined();
  });

  it("hands a map field pullbridge still owns over at its live value, and drops it from pullbridge's own field set", () => {
    // Prepare
    const desired: KubeObject = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", namespace: "a" },
      spec: { replicas: 1, paused: false },
    };
    const live = { ...desired, spec: { replicas: 3, paused: false } };
    const own = { "f:spec": { "f:replicas": {}, "f:paused": {} } };
    const replicas = [
      { path: [{ key: "spec" }, { key: "replicas" }], text: "/spec/replicas", reason: "ignore[0]" },
    ];

    // Act
    const ignoring = ignoreFields({ desired, live, paths: replicas, ownFields: own });

    // Assess
    expect(ignoring?.handover).toEqual({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", namespace: "a" },
      spec: { replicas: 3 },
    });
    expect(ignoring?.write.spec).toEqual({ paused: false });
    expect(ignoring?.dryRun.spec).toEqual({ replicas: 3, paused: false });
    expect(ignoring?.compareFields(own)).toEqual({ "f:spec": { "f:paused": {} } });
  });
});
