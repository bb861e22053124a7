import { describe, expect, it } from "vitest";
import { changeTouchesTarget, isUnderTargetPath } from "../../../lib/app/preview-scope.ts";

describe("isUnderTargetPath", () => {
  it.each([
    ["deploy/app.yaml", "deploy", true],
    ["deploy/nested/app.yaml", "deploy", true],
    ["deploy", "deploy", true],
    ["deploy-old/app.yaml", "deploy", false],
    ["README.md", "deploy", false],
    ["apps/web/deployment.yaml", "apps/web", true],
    ["apps/webhook/deployment.yaml", "apps/web", false],
    ["anything/at/all.md", ".", true],
  ])("%s under %s → %s", (file, targetPath, expected) => {
    // Prepare / Act
    const under = isUnderTargetPath(file, targetPath);

    // Assess
    expect(under).toBe(expected);
  });
});

describe("changeTouchesTarget", () => {
  it("counts a change to a watched directory (an overlay's base) and nothing else", () => {
    // Prepare
    const target = { path: "apps/web/overlays/prod", watch: ["apps/web/base"] };

    // Act
    const base = changeTouchesTarget({ paths: ["apps/web/base/deploy.yaml"], complete: true }, target);
    const sibling = changeTouchesTarget(
      { paths: ["apps/web/overlays/staging/k.yaml"], complete: true },
      target,
    );

    // Assess
    expect(base).toBe(true);
    expect(sibling).toBe(false);
  });

  it("is false when a complete list has nothing under the target path", () => {
    // Prepare
    const changed = { paths: ["README.md", "docs/deploy.md"], complete: true };

    // Act
    const touches = changeTouchesTarget(changed, { path: "deploy" });

    // Assess
    expect(touches).toBe(false);
  });

  it("is true when one file (e.g. the old name of a renamed one) is under the target path", () => {
    // Prepare
    const changed = { paths: ["archive/app.yaml", "deploy/app.yaml"], complete: true };

    // Act
    const touches = changeTouchesTarget(changed, { path: "deploy" });

    // Assess
    expect(touches).toBe(true);
  });

  it("is true when the list is capped, whatever it shows", () => {
    // Prepare
    const changed = { paths: ["README.md"], complete: false };

    // Act
    const touches = changeTouchesTarget(changed, { path: "deploy" });

    // Assess
    expect(touches).toBe(true);
  });
});
