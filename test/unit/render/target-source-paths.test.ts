import { describe, expect, it } from "vitest";
import { commonDirectory, keepDirectories, sourcePathsOf } from "../../../lib/render/target-source-paths.ts";

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

  it("keeps only the files, links and skipped files of the listed directories from the common fetch", () => {
    // Prepare
    const bytes = new Uint8Array();
    const tree = Object.assign(
      new Map([
        ["apps/web/base/a.yaml", bytes],
        ["apps/web/overlays/prod/k.yaml", bytes],
        ["apps/web/overlays/staging/k.yaml", bytes],
      ]),
      {
        links: [
          { path: "apps/web/overlays/prod/l.yaml", target: "../../base/a.yaml" },
          { path: "apps/web/overlays/staging/l.yaml", target: "../../base/a.yaml" },
        ],
        skipped: [
          { path: "apps/web/base/h.yaml", reason: "hard link" },
          { path: "apps/other/h.yaml", reason: "hard link" },
        ],
      },
    );

    // Act
    const kept = keepDirectories(tree, ["apps/web/overlays/prod", "apps/web/base"]);

    // Assess
    expect([...kept.keys()]).toEqual(["apps/web/base/a.yaml", "apps/web/overlays/prod/k.yaml"]);
    expect(kept.links).toEqual([{ path: "apps/web/overlays/prod/l.yaml", target: "../../base/a.yaml" }]);
    expect(kept.skipped).toEqual([{ path: "apps/web/base/h.yaml", reason: "hard link" }]);
  });
});
