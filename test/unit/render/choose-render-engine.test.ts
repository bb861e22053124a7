import { describe, expect, it } from "vitest";
import { chooseRenderEngine } from "../../../lib/render/choose-render-engine.ts";

describe("chooseRenderEngine", () => {
  it.each([
    [["apps/web/kustomization.yaml", "apps/web/deploy.yaml"], "kustomize"],
    [["apps/web/kustomization.yml"], "kustomize"],
    [["apps/web/Kustomization"], "kustomize"],
    [["apps/web/Chart.yaml", "apps/web/templates/x.yaml"], "helm"],
    [["apps/web/Chart.yaml", "apps/web/kustomization.yaml"], "kustomize"],
    [["apps/web/deploy.yaml", "apps/web/sub/kustomization.yaml"], "plain"],
    [["apps/web-other/kustomization.yaml", "apps/web/deploy.yaml"], "plain"],
  ] as const)("auto with %j → %s", (paths, expected) => {
    // Act
    const engine = chooseRenderEngine("auto", paths, "apps/web");

    // Assess
    expect(engine).toBe(expected);
  });

  it("auto at the repository root looks at top-level files only", () => {
    // Act / Assess
    expect(chooseRenderEngine("auto", ["kustomization.yaml"], ".")).toBe("kustomize");
    expect(chooseRenderEngine("auto", ["charts/x/Chart.yaml"], ".")).toBe("plain");
  });

  it("an explicit setting wins over what the directory holds", () => {
    // Act / Assess
    expect(chooseRenderEngine("plain", ["apps/web/kustomization.yaml"], "apps/web")).toBe("plain");
    expect(chooseRenderEngine("helm", ["apps/web/deploy.yaml"], "apps/web")).toBe("helm");
  });
});
