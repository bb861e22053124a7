import { describe, expect, it } from "vitest";
import { changeTouchesTarget } from "../../../lib/app/preview-scope.ts";

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
