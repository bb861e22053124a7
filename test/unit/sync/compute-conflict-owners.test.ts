import { describe, expect, it } from "vitest";
import type { KubeObject } from "../../../lib/manifests/kube-object.ts";
import {
  conflictsFromCauses,
  describeImperativeEdits,
  imperativeConflicts,
} from "../../../lib/sync/compute-conflict-owners.ts";

function liveWith(entries: Array<{ manager: string; operation: string }>): KubeObject {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c", managedFields: entries } };
}

const cause = (manager: string, field: string) => ({
  type: "FieldManagerConflict",
  message: `conflict with "${manager}" using v1`,
  field,
});

describe("conflict owners", () => {
  it("reads the manager and field of each conflict", () => {
    // Prepare / Act
    const conflicts = conflictsFromCauses([cause("kubectl-edit", ".data.a"), { message: "something else" }]);

    // Assess
    expect(conflicts).toEqual([{ manager: "kubectl-edit", field: ".data.a" }]);
  });

  it("calls conflicts with managers that only wrote imperatively drift", () => {
    // Prepare
    const live = liveWith([
      { manager: "pullbridge", operation: "Apply" },
      { manager: "kubectl-edit", operation: "Update" },
    ]);

    // Act
    const conflicts = imperativeConflicts({ causes: [cause("kubectl-edit", ".data.a")], live });

    // Assess
    expect(conflicts).toEqual([{ manager: "kubectl-edit", field: ".data.a" }]);
    expect(describeImperativeEdits(conflicts ?? [])).toBe('.data.a changed by "kubectl-edit"');
  });

  it("keeps a conflict with another applier (or an unknown manager) a conflict", () => {
    // Prepare
    const live = liveWith([
      { manager: "helm", operation: "Apply" },
      { manager: "kubectl-edit", operation: "Update" },
    ]);

    // Act / Assess
    expect(imperativeConflicts({ causes: [cause("helm", ".data.a")], live })).toBeUndefined();
    expect(
      imperativeConflicts({ causes: [cause("kubectl-edit", ".data.a"), cause("helm", ".data.b")], live }),
    ).toBeUndefined();
    expect(imperativeConflicts({ causes: [cause("ghost", ".data.a")], live })).toBeUndefined();
    expect(imperativeConflicts({ causes: [], live })).toBeUndefined();
  });
});
