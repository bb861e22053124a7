/**
 * Clusters in other accounts and regions, as the targets file states them: a region AWS does not
 * have, a malformed role ARN, a partition that does not match the region, or a role setting
 * without `roleArn` are refused naming the field — `osls package` fails the same way.
 */
import { describe, expect, it } from "vitest";
import { parseIamRoleArn, partitionOfRegion } from "../../../lib/config/aws-regions.ts";
import { parseTargetsConfig, parseTargetsYaml } from "../../../lib/config/targets.ts";
import { ConfigError } from "../../../lib/errors.ts";

const ROLE = "arn:aws:iam::222222222222:role/pullbridge-deployer";

function problemsOf(cluster: Record<string, unknown>): string[] {
  try {
    parseTargetsConfig({
      version: 1,
      clusters: { prod: { type: "eks", name: "prod", ...cluster } },
      targets: [{ name: "web", repo: "acme/deploy", cluster: "prod", namespace: "web" }],
    });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => `${p.field ?? ""}: ${p.reason}`);
    throw error;
  }
  return [];
}

describe("EKS clusters with roles, in any region", () => {
  it("accepts a cluster in another account and region with its roles and external id", () => {
    // Act
    const problems = problemsOf({
      region: "ap-southeast-2",
      roleArn: ROLE,
      externalId: "acme-prod:7f3a",
      healthRoleArn: "arn:aws:iam::222222222222:role/teams/platform/pullbridge-health",
    });

    // Assess
    expect(problems).toEqual([]);
  });

  it.each([
    [{ region: "eu-west-9" }, "clusters.prod.region: is not an AWS region"],
    [{ region: "EU-WEST-1" }, "clusters.prod.region: is not an AWS region"],
    [{ roleArn: "arn:aws:iam::2222:role/x" }, "clusters.prod.roleArn: must be an IAM role ARN"],
    [{ roleArn: "arn:aws:iam::222222222222:user/x" }, "clusters.prod.roleArn: must be an IAM role ARN"],
    [{ roleArn: "pullbridge-deployer" }, "clusters.prod.roleArn: must be an IAM role ARN"],
    [
      { roleArn: ROLE, healthRoleArn: "arn:aws:sts::222222222222:assumed-role/x/y" },
      "clusters.prod.healthRoleArn: must be an IAM role ARN",
    ],
    [{ externalId: "acme" }, "clusters.prod.externalId: needs `roleArn`"],
    [{ healthRoleArn: ROLE }, "clusters.prod.healthRoleArn: needs `roleArn`"],
    [{ roleArn: ROLE, externalId: "has space" }, "clusters.prod.externalId: must be 2-1224 characters"],
    [
      { region: "cn-north-1", roleArn: ROLE },
      "clusters.prod.roleArn: is in partition aws, but region cn-north-1 is in aws-cn",
    ],
  ])("refuses %j naming the field", (cluster, expected) => {
    // Act
    const problems = problemsOf(cluster);

    // Assess
    expect(problems.join("\n")).toContain(expected);
  });

  it("points at the line of the field in the YAML file", () => {
    // Prepare
    const text = [
      "version: 1",
      "clusters:",
      "  prod:",
      "    type: eks",
      "    name: prod",
      "    region: us-east-7",
      "targets:",
      "  - { name: web, repo: acme/deploy, cluster: prod, namespace: web }",
      "",
    ].join("\n");

    // Act
    const failure = (() => {
      try {
        parseTargetsYaml(text, "infra/targets.yaml");
      } catch (error) {
        return error;
      }
      return undefined;
    })();

    // Assess
    expect(failure).toBeInstanceOf(ConfigError);
    expect((failure as Error).message).toMatch(
      /^infra\/targets\.yaml:6:\d+: clusters\.prod\.region: is not an AWS region/,
    );
  });

  it("knows each region's partition and splits role ARNs, paths included", () => {
    // Act / Assess
    expect([
      partitionOfRegion("us-gov-west-1"),
      partitionOfRegion("cn-northwest-1"),
      partitionOfRegion("eu-west-1"),
    ]).toEqual(["aws-us-gov", "aws-cn", "aws"]);
    expect(parseIamRoleArn("arn:aws-cn:iam::123456789012:role/a/b/deployer")).toEqual({
      partition: "aws-cn",
      accountId: "123456789012",
      name: "deployer",
    });
    expect(parseIamRoleArn("arn:aws:iam::123456789012:role/")).toBeUndefined();
  });
});
