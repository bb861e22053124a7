import { describe, expect, it } from "vitest";
import type { KubeObject } from "../../../lib/manifests/kube-object.ts";
import {
  compareWithManagedFields,
  dryRunShowsNoChange,
  quantityValue,
} from "../../../lib/sync/compute-managed-fields-comparison.ts";

/** What a Deployment looks like after `pullbridge` applied `desiredDeployment()` (recorded from kube-apiserver v1.36). */
function liveDeployment(
  overrides: { fieldsV1?: Record<string, unknown>; spec?: Record<string, unknown> } = {},
): KubeObject {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name: "web",
      namespace: "exp",
      labels: { app: "web" },
      resourceVersion: "206",
      managedFields: [
        {
          apiVersion: "apps/v1",
          fieldsType: "FieldsV1",
          manager: "pullbridge",
          operation: "Apply",
          time: "2026-11-22T02:12:45Z",
          fieldsV1: overrides.fieldsV1 ?? {
            "f:metadata": { "f:labels": { "f:app": {} } },
            "f:spec": {
              "f:replicas": {},
              "f:selector": {},
              "f:template": {
                "f:metadata": { "f:labels": { "f:app": {} } },
                "f:spec": {
                  "f:containers": {
                    'k:{"name":"web"}': {
                      ".": {},
                      "f:args": {},
                      "f:env": { 'k:{"name":"A"}': { ".": {}, "f:name": {}, "f:value": {} } },
                      "f:image": {},
                      "f:name": {},
                      "f:ports": {
                        'k:{"containerPort":80,"protocol":"TCP"}': { ".": {}, "f:containerPort": {} },
                      },
                      "f:resources": { "f:requests": { "f:cpu": {}, "f:memory": {} } },
                    },
                  },
                },
              },
            },
          },
        },
        {
          manager: "kube-controller-manager",
          operation: "Update",
          subresource: "status",
          fieldsType: "FieldsV1",
          fieldsV1: {},
        },
      ],
    },
    spec: overrides.spec ?? {
      progressDeadlineSeconds: 600,
      replicas: 2,
      selector: { matchLabels: { app: "web" } },
      template: {
        metadata: { labels: { app: "web" } },
        spec: {
          containers: [
            {
              args: ["a", "b"],
              env: [{ name: "A", value: "1" }],
              image: "nginx:1",
              imagePullPolicy: "IfNotPresent",
              name: "web",
              ports: [{ containerPort: 80, protocol: "TCP" }],
              resources: { requests: { cpu: "500m", memory: "1Gi" } },
              terminationMessagePath: "/dev/termination-log",
            },
          ],
          dnsPolicy: "ClusterFirst",
        },
      },
    },
    status: { replicas: 0 },
  };
}

function desiredDeployment(
  container: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
): KubeObject {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: "exp", labels: { app: "web" } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: "web" } },
      template: {
        metadata: { labels: { app: "web" } },
        spec: {
          containers: [
            {
              name: "web",
              image: "nginx:1",
              args: ["a", "b"],
              ports: [{ containerPort: 80 }],
              resources: { requests: { cpu: "500m", memory: "1Gi" } },
              env: [{ name: "A", value: "1" }],
              ...container,
            },
          ],
        },
      },
      ...extra,
    },
  };
}

const compare = (desired: KubeObject, live: KubeObject) =>
  compareWithManagedFields({ desired, live, manager: "pullbridge" });

