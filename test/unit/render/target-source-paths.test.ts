import { describe, expect, it } from "vitest";
import { sourcePathsOf, touchesTarget } from "../../../lib/render/target-source-paths.ts";
import { commonDirectory } from "../../../lib/source/tree-selection.ts";

describe("target source paths", () => {
  it("the path comes first, watch paths after, without duplicates", () => {
    // Act / Assess
    expect(sourcePathsOf({ path: "a/overlay", watch: ["a/base", "a/overlay"] })).toEqual([
      "a/overlay",
      "a/base",
    ]);
  });

  it.each([
    [["apps/web/overlays/prod", "apps/web/base"], "apps/web"],
    [["apps/web/overlays/prod"], "apps/web/overlays/prod"],
    [["apps/web", "shared/base"], "."],
    [["apps/web", "."], "."],
    [["apps/web", "apps/webhooks"], "apps"],
  ])("one fetch of %j reads %s", (paths, expected) => {
    // Act / Assess
    expect(commonDirectory(paths)).toBe(expected);
  });

  it("a file touches the target when it lies in its path or a watch path, not in a sibling", () => {
    // Prepare
    const target = { path: "apps/web/overlays/prod", watch: ["apps/web/base"] };

    // Act / Assess
    expect(touchesTarget(target, "apps/web/base/cm.yaml")).toBe(true);
    expect(touchesTarget(target, "apps/web/overlays/prod/kustomization.yaml")).toBe(true);
    expect(touchesTarget(target, "apps/web/overlays/staging/kustomization.yaml")).toBe(false);
    expect(touchesTarget(target, "apps/web/basement/x.yaml")).toBe(false);
  });
});
