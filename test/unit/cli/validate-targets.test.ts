import { describe, expect, it } from "vitest";
import { validateTargets } from "../../../lib/app/validate-targets-command.ts";

const file = (target: string, cluster = "prod: { type: eks, name: prod }") =>
  [
    "version: 1",
    "clusters:",
    `  ${cluster}`,
    "targets:",
    "  - name: web",
    "    repo: acme/config",
    "    cluster: prod",
    "    namespace: web",
    ...target.split("\n").filter(Boolean),
    "",
  ].join("\n");

describe("validateTargets", () => {
  it("accepts a valid file with no warnings", () => {
    // Act
    const result = validateTargets({ text: file(""), file: "t.yaml" });

    // Assess
    expect(result.targets.map((t) => t.name)).toEqual(["web"]);
    expect(result.warnings).toEqual([]);
  });

  it("warns about settings that contradict each other or do nothing", () => {
    // Act
    const result = validateTargets({
      text: file(
        [
          "    path: apps/web",
          "    watch: [apps/web/base, libs, libs/common]",
          "    allowNamespacePrune: true",
          "    previewImpersonate: { user: preview }",
          "    policy: { namespaces: [web-a], kinds: [Secret], deniedKinds: [Secret] }",
        ].join("\n"),
      ),
      file: "t.yaml",
    });

    // Assess
    expect(result.warnings).toEqual([
      "targets[0].watch[0]: apps/web/base is inside path apps/web already",
      "targets[0].watch[2]: libs/common is inside another watch path already",
      "targets[0].policy.namespaces: does not include the target's namespace web, so every namespaced object that names no namespace (it gets web) is refused",
      "targets[0].policy.kinds: Secret is also denied by policy.deniedKinds, which wins",
      "targets[0].allowNamespacePrune: has no effect while policy.clusterScoped is false (the target can neither create nor prune a Namespace)",
      "targets[0].previewImpersonate: unused, previews are off (preview: false)",
    ]);
  });

  it("warns about two targets that sync the same path to one cluster, or share a GitHub environment", () => {
    // Act
    const result = validateTargets({
      text: [
        "version: 1",
        "clusters: { prod: { type: eks, name: prod } }",
        "targets:",
        "  - { name: a, repo: acme/config, cluster: prod, namespace: a, path: apps, environment: { name: production } }",
        "  - { name: b, repo: acme/config, cluster: prod, namespace: b, path: apps/ }",
        "  - { name: c, repo: acme/config, cluster: prod, namespace: c, path: other, environment: { name: production } }",
        "",
      ].join("\n"),
      file: "t.yaml",
    });

    // Assess
    expect(result.warnings).toEqual([
      "targets[1]: syncs the same path of acme/config@main to the same cluster as targets[0] (a); each one's objects belong to the first one's ApplySet, so the other's sync is refused (or, with adopt, takes them over)",
      "targets[2].environment: records Deployments in acme/config's environment \"production\" as targets[0] (a) does, so each one's deployment marks the other's inactive; give one its own environment.name",
    ]);
  });

  it("points a schema error at the file, line and column of the field", () => {
    // Act
    const attempt = () => validateTargets({ text: file("    drift: sometimes"), file: "t.yaml" });

    // Assess
    expect(attempt).toThrow(/^t\.yaml:9:5: targets\[0\]\.drift: /);
  });

  it("warns about settings that parse but will not work as deployed", () => {
    // Act
    const result = validateTargets({
      text: file("    drift: alert\n    scheduled: false", "prod: { type: kubeconfig, source: default }"),
      file: "t.yaml",
    });

    // Assess
    expect(result.warnings).toEqual([
      'clusters.prod.source: "default" works only in local mode and the CLI; the Lambda worker refuses it (use ssm: or secretsmanager:)',
      'targets[0].drift: "alert" with scheduled: false never runs a drift check',
    ]);
  });
});
