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
