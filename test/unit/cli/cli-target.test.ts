import { describe, expect, it } from "vitest";
import { adHocTarget, selectTarget, targetNameFromDirectory } from "../../../lib/app/cli-target.ts";
import { parseTargetsConfig } from "../../../lib/config/targets.ts";
import { ConfigError } from "../../../lib/errors.ts";

describe("targetNameFromDirectory", () => {
  it.each([
    ["deploy", "deploy"],
    ["./clusters/Prod_Apps/", "prod-apps"],
    ["/", "local"],
    [".", "local"],
    ["__", "local"],
  ])("names %s as %s", (dir, expected) => {
    // Act
    const name = targetNameFromDirectory(dir);

    // Assess
    expect(name).toBe(expected);
  });
});

describe("adHocTarget", () => {
  it("applies the targets-file defaults (prune on, no cluster-scoped objects)", () => {
    // Act
    const target = adHocTarget({ name: "web", namespace: "apps" });

    // Assess
    expect(target).toMatchObject({
      name: "web",
      namespace: "apps",
      path: ".",
      prune: true,
      allowEmpty: false,
      policy: { clusterScoped: false },
    });
  });

  it("takes the policy a one-off sync needs from its flags, keeping its own namespace allowed", () => {
    // Act
    const target = adHocTarget({
      name: "shop",
      namespace: "shop",
      path: "apps/shop/overlays/prod",
      watch: ["apps/shop/base"],
      clusterScoped: true,
      namespaces: ["monitoring"],
      allowEmpty: true,
      adopt: true,
      forceConflicts: true,
    });

    // Assess
    expect(target).toMatchObject({
      path: "apps/shop/overlays/prod",
      watch: ["apps/shop/base"],
      policy: { clusterScoped: true, namespaces: ["shop", "monitoring"] },
      allowEmpty: true,
      adopt: true,
      forceConflicts: true,
    });
  });

  it("names the flag of an invalid extra namespace", () => {
    // Act
    const attempt = () => adHocTarget({ name: "web", namespace: "apps", namespaces: ["Bad_NS"] });

    // Assess
    expect(attempt).toThrow(
      '--allow-namespace: must be a namespace name (a lowercase DNS label) or `*` (got "Bad_NS")',
    );
  });

  it("names the flag when the namespace is not a DNS label", () => {
    // Act
    const attempt = () => adHocTarget({ name: "web", namespace: "Bad_NS" });

    // Assess
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/^--namespace: must be a lowercase DNS label .*\(got "Bad_NS"\)$/);
  });
});

describe("selectTarget", () => {
  const file = parseTargetsConfig({
    version: 1,
    clusters: { c: { type: "eks", name: "c" } },
    targets: [
      { name: "a", repo: "o/r", cluster: "c", namespace: "a" },
      { name: "b", repo: "o/r", cluster: "c", namespace: "b" },
    ],
  });

  it("picks the named target and lists the known ones otherwise", () => {
    // Act
    const picked = selectTarget(file, "b", "t.yaml");
    const missing = () => selectTarget(file, "x", "t.yaml");
    const ambiguous = () => selectTarget(file, undefined, "t.yaml");

    // Assess
    expect(picked.namespace).toBe("b");
    expect(missing).toThrow('--target: no target "x" in t.yaml (known: a, b)');
    expect(ambiguous).toThrow("--target: t.yaml has 2 targets; name one (a, b)");
  });
});
