/**
 * The stack file's sections for the config repository — `projects`, `configRepository`, `keys` —
 * checked when the stack is packaged; a file with only `clusters` and `targets` reads as before.
 */
import { describe, expect, it } from "vitest";
import { parseTargetsConfig, parseTargetsYaml } from "../../../lib/config/targets.ts";
import { ConfigError, formatConfigProblem } from "../../../lib/errors.ts";

const clusters = { prod: { type: "eks", name: "prod" } };
const target = { name: "web", repo: "acme/web", cluster: "prod", namespace: "web" };

function problems(raw: unknown): string[] {
  try {
    parseTargetsConfig(raw);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map(formatConfigProblem);
    throw error;
  }
  return [];
}

describe("the stack file's config repository sections", () => {
  it("reads a file with only clusters and targets as before, with empty projects and keys", () => {
    // Act
    const file = parseTargetsYaml(
      "version: 1\nclusters:\n  prod: { type: eks, name: prod }\ntargets:\n  - { name: web, repo: acme/web, cluster: prod, namespace: web }\n",
    );

    // Assess
    expect(file.projects).toEqual({});
    expect(file.keys).toEqual({});
    expect(file.configRepository).toBeUndefined();
    expect(file.targets[0]).toMatchObject({ name: "web", pruneOnRemove: false });
    expect(file.targets[0]?.project).toBeUndefined();
    expect(file.targets[0]?.policy.kinds).toBeUndefined();
  });

  it("needs targets only without a config repository", () => {
    // Act / Assess
    expect(problems({ version: 1, clusters, targets: [] })).toEqual([
      "targets: at least one target is required (or a `configRepository` that holds them)",
    ]);
    expect(problems({ version: 1, clusters, configRepository: { repo: "acme/platform" } })).toEqual([]);
  });

  it("checks that projects name known clusters and keys, and targets known projects", () => {
    // Act
    const found = problems({
      version: 1,
      clusters,
      keys: { sops: { type: "kms", arn: "arn:aws:kms:eu-west-1:123456789012:key/abc" } },
      projects: { apps: { repositories: ["acme/*"], clusters: ["prd"], namespaces: ["*"], keys: ["age"] } },
      targets: [{ ...target, project: "ops" }],
    });

    // Assess
    expect(found).toEqual([
      'projects.apps.clusters[0]: unknown cluster "prd" (known: prod)',
      'projects.apps.keys[0]: unknown key "age" (known: sops)',
      'targets[0].project: unknown project "ops" (known: apps)',
    ]);
  });

  it("bounds packaged targets by their project too: refused beyond it, narrowed inside it", () => {
    // Prepare
    const projects = {
      apps: {
        repositories: ["acme/web"],
        clusters: ["prod"],
        namespaces: ["web"],
        kinds: ["ConfigMap"],
        deniedKinds: ["Secret"],
      },
    };

    // Act
    const refused = problems({
      version: 1,
      clusters,
      projects,
      targets: [{ ...target, project: "apps", namespace: "ops" }],
    });
    const file = parseTargetsConfig({
      version: 1,
      clusters,
      projects,
      targets: [{ ...target, project: "apps" }],
    });

    // Assess
    expect(refused).toEqual([
      'targets[0].namespace: namespace "ops" is outside project apps\'s namespaces (web)',
    ]);
    expect(file.targets[0]?.policy).toMatchObject({ kinds: ["ConfigMap"], deniedKinds: ["Secret"] });
  });
  it("bounds a target's decryption keys by its project: another tenant's key is refused at the field", () => {
    // Prepare: two tenants' keys in the stack file; project apps may use only its own.
    const keys = {
      apps: { type: "kms", arn: "arn:aws:kms:eu-west-1:123456789012:key/apps" },
      billing: { type: "kms", arn: "arn:aws:kms:eu-west-1:123456789012:key/billing" },
    };
    const projects = {
      apps: { repositories: ["acme/*"], clusters: ["prod"], namespaces: ["*"], keys: ["apps"] },
    };

    // Act
    const refused = problems({
      version: 1,
      clusters,
      keys,
      projects,
      targets: [{ ...target, project: "apps", decryption: { keys: ["apps", "billing"] } }],
    });
    const allowed = problems({
      version: 1,
      clusters,
      keys,
      projects,
      targets: [{ ...target, project: "apps", decryption: { keys: ["apps"] } }],
    });

    // Assess
    expect(refused).toEqual([
      'targets[0].decryption.keys[1]: decryption key "billing" is outside project apps\'s keys (apps)',
    ]);
    expect(allowed).toEqual([]);
  });
});
