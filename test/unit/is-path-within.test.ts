import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isPathWithin } from "../../lib/is-path-within.ts";

describe("isPathWithin", () => {
  it.each([
    [".", "anything.yaml", true],
    ["", "anything/at/all.md", true],
    ["apps/web", "apps/web/a.yaml", true],
    ["apps/web", "apps/web/nested/deep/b.yaml", true],
    ["apps/web", "apps/web", true],
    ["apps/web", "apps/web/..hidden/a.yaml", true],
    ["apps/web", "apps/web2/a.yaml", false],
    ["apps/web", "apps/webhook/deployment.yaml", false],
    ["apps/web", "apps/we", false],
    ["apps/web", "Apps/web/a.yaml", false],
    ["deploy", "deploy-old/app.yaml", false],
    ["deploy", "README.md", false],
    ["deploy", "deploy/../secrets/x.yaml", false],
  ])("tree path: %s holds %s → %s", (dir, path, expected) => {
    // Act
    const within = isPathWithin(dir, path);

    // Assess
    expect(within).toBe(expected);
  });

  it.each([
    ["/repo", "/repo/apps/web", true],
    ["/repo", "/repo", true],
    ["/repo", "/repository/apps", false],
    ["/repo/apps", "/repo", false],
    ["/repo", "/elsewhere", false],
  ])("file-system path: %s holds %s → %s", (dir, path, expected) => {
    // Act
    const within = isPathWithin(join(dir), join(path));

    // Assess
    expect(within).toBe(expected);
  });
});
