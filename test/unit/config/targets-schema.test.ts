/**
 * The targets schema refuses what a sync would refuse (or silently ignore), naming the file, the
 * line and the field, in words; and it accepts what Kubernetes, Helm and git accept.
 */
import { describe, expect, it } from "vitest";
import { parseTargetsConfig, parseTargetsYaml, targetSchema } from "../../../lib/config/targets.ts";
import { ConfigError } from "../../../lib/errors.ts";

const base = { name: "web", repo: "acme/deploy", cluster: "prod", namespace: "web", path: "apps/web" };

/** Parses one target (with `base`'s required fields) in a file with cluster `prod`. */
function parseTarget(extra: Record<string, unknown>) {
  return parseTargetsConfig({
    version: 1,
    clusters: { prod: { type: "eks", name: "prod" } },
    targets: [{ ...base, ...extra }],
  }).targets[0];
}

/** The ConfigError a refused config throws (fails the test when it is accepted). */
function refusal(attempt: () => unknown): ConfigError {
  try {
    attempt();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError, but the config was accepted");
}

/** The problems of a refused config, as `field: reason` lines. */
function problemsOf(attempt: () => unknown): string[] {
  return refusal(attempt).problems.map((p) => `${p.field ?? ""}: ${p.reason}`);
}

describe("what the sync would refuse is refused in the file", () => {
  it.each([
    [
      "a Helm release name Helm refuses",
      { render: "helm", helm: { releaseName: "Bad_Name!" } },
      "targets[0].helm.releaseName: must be a Helm release name",
    ],
    [
      "a values file the worker never fetches (outside path and watch)",
      { render: "helm", helm: { valuesFiles: ["config/values-prod.yaml"] } },
      "targets[0].helm.valuesFiles[0]: config/values-prod.yaml is outside the target's path and watch paths (apps/web)",
    ],
    [
      "`include` on a Kustomize target",
      { render: "kustomize", include: ["*.yaml"] },
      "targets[0].include: only plain targets read `include`, and this target has `render: kustomize`",
    ],
    [
      "`recursive` on a Helm target",
      { render: "helm", recursive: false },
      "targets[0].recursive: only plain targets read `recursive`, and this target has `render: helm`",
    ],
    [
      "a `helm` block on a Kustomize target",
      { render: "kustomize", helm: { releaseName: "web" } },
      "targets[0].helm: only Helm targets read `helm`, and this target has `render: kustomize`",
    ],
    [
      "a `helm` block on a plain target",
      { render: "plain", helm: { values: { a: 1 } } },
      "targets[0].helm: only Helm targets read `helm`, and this target has `render: plain`",
    ],
    [
      "a regex capture group the pattern does not have (by name)",
      {
        images: {
          policies: [
            {
              name: "web",
              repository: "ghcr.io/acme/web",
              regex: { pattern: "main-([0-9]+)", capture: "ts" },
            },
          ],
        },
      },
      'targets[0].images.policies[0].regex.capture: the pattern has no group named "ts"',
    ],
    [
      "a regex capture group the pattern does not have (by number, default 1)",
      {
        images: {
          policies: [{ name: "web", repository: "ghcr.io/acme/web", regex: { pattern: "main-[0-9]+" } }],
        },
      },
      "targets[0].images.policies[0].regex.capture: the pattern has no capture group, so there is no group 1",
    ],
    [
      "a policy namespace that is no namespace name",
      { policy: { namespaces: ["Web_Prod"] } },
      "targets[0].policy.namespaces[0]: must be a namespace name (a lowercase DNS label) or `*`",
    ],
    [
      "a branch written as a ref (the webhook compares branch names)",
      { branch: "refs/heads/main" },
      'targets[0].branch: name the branch without "refs/heads/" (e.g. "main")',
    ],
    [
      "a branch name git refuses",
      { branch: "release..1" },
      "targets[0].branch: is not a valid git branch name",
    ],
    [
      "a repository named with .git (webhooks name it without)",
      { repo: "acme/deploy.git" },
      "targets[0].repo: name the repository without `.git`",
    ],
    ["a path with `..`", { path: "apps/../../etc" }, "targets[0].path: must not contain `..`"],
    [
      "a path with backslashes",
      { path: "apps\\web" },
      "targets[0].path: must be a `/`-separated repository path",
    ],
    [
      "two health rules for one kind (the second would never run)",
      {
        health: {
          checks: [
            { apiVersion: "example.com/v1", kind: "Widget", current: "true" },
            { apiVersion: "example.com/v2", kind: "Widget", failed: "false" },
          ],
        },
      },
      "targets[0].health.checks[1]: a second rule for Widget.example.com",
    ],
  ])("refuses %s", (_, extra, expected) => {
    // Act
    const problems = problemsOf(() => parseTarget(extra));

    // Assess
    expect(problems).toEqual([expect.stringContaining(expected)]);
  });

  it.each([
    ["a 63-character namespace (Kubernetes' limit, not 52)", { namespace: "n".repeat(63) }],
    ["a dotted Helm release name", { render: "helm", helm: { releaseName: "shop.v2" } }],
    [
      "values files under a watch path",
      { render: "helm", watch: ["config"], helm: { valuesFiles: ["config/v.yaml"] } },
    ],
    [
      "plain settings on a plain target",
      { render: "plain", include: ["*.yaml"], exclude: ["x/**"], recursive: false },
    ],
    [
      "plain and Helm settings under auto (checked at sync time)",
      { include: ["*.yaml"], helm: { releaseName: "web" } },
    ],
    [
      "a named capture that exists",
      {
        images: {
          policies: [
            {
              name: "web",
              repository: "ghcr.io/a/web",
              regex: { pattern: "main-(?<ts>[0-9]+)", capture: "ts" },
            },
          ],
        },
      },
    ],
    ["a nested branch name", { branch: "release/2026.11" }],
  ])("accepts %s", (_, extra) => {
    // Act
    const attempt = () => parseTarget(extra);

    // Assess
    expect(attempt).not.toThrow();
  });

  it("normalises paths to the tree's spelling (a path the tree never has would select nothing)", () => {
    // Act
    const target = parseTarget({ path: "./apps//web/./overlays/", watch: ["/apps/web/base/"] });

    // Assess
    expect(target?.path).toBe("apps/web/overlays");
    expect(target?.watch).toEqual(["apps/web/base"]);
  });
});

describe("errors in words, each at its file, line and field", () => {
  const text = [
    "version: 1",
    "clusters:",
    "  prod: { type: eks, name: prod }",
    "targets:",
    "  - name: web",
    "    cluster: prod",
    "    namespace: web",
    "    namspace: web",
    "    drift: sometimes",
    "    prune: 3",
    "",
  ].join("\n");

  it("lists every problem once, in file order, naming a missing field instead of zod's type message", () => {
    // Act
    const attempt = () => parseTargetsYaml(text, "infra/targets.yaml");

    // Assess
    const error = refusal(attempt);
    expect(
      error.problems.map(
        (p) => `${p.location?.file}:${p.location?.line}:${p.location?.column}: ${p.field}: ${p.reason}`,
      ),
    ).toEqual([
      'infra/targets.yaml:5:5: targets[0]: required field "repo" is missing',
      'infra/targets.yaml:8:5: targets[0]: unknown field "namspace" (did you mean "namespace"?)',
      'infra/targets.yaml:9:5: targets[0].drift: must be one of "correct", "alert" (got "sometimes")',
      "infra/targets.yaml:10:5: targets[0].prune: must be true or false, not a number (3)",
    ]);
    expect(error.message).toBe(
      'infra/targets.yaml:5:5: targets[0]: required field "repo" is missing (and 3 more)',
    );
    expect(error.message).not.toContain("expected string, received undefined");
  });

  it("reports every YAML syntax error at its line, without repeating the position in the text", () => {
    // Act
    const attempt = () => parseTargetsYaml("version: 1\ntargets:\n  - name: [web\n", "t.yaml");

    // Assess
    expect(problemsOf(attempt)[0]).toMatch(/^: .*[^:]$/);
    expect(() => attempt()).toThrow(/^t\.yaml:\d+:\d+: /);
    expect(() => attempt()).not.toThrow(/at line \d+, column \d+/);
  });

  it("the schema used by the CLI's ad-hoc targets refuses the same names", () => {
    // Act
    const parsed = targetSchema.safeParse({ ...base, helm: { releaseName: "Bad_Name!" }, render: "helm" });

    // Assess
    expect(parsed.success).toBe(false);
  });
});

describe("dependsOn", () => {
  const file = (targets: Array<Record<string, unknown>>) => ({
    version: 1,
    clusters: { prod: { type: "eks", name: "prod" } },
    targets: targets.map((t) => ({ ...base, ...t })),
  });

  it("accepts names and objects, normalised to { target, sameCommit }", () => {
    const parsed = parseTargetsConfig(
      file([
        { name: "infra", path: "infra" },
        { name: "crds", path: "crds" },
        { name: "web", dependsOn: ["infra", { target: "crds", sameCommit: true }] },
      ]),
    );
    expect(parsed.targets[2]?.dependsOn).toEqual([
      { target: "infra", sameCommit: false },
      { target: "crds", sameCommit: true },
    ]);
    expect(parsed.targets[0]?.dependsOn).toEqual([]);
  });

  it("refuses a cycle, printing it, and unknown or self dependencies", () => {
    expect(
      problemsOf(() =>
        parseTargetsConfig(
          file([
            { name: "a", path: "a", dependsOn: ["b"] },
            { name: "b", path: "b", dependsOn: ["c"] },
            { name: "c", path: "c", dependsOn: ["a"] },
            { name: "d", path: "d", dependsOn: ["d", "nope"] },
          ]),
        ),
      ),
    ).toEqual([
      "targets[3].dependsOn[0]: a target cannot depend on itself",
      'targets[3].dependsOn[1]: unknown target "nope" (known: a, b, c, d)',
      "targets[2].dependsOn: dependsOn forms a cycle: a → b → c → a",
    ]);
  });
});
