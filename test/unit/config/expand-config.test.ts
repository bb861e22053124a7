/**
 * Expanding and validating a config repository commit: generators make targets from templates,
 * every target stays inside its project, and every problem names file:line and the field.
 */
import { describe, expect, it } from "vitest";
import { parseConfigDocuments } from "../../../lib/config/config-documents.ts";
import { diffConfigs } from "../../../lib/config/diff-config.ts";
import { type DirectoryListing, expandConfig, listingKey } from "../../../lib/config/expand-config.ts";
import { parseTargetsConfig } from "../../../lib/config/targets.ts";
import { formatConfigProblem } from "../../../lib/errors.ts";

const stack = parseTargetsConfig({
  version: 1,
  clusters: { prod: { type: "eks", name: "prod" }, staging: { type: "eks", name: "staging" } },
  projects: {
    apps: {
      repositories: ["acme/*"],
      clusters: ["prod", "staging"],
      namespaces: ["apps", "team-*"],
      kinds: ["ConfigMap", "Deployment.apps"],
      deniedKinds: ["Secret"],
    },
  },
  configRepository: { repo: "acme/platform", path: "pullbridge" },
  targets: [{ name: "legacy", repo: "acme/legacy", cluster: "prod", namespace: "legacy" }],
});

/** Expands `files` (path → YAML) with the given directory listings. */
function expand(files: Record<string, string>, directories: Record<string, DirectoryListing> = {}) {
  const parsed = parseConfigDocuments(new Map(Object.entries(files)));
  const listings = new Map(
    Object.entries(directories).map(([key, listing]) => {
      const [repo = "", branch = ""] = key.split("@");
      return [listingKey(repo, branch), listing];
    }),
  );
  const result = expandConfig({ parsed, stack, directories: listings });
  return { ...result, lines: result.problems.map(formatConfigProblem) };
}

const lines = (...l: string[]) => `${l.join("\n")}\n`;

describe("targets written in the config repository", () => {
  it("validates them, fills the project's kinds and denied kinds, and remembers where each is written", () => {
    // Act
    const result = expand({
      "pullbridge/web.yaml": lines(
        "version: 1",
        "targets:",
        "  - name: web",
        "    project: apps",
        "    repo: acme/web",
        "    cluster: prod",
        "    namespace: apps",
      ),
    });

    // Assess
    expect(result.lines).toEqual([]);
    expect(result.targets).toEqual([
      expect.objectContaining({
        origin: { file: "pullbridge/web.yaml", line: 3 },
        target: expect.objectContaining({
          name: "web",
          policy: expect.objectContaining({
            kinds: ["ConfigMap", "Deployment.apps"],
            deniedKinds: ["Secret"],
          }),
        }),
      }),
    ]);
  });

  it("refuses a target without a project, beyond its project, or clashing with a packaged target, at file:line", () => {
    // Act
    const result = expand({
      "pullbridge/bad.yaml": lines(
        "version: 1",
        "targets:",
        "  - name: orphan",
        "    repo: acme/web",
        "    cluster: prod",
        "    namespace: apps",
        "  - name: wide",
        "    project: apps",
        "    repo: other/web",
        "    cluster: prod",
        "    namespace: kube-system",
        "    policy:",
        "      kinds: [Secret, ConfigMap]",
        "    impersonate:",
        "      user: admin",
        "  - name: legacy",
        "    project: apps",
        "    repo: acme/legacy",
        "    cluster: prod",
        "    namespace: team-x",
      ),
    });

    // Assess
    expect(result.lines).toEqual([
      'pullbridge/bad.yaml:3:5: targets[0].project: required field "project" is missing: every target of the config repository names its project',
      "pullbridge/bad.yaml:9:5: targets[1].repo: repository other/web is outside project apps's repositories (acme/*)",
      'pullbridge/bad.yaml:11:5: targets[1].namespace: namespace "kube-system" is outside project apps\'s namespaces (apps, team-*)',
      "pullbridge/bad.yaml:13:15: targets[1].policy.kinds[0]: kind Secret is outside project apps's kinds (ConfigMap, Deployment.apps)",
      'pullbridge/bad.yaml:15:7: targets[1].impersonate.user: impersonating "admin" is outside project apps\'s impersonate list (empty)',
      'pullbridge/bad.yaml:16:5: targets[2].name: duplicate target name "legacy" (also in the stack file)',
    ]);
    expect(result.targets).toEqual([]);
  });

  it("says that clusters, projects and keys belong in the stack file, and refuses two documents in one file", () => {
    // Act
    const result = expand({
      "pullbridge/a.yaml": lines("version: 1", "projects:", "  mine: {}"),
      "pullbridge/b.yaml": lines("version: 1", "---", "version: 1"),
      "pullbridge/README.md": "not read",
    });

    // Assess
    expect(result.lines).toEqual([
      "pullbridge/a.yaml:2:1: projects: `projects` live in the deployed stack file (infra/targets.yaml), not in the config repository: refer to them by name",
      "pullbridge/b.yaml:2:1: one document per file: split the `---` documents into files of their own",
    ]);
  });
});

