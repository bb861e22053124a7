import { describe, expect, it } from "vitest";
import { SyncRefusedError } from "../../../lib/errors.ts";
import type { KubeObject } from "../../../lib/manifests/kube-object.ts";
import {
  ApplySetAnnotation,
  ApplySetLabel,
  computeApplySetId,
  PullbridgeAnnotation,
} from "../../../lib/sync/applyset-id.ts";
import {
  buildApplySetParent,
  formatSummary,
  readApplySetParent,
  sameMembership,
  shrinkInventory,
  widenInventory,
} from "../../../lib/sync/applyset-parent.ts";

const ID = computeApplySetId({ name: "pullbridge-web", namespace: "team-a", kind: "Secret", group: "" });

function parent(
  annotations: Record<string, string>,
  labels: Record<string, string> = { [ApplySetLabel.id]: ID },
): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "pullbridge-web", namespace: "team-a", labels, annotations, resourceVersion: "42" },
  };
}

describe("ApplySet id", () => {
  it("matches the KEP-3659 test vector", () => {
    // Prepare / Act
    const id = computeApplySetId({ name: "my-set", namespace: "test", kind: "Secret", group: "" });

    // Assess
    expect(id).toBe("applyset-0eFHV8ySqp7XoShsGvyWFQD3s96yqwHmzc4e0HR1dsY-v1");
  });
});

describe("ApplySet parent", () => {
  it("reads an absent parent as an empty inventory with the expected id", () => {
    // Prepare / Act
    const inventory = readApplySetParent({ parent: undefined, name: "pullbridge-web", namespace: "team-a" });

    // Assess
    expect(inventory).toEqual({
      id: ID,
      name: "pullbridge-web",
      namespace: "team-a",
      groupKinds: [],
      additionalNamespaces: [],
      exists: false,
    });
  });

  it("reads group-kinds, namespaces and the last sync from a pullbridge parent (any pullbridge version)", () => {
    // Prepare
    const live = parent({
      [ApplySetAnnotation.tooling]: "pullbridge/9.9.9",
      [ApplySetAnnotation.containsGroupKinds]: "Deployment.apps,ConfigMap",
      [ApplySetAnnotation.additionalNamespaces]: "team-b,team-a",
      [PullbridgeAnnotation.lastSyncSha]: "abc",
      [PullbridgeAnnotation.lastSyncTime]: "2026-01-01T00:00:00.000Z",
      [PullbridgeAnnotation.lastSyncSummary]: "{}",
      [PullbridgeAnnotation.lastSyncDigest]: "sha256:abc",
    });

    // Act
    const inventory = readApplySetParent({ parent: live, name: "pullbridge-web", namespace: "team-a" });

    // Assess
    expect(inventory).toMatchObject({
      groupKinds: ["ConfigMap", "Deployment.apps"],
      additionalNamespaces: ["team-b"],
      lastSync: { sha: "abc", time: "2026-01-01T00:00:00.000Z", summary: "{}", digest: "sha256:abc" },
      resourceVersion: "42",
      exists: true,
    });
  });

  it.each([
    [
      "other tooling",
      parent({ [ApplySetAnnotation.tooling]: "kubectl/v1.36.3" }),
      /managed by other tooling/,
    ],
    [
      "a mismatched id",
      parent({ [ApplySetAnnotation.tooling]: "pullbridge/0.1.0" }, { [ApplySetLabel.id]: "applyset-x-v1" }),
      /expects applyset-/,
    ],
    ["a plain Secret", parent({}, {}), /is not an ApplySet parent/],
  ])("refuses a parent with %s", (_, live, message) => {
    // Prepare / Act
    const attempt = () => readApplySetParent({ parent: live, name: "pullbridge-web", namespace: "team-a" });

    // Assess
    expect(attempt).toThrow(SyncRefusedError);
    expect(attempt).toThrow(message);
  });

  it("widens to the union and shrinks to what remains", () => {
    // Prepare
    const base = {
      ...readApplySetParent({ parent: undefined, name: "pullbridge-web", namespace: "team-a" }),
      groupKinds: ["ConfigMap", "Secret"],
    };

    // Act
    const widened = widenInventory(base, {
      groupKinds: ["Deployment.apps", "ConfigMap"],
      namespaces: ["team-a", "team-b"],
    });
    const shrunk = shrinkInventory(widened, { groupKinds: ["Deployment.apps"], namespaces: ["team-a"] });

    // Assess
    expect(widened.groupKinds).toEqual(["ConfigMap", "Deployment.apps", "Secret"]);
    expect(widened.additionalNamespaces).toEqual(["team-b"]);
    expect(shrunk.groupKinds).toEqual(["Deployment.apps"]);
    expect(shrunk.additionalNamespaces).toEqual([]);
    expect(sameMembership(widened, base)).toBe(false);
    expect(sameMembership(widenInventory(widened, { groupKinds: ["Secret"], namespaces: [] }), widened)).toBe(
      true,
    );
  });

  it("builds the parent with every annotation pullbridge owns, conditional on the resourceVersion read", () => {
    // Prepare
    const inventory = {
      ...readApplySetParent({ parent: undefined, name: "pullbridge-web", namespace: "team-a" }),
      groupKinds: ["ConfigMap"],
      additionalNamespaces: ["team-b"],
      resourceVersion: "7",
      lastSync: {
        sha: "abc",
        time: "t",
        summary: formatSummary({ created: 1, updated: 2, unchanged: 3, pruned: 4, skipped: 5 }),
        digest: "sha256:d",
      },
    };

    // Act
    const built = buildApplySetParent({ inventory, targetName: "web", toolingVersion: "0.1.0" });

    // Assess
    expect(built.metadata).toEqual({
      name: "pullbridge-web",
      namespace: "team-a",
      resourceVersion: "7",
      labels: { [ApplySetLabel.id]: ID },
      annotations: {
        [ApplySetAnnotation.tooling]: "pullbridge/0.1.0",
        [ApplySetAnnotation.containsGroupKinds]: "ConfigMap",
        [ApplySetAnnotation.additionalNamespaces]: "team-b",
        [PullbridgeAnnotation.target]: "web",
        [PullbridgeAnnotation.lastSyncSha]: "abc",
        [PullbridgeAnnotation.lastSyncTime]: "t",
        [PullbridgeAnnotation.lastSyncSummary]:
          '{"created":1,"updated":2,"unchanged":3,"pruned":4,"skipped":5}',
        [PullbridgeAnnotation.lastSyncDigest]: "sha256:d",
      },
    });
  });
});
