import { describe, expect, it } from "vitest";
import { clusterErrorFromResponse } from "../../../lib/cluster/adapters/kube-http-transport.ts";
import { createDiscoveryIndex } from "../../../lib/cluster/discovery.ts";

describe("createDiscoveryIndex", () => {
  it("reads APIGroupDiscoveryList documents: kinds, scopes, preferred versions; skips subresources", () => {
    // Prepare
    const core = {
      kind: "APIGroupDiscoveryList",
      items: [
        {
          metadata: {},
          versions: [
            {
              version: "v1",
              resources: [
                {
                  resource: "configmaps",
                  responseKind: { group: "", version: "", kind: "ConfigMap" },
                  scope: "Namespaced",
                },
                {
                  resource: "namespaces",
                  responseKind: { group: "", version: "", kind: "Namespace" },
                  scope: "Cluster",
                },
              ],
            },
          ],
        },
      ],
    };
    const groups = {
      kind: "APIGroupDiscoveryList",
      items: [
        {
          metadata: { name: "autoscaling" },
          versions: [
            {
              version: "v2",
              resources: [
                {
                  resource: "horizontalpodautoscalers",
                  responseKind: { kind: "HorizontalPodAutoscaler" },
                  scope: "Namespaced",
                },
              ],
            },
            {
              version: "v1",
              resources: [
                {
                  resource: "horizontalpodautoscalers",
                  responseKind: { kind: "HorizontalPodAutoscaler" },
                  scope: "Namespaced",
                },
              ],
            },
          ],
        },
      ],
    };

    // Act
    const index = createDiscoveryIndex([core, groups]);

    // Assess
    expect(index.resolve({ apiVersion: "v1", kind: "Namespace" })).toEqual({
      group: "",
      version: "v1",
      kind: "Namespace",
      resource: "namespaces",
      namespaced: false,
    });
    expect(index.resolve({ apiVersion: "autoscaling/v1", kind: "HorizontalPodAutoscaler" })?.version).toBe(
      "v1",
    );
    expect(index.preferred({ group: "autoscaling", kind: "HorizontalPodAutoscaler" })?.version).toBe("v2");
    expect(index.resolve({ apiVersion: "apps/v1", kind: "Deployment" })).toBeUndefined();
  });

  it("lists the preferred version of every group-kind that supports list, once", () => {
    // Prepare
    const resource = (name: string, kind: string, verbs: string[]) => ({
      resource: name,
      responseKind: { kind },
      scope: "Namespaced",
      verbs,
    });
    const groups = {
      items: [
        {
          metadata: { name: "apps" },
          versions: [
            { version: "v2", resources: [resource("deployments", "Deployment", ["get", "list", "watch"])] },
            { version: "v1", resources: [resource("deployments", "Deployment", ["get", "list"])] },
          ],
        },
        {
          metadata: { name: "authorization.k8s.io" },
          versions: [
            { version: "v1", resources: [resource("localsubjectaccessreviews", "Review", ["create"])] },
          ],
        },
      ],
    };

    // Act
    const index = createDiscoveryIndex([{ items: [] }, groups]);

    // Assess
    expect(index.listable.map((r) => `${r.group}/${r.version}/${r.kind}`)).toEqual(["apps/v2/Deployment"]);
  });
});

describe("clusterErrorFromResponse", () => {
  const status = (code: number, reason?: string, message = "boom") => ({
    status: code,
    contentType: "application/json",
    body: { kind: "Status", code, message, ...(reason ? { reason } : {}) },
  });

  it.each([
    [400, "BadRequest", false],
    [403, "Forbidden", false],
    [404, "NotFound", false],
    [409, "Conflict", false],
    [422, "Invalid", false],
    [429, "TooManyRequests", true],
    [500, "InternalError", true],
    [503, "ServiceUnavailable", true],
  ])("status %d (%s) is retryable: %s", (code, reason, retryable) => {
    // Prepare / Act
    const error = clusterErrorFromResponse({
      response: status(code, reason),
      operation: "get",
      object: "ConfigMap a/b",
    });

    // Assess
    expect(error.retryable).toBe(retryable);
    expect(error.status).toBe(code);
    expect(error.object).toBe("ConfigMap a/b");
    expect(error.message).toBe(`ConfigMap a/b: get failed: ${code} ${reason}: boom`);
  });

  it("treats a 409 on the ApplySet parent as retryable (someone else wrote it meanwhile)", () => {
    // Prepare / Act
    const error = clusterErrorFromResponse({
      response: status(409, "Conflict"),
      operation: "apply",
      conflictRetryable: true,
    });

    // Assess
    expect(error.retryable).toBe(true);
  });

  it("treats the apply schema error the API server sends as a 500 as permanent", () => {
    // Prepare / Act
    const error = clusterErrorFromResponse({
      response: status(
        500,
        undefined,
        "failed to create typed patch object (x; /v1, Kind=ConfigMap): .dta: field not declared in schema",
      ),
      operation: "apply",
    });

    // Assess
    expect(error.retryable).toBe(false);
    expect(error.reason).toBe("BadRequest");
  });

  it("keeps the conflict causes so the sync can name the other manager", () => {
    // Prepare
    const response = {
      status: 409,
      contentType: "application/json",
      body: {
        kind: "Status",
        reason: "Conflict",
        message: 'Apply failed with 1 conflict: conflict with "kubectl": .data.a',
        details: {
          causes: [{ type: "FieldManagerConflict", message: 'conflict with "kubectl"', field: ".data.a" }],
        },
      },
    };

    // Act
    const error = clusterErrorFromResponse({ response, operation: "apply" });

    // Assess
    expect(error.causes).toEqual([
      { type: "FieldManagerConflict", message: 'conflict with "kubectl"', field: ".data.a" },
    ]);
  });
});