describe("generators", () => {
  const fleet = lines(
    "version: 1",
    "generators:",
    "  - name: envs",
    "    list:",
    "      elements:",
    "        - { cluster: prod, suffix: prd }",
    "        - { cluster: staging, suffix: stg }",
    "  - name: apps",
    "    directories:",
    "      repo: acme/apps",
    "      glob: apps/*/deploy",
    "      exclude: [apps/old/deploy]",
    "  - name: fleet",
    "    matrix: [apps, envs]",
    "    template:",
    '      name: "{{path[1]}}-{{suffix}}"',
    "      project: apps",
    "      repo: acme/apps",
    '      path: "{{path}}"',
    '      cluster: "{{cluster}}"',
    '      namespace: "team-{{path[1]}}"',
  );
  const listing = {
    "acme/apps@main": {
      directories: ["apps", "apps/web", "apps/web/deploy", "apps/api/deploy", "apps/old/deploy", "docs"],
    },
  };

  it("makes one target per parameter set of a matrix of a directory listing and a list", () => {
    // Act
    const result = expand({ "pullbridge/fleet.yaml": fleet }, listing);

    // Assess
    expect(result.lines).toEqual([]);
    expect(
      result.targets.map((t) => [t.target.name, t.target.cluster, t.target.namespace, t.target.path]),
    ).toEqual([
      ["api-prd", "prod", "team-api", "apps/api/deploy"],
      ["api-stg", "staging", "team-api", "apps/api/deploy"],
      ["web-prd", "prod", "team-web", "apps/web/deploy"],
      ["web-stg", "staging", "team-web", "apps/web/deploy"],
    ]);
    expect(result.targets[0]?.origin).toEqual({
      file: "pullbridge/fleet.yaml",
      line: 13,
      generator: "fleet",
      source: "apps/api/deploy × cluster=prod, suffix=prd",
    });
    expect(result.directorySources).toEqual([
      {
        generator: "apps",
        repo: "acme/apps",
        branch: "main",
        glob: "apps/*/deploy",
        exclude: ["apps/old/deploy"],
      },
    ]);
  });

  it("refuses allowEmpty on a target made from a directory, directly or through a matrix", () => {
    // Prepare
    const allowEmpty = fleet.replace(
      '      path: "{{path}}"\n',
      '      path: "{{path}}"\n      allowEmpty: true\n',
    );
    const listed = lines(
      "version: 1",
      "generators:",
      "  - name: envs",
      "    list:",
      "      elements: [{ cluster: prod }]",
      "    template:",
      '      name: "legacy-{{cluster}}"',
      "      project: apps",
      "      repo: acme/apps",
      '      cluster: "{{cluster}}"',
      "      namespace: apps",
      "      allowEmpty: true",
    );

    // Act
    const fromMatrix = expand({ "pullbridge/fleet.yaml": allowEmpty }, listing);
    const fromList = expand({ "pullbridge/list.yaml": listed });

    // Assess
    expect(allowEmpty).not.toBe(fleet);
    expect(fromMatrix.targets).toEqual([]);
    expect(fromMatrix.lines).toEqual(
      [
        "apps/api/deploy × cluster=prod, suffix=prd",
        "apps/api/deploy × cluster=staging, suffix=stg",
        "apps/web/deploy × cluster=prod, suffix=prd",
        "apps/web/deploy × cluster=staging, suffix=stg",
      ].map(
        (source) =>
          `pullbridge/fleet.yaml:20:7: template.allowEmpty: a target made from a directory cannot allow being empty: deleting the directory would prune its objects as an empty sync instead of removing the target (pruneOnRemove decides that) (generator fleet, ${source})`,
      ),
    );
    expect(fromList.lines).toEqual([]);
    expect(fromList.targets.map((t) => [t.target.name, t.target.allowEmpty])).toEqual([
      ["legacy-prod", true],
    ]);
  });

  it("keeps a generated target's identity when only its name template changes", () => {
    // Prepare
    const before = expand({ "pullbridge/fleet.yaml": fleet }, listing).targets.map((t) => t.target);

    // Act
    const after = expand(
      { "pullbridge/fleet.yaml": fleet.replace('"{{path[1]}}-{{suffix}}"', '"app-{{path[1]}}-{{suffix}}"') },
      listing,
    ).targets.map((t) => t.target);
    const change = diffConfigs(before, after);

    // Assess
    expect(after.map((t) => t.inventoryName)).toEqual(before.map((t) => t.inventoryName));
    expect([change.added.length, change.removed.length, change.changed.length]).toEqual([0, 0, 4]);
    expect(change.changed[0]?.after.name).toBe("app-api-prd");
  });

  it("reports matrix cycles, unknown generators, parameter clashes and unknown parameters where they are written", () => {
    // Act
    const result = expand({
      "pullbridge/bad.yaml": lines(
        "version: 1",
        "generators:",
        "  - name: a",
        "    matrix: [b, c]",
        "    template: { name: x, project: apps, repo: acme/x, cluster: prod, namespace: apps }",
        "  - name: b",
        "    matrix: [a, c]",
        "  - name: c",
        "    list: { elements: [{ app: web }] }",
        "  - name: d",
        "    matrix: [c, e]",
        "    template: { name: x, project: apps, repo: acme/x, cluster: prod, namespace: apps }",
        "  - name: e",
        "    list: { elements: [{ app: api }] }",
        "  - name: f",
        "    matrix: [c, nope]",
        "  - name: g",
        "    list: { elements: [{ app: web }] }",
        "    template:",
        '      name: "{{ap}}"',
        "      project: apps",
        "      repo: acme/x",
        "      cluster: prod",
        "      namespace: apps",
        "  - name: h",
        "    list: { elements: [{ app: web }] }",
      ),
    });

    // Assess
    expect(result.lines).toEqual([
      "pullbridge/bad.yaml:7:14: matrix[0]: matrix cycle: a → b → a",
      'pullbridge/bad.yaml:11:5: matrix: parameter "app" comes from both c and e',
      'pullbridge/bad.yaml:15:5: template: generator "f" has no template and no matrix uses it, so it makes nothing',
      'pullbridge/bad.yaml:16:17: matrix[1]: unknown generator "nope" (known: a, b, c, d, e, f, g, h)',
      "pullbridge/bad.yaml:20:7: template.name: unknown parameter {{ap}} (this generator has: app) (generator g, app=web)",
      'pullbridge/bad.yaml:25:5: template: generator "h" has no template and no matrix uses it, so it makes nothing',
    ]);
  });

  it("never templates the project, and says which repository could not be listed", () => {
    // Act
    const result = expand(
      {
        "pullbridge/bad.yaml": lines(
          "version: 1",
          "generators:",
          "  - name: apps",
          "    directories: { repo: acme/apps, glob: 'apps/*' }",
          "    template:",
          '      name: "{{path.basename}}"',
          '      project: "{{path.basename}}"',
          "      repo: acme/apps",
          "      cluster: prod",
          "      namespace: apps",
          "  - name: more",
          "    directories: { repo: acme/gone, glob: 'apps/*' }",
          "    template: { name: x, project: apps, repo: acme/gone, cluster: prod, namespace: apps }",
        ),
      },
      { "acme/gone@main": { error: "branch not found" } },
    );

    // Assess
    expect(result.lines).toEqual([
      "pullbridge/bad.yaml:7:7: generators[0].template.project: the project is never templated: name it literally",
      "pullbridge/bad.yaml:12:5: directories: cannot list acme/gone@main: branch not found",
    ]);
  });

  it("checks a pullRequests template against its project with a sample pull request", () => {
    // Act
    const result = expand({
      "pullbridge/previews.yaml": lines(
        "version: 1",
        "generators:",
        "  - name: web",
        "    pullRequests: { repo: acme/web, label: preview }",
        "    template:",
        "      name: preview",
        "      project: apps",
        "      cluster: prod",
        '      namespace: "pr-{{number}}"',
      ),
    });

    // Assess
    expect(result.lines).toEqual([
      "pullbridge/previews.yaml:6:7: template.name: the pullRequests generator sets `name` itself (web-pr-1): remove it",
    ]);
    const fixed = expand({
      "pullbridge/previews.yaml": lines(
        "version: 1",
        "generators:",
        "  - name: web",
        "    pullRequests: { repo: acme/web, label: preview }",
        "    template:",
        "      project: apps",
        "      cluster: prod",
        '      namespace: "pr-{{number}}"',
      ),
    });
    expect(fixed.lines).toEqual([
      'pullbridge/previews.yaml:8:7: generators[0].template.namespace: namespace "pr-1" is outside project apps\'s namespaces (apps, team-*) (generator web, pull request (sample))',
    ]);
    expect(fixed.targets).toEqual([]);
  });
});
