import { describe, expect, it } from "vitest";
import { computeApplySetId } from "../../../lib/sync/applyset-id.ts";
import { computeDesiredDigest } from "../../../lib/sync/compute-desired-digest.ts";
import { computeDesiredSet } from "../../../lib/sync/compute-desired-set.ts";
import { aTarget, CONFIGMAPS, configMap, desired, discoveryOf } from "../../factories/sync.ts";

const ID = computeApplySetId({ name: "pullbridge-a", namespace: "a", kind: "Secret", group: "" });
const plan = (objects: ReturnType<typeof configMap>[]) =>
  computeDesiredSet({
    desired: objects.map((o) => desired(o)),
    discovery: discoveryOf([CONFIGMAPS]),
    target: aTarget("a"),
    applySetId: ID,
  });

describe("computeDesiredDigest", () => {
  it("ignores file order, key order and manifest locations", () => {
    // Prepare
    const one = configMap("a", "one", { x: "1", y: "2" });
    const two = configMap("a", "two");
    const oneReordered = {
      data: { y: "2", x: "1" },
      metadata: one.metadata,
      kind: "ConfigMap",
      apiVersion: "v1",
    };

    // Act
    const first = computeDesiredDigest(plan([one, two]));
    const second = computeDesiredDigest(plan([two, oneReordered]));

    // Assess
    expect(first).toBe(second);
    expect(first).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it("changes when any value changes", () => {
    // Prepare / Act
    const before = computeDesiredDigest(plan([configMap("a", "one", { x: "1" })]));
    const after = computeDesiredDigest(plan([configMap("a", "one", { x: "2" })]));

    // Assess
    expect(before).not.toBe(after);
  });
});