describe("compareWithManagedFields", () => {
  it("finds a re-apply of the same manifest unchanged (server defaults and other managers ignored)", () => {
    // Prepare
    const desired = desiredDeployment();

    // Act
    const verdict = compare(desired, liveDeployment());

    // Assess
    expect(verdict).toEqual({ verdict: "unchanged" });
  });

  it("sees a changed value inside a keyed list item", () => {
    // Prepare / Act
    const verdict = compare(desiredDeployment({ image: "nginx:2" }), liveDeployment());

    // Assess
    expect(verdict).toEqual({
      verdict: "changed",
      path: '.spec.template.spec.containers[{"name":"web"}].image',
      reason: "value differs",
    });
  });

  it("sees a field added to the manifest, even when the live value already matches (ownership changes)", () => {
    // Prepare / Act
    const verdict = compare(desiredDeployment({ imagePullPolicy: "IfNotPresent" }), liveDeployment());

    // Assess
    expect(verdict).toMatchObject({ verdict: "changed", reason: "not yet managed by pullbridge" });
  });

  it("sees a field removed from the manifest", () => {
    // Prepare
    const desired = desiredDeployment();
    const spec = desired.spec as Record<string, unknown>;
    delete spec.replicas;

    // Act
    const verdict = compare(desired, liveDeployment());

    // Assess
    expect(verdict).toEqual({
      verdict: "changed",
      path: ".spec.replicas",
      reason: "removed from the manifest",
    });
  });

  it("compares atomic lists and maps as a whole", () => {
    // Prepare / Act
    const args = compare(desiredDeployment({ args: ["b", "a"] }), liveDeployment());
    const selector = compare(
      desiredDeployment({}, { selector: { matchLabels: { app: "web", tier: "x" } } }),
      liveDeployment(),
    );

    // Assess
    expect(args).toMatchObject({
      verdict: "changed",
      path: '.spec.template.spec.containers[{"name":"web"}].args',
    });
    expect(selector).toMatchObject({ verdict: "changed", path: ".spec.selector" });
  });

  it("sees a list item added", () => {
    // Prepare / Act
    const verdict = compare(
      desiredDeployment({
        env: [
          { name: "A", value: "1" },
          { name: "B", value: "2" },
        ],
      }),
      liveDeployment(),
    );

    // Assess
    expect(verdict).toMatchObject({ verdict: "changed", reason: "2 items in the manifest, 1 managed" });
  });

  it("calls a value the server may have normalised ambiguous (quantity 0.5 vs 500m)", () => {
    // Prepare / Act
    const verdict = compare(
      desiredDeployment({ resources: { requests: { cpu: "0.5", memory: "1Gi" } } }),
      liveDeployment(),
    );

    // Assess
    expect(verdict).toMatchObject({
      verdict: "ambiguous",
      path: '.spec.template.spec.containers[{"name":"web"}].resources.requests.cpu',
    });
  });

  it("a decisive change wins over an earlier ambiguity", () => {
    // Prepare / Act
    const verdict = compare(
      desiredDeployment({ resources: { requests: { cpu: "0.5", memory: "1Gi" } }, image: "nginx:2" }),
      liveDeployment(),
    );

    // Assess
    expect(verdict).toMatchObject({ verdict: "changed", reason: "value differs" });
  });

  it("treats an object pullbridge never applied as changed, and a foreign apiVersion entry as ambiguous", () => {
    // Prepare
    const live = liveDeployment();
    const neverApplied = { ...live, metadata: { ...live.metadata, managedFields: [] } };
    const otherVersion = {
      ...live,
      metadata: {
        ...live.metadata,
        managedFields: [
          {
            manager: "pullbridge",
            operation: "Apply",
            apiVersion: "apps/v1beta2",
            fieldsType: "FieldsV1",
            fieldsV1: {},
          },
        ],
      },
    };

    // Act / Assess
    expect(compare(desiredDeployment(), neverApplied)).toMatchObject({ verdict: "changed", path: "." });
    expect(compare(desiredDeployment(), otherVersion)).toMatchObject({ verdict: "ambiguous", path: "." });
  });

  it("compares Secret stringData with the base64 data the server stored", () => {
    // Prepare
    const live: KubeObject = {
      apiVersion: "v1",
      kind: "Secret",
      metadata: {
        name: "s",
        managedFields: [
          {
            manager: "pullbridge",
            operation: "Apply",
            apiVersion: "v1",
            fieldsType: "FieldsV1",
            fieldsV1: { "f:stringData": { "f:a": {} }, "f:type": {} },
          },
        ],
      },
      data: { a: Buffer.from("hello").toString("base64") },
      type: "Opaque",
    };
    const secret = (value: string): KubeObject => ({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "s" },
      type: "Opaque",
      stringData: { a: value },
    });

    // Act / Assess
    expect(compare(secret("hello"), live)).toEqual({ verdict: "unchanged" });
    expect(compare(secret("bye"), live)).toMatchObject({ verdict: "changed", path: ".stringData.a" });
  });

  it("accepts a merge key the server defaulted (ports without protocol)", () => {
    // Prepare
    const live: KubeObject = {
      apiVersion: "v1",
      kind: "Service",
      metadata: {
        name: "svc",
        managedFields: [
          {
            manager: "pullbridge",
            operation: "Apply",
            apiVersion: "v1",
            fieldsType: "FieldsV1",
            fieldsV1: {
              "f:spec": {
                "f:ports": {
                  'k:{"port":80,"protocol":"TCP"}': { ".": {}, "f:port": {}, "f:targetPort": {} },
                },
                "f:selector": {},
              },
            },
          },
        ],
      },
      spec: {
        clusterIP: "10.0.0.1",
        ports: [{ port: 80, protocol: "TCP", targetPort: 8080 }],
        selector: { app: "web" },
      },
    };
    const service = (targetPort: number | string): KubeObject => ({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "svc" },
      spec: { ports: [{ port: 80, targetPort }], selector: { app: "web" } },
    });

    // Act / Assess
    expect(compare(service(8080), live)).toEqual({ verdict: "unchanged" });
    expect(compare(service("8080"), live)).toMatchObject({ verdict: "ambiguous" });
    expect(compare(service(9090), live)).toMatchObject({ verdict: "changed" });
  });

  it("ignores a null the server drops, and an empty map the server omits", () => {
    // Prepare
    const live: KubeObject = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        name: "c",
        managedFields: [
          {
            manager: "pullbridge",
            operation: "Apply",
            apiVersion: "v1",
            fieldsType: "FieldsV1",
            fieldsV1: { "f:data": { "f:a": {} }, "f:metadata": { "f:labels": {} } },
          },
        ],
      },
      data: { a: "1" },
    };
    const desired: KubeObject = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "c", creationTimestamp: null, labels: {} },
      data: { a: "1" },
    };

    // Act / Assess
    expect(compare(desired, live)).toEqual({ verdict: "unchanged" });
  });

  it("compares set members (finalizers) regardless of how they are encoded", () => {
    // Prepare
    const live: KubeObject = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        name: "c",
        finalizers: ["example.com/a", "example.com/b"],
        managedFields: [
          {
            manager: "pullbridge",
            operation: "Apply",
            apiVersion: "v1",
            fieldsType: "FieldsV1",
            fieldsV1: { "f:metadata": { "f:finalizers": { ".": {}, 'v:"example.com/a"': {} } } },
          },
        ],
      },
    };
    const withFinalizers = (finalizers: string[]): KubeObject => ({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "c", finalizers },
    });

    // Act / Assess
    expect(compare(withFinalizers(["example.com/a"]), live)).toEqual({ verdict: "unchanged" });
    expect(compare(withFinalizers(["example.com/a", "example.com/c"]), live)).toMatchObject({
      verdict: "changed",
    });
  });
});

describe("dryRunShowsNoChange", () => {
  it("ignores managedFields timestamps but nothing else", () => {
    // Prepare
    const live = liveDeployment();
    const touched = structuredClone(live);
    const entry = (touched.metadata.managedFields as Array<Record<string, unknown>>)[0];
    if (entry) entry.time = "2030-01-01T00:00:00Z";
    const changed = structuredClone(live);
    (changed.spec as Record<string, unknown>).replicas = 3;

    // Act / Assess
    expect(dryRunShowsNoChange({ live, dryRun: touched })).toBe(true);
    expect(dryRunShowsNoChange({ live, dryRun: changed })).toBe(false);
  });
});

describe("quantityValue", () => {
  it.each([
    ["500m", 0.5],
    ["0.5", 0.5],
    ["1Gi", 2 ** 30],
    ["1e3", 1000],
    ["2k", 2000],
  ])("reads %s as %d", (text, value) => {
    expect(quantityValue(text)).toBeCloseTo(value);
  });

  it("rejects text that is not a quantity", () => {
    expect(quantityValue("fast")).toBeUndefined();
  });
});
