/**
 * What the stack grants for clusters: sts:AssumeRole on exactly the roles the targets file names
 * (the worker its clusters' roleArn, health their healthRoleArn), eks:DescribeCluster only for
 * clusters reached with the function's own role, and the VPC parameters checked before packaging.
 */
import { describe, expect, it } from "vitest";
import { assumeRoleStatements, buildIamResources } from "../../../infra/iam.ts";
import { buildVpc, type VpcParams } from "../../../infra/vpc.ts";
import { parseTargetsConfig } from "../../../lib/config/targets.ts";
import { ConfigError } from "../../../lib/errors.ts";

const config = parseTargetsConfig({
  version: 1,
  clusters: {
    dev: {
      type: "eks",
      name: "platform",
      region: "eu-west-1",
      roleArn: "arn:aws:iam::111111111111:role/deployer",
    },
    prod: {
      type: "eks",
      name: "platform",
      region: "us-east-1",
      roleArn: "arn:aws:iam::333333333333:role/deployer",
      healthRoleArn: "arn:aws:iam::333333333333:role/health",
    },
    own: { type: "eks", name: "tools" },
  },
  targets: [{ name: "web", repo: "acme/deploy", cluster: "dev", namespace: "web" }],
});

const NO_VPC: VpcParams = {
  vpcSubnetIds: "",
  vpcSecurityGroupIds: "",
  vpcEndpoints: "false",
  vpcId: "",
  vpcRouteTableIds: "",
};

describe("cluster access in IAM", () => {
  it("lets each function assume only the roles it uses", () => {
    // Act / Assess
    expect(assumeRoleStatements(config, "worker")).toEqual([
      {
        Effect: "Allow",
        Action: ["sts:AssumeRole"],
        Resource: ["arn:aws:iam::111111111111:role/deployer", "arn:aws:iam::333333333333:role/deployer"],
      },
    ]);
    expect(assumeRoleStatements(config, "health")[0]?.Resource).toEqual([
      "arn:aws:iam::111111111111:role/deployer",
      "arn:aws:iam::333333333333:role/health",
    ]);
  });

  it("describes only own-account clusters with the function's role, and adds the ENI policy in a VPC", () => {
    // Act
    const { Resources } = buildIamResources({
      region: "eu-west-1",
      config,
      webhookSecretParameter: "/w",
      githubSecretParameters: ["/t"],
      vpcPolicyArns: ["arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"],
    });
    const statements = (id: string) =>
      (
        Resources[id] as {
          Properties: {
            Policies: { PolicyDocument: { Statement: { Action: string[]; Resource: unknown[] }[] } }[];
          };
        }
      ).Properties.Policies[0]?.PolicyDocument.Statement ?? [];
    const describe = statements("WorkerRole").find((s) => s.Action.includes("eks:DescribeCluster"));

    // Assess
    expect(describe?.Resource).toEqual([
      { "Fn::Sub": `arn:\${AWS::Partition}:eks:eu-west-1:\${AWS::AccountId}:cluster/tools` },
    ]);
    expect(JSON.stringify(Resources.WorkerRole)).toContain("AWSLambdaVPCAccessExecutionRole");
    expect(JSON.stringify(Resources.HealthRole)).toContain("AWSLambdaVPCAccessExecutionRole");
    expect(JSON.stringify(Resources.WebhookRole)).not.toContain("ManagedPolicyArns");
  });
});

describe("VPC parameters", () => {
  it("places nothing in a VPC by default", () => {
    expect(buildVpc(NO_VPC)).toEqual({ functionVpc: false, inVpc: false, resources: { Resources: {} } });
  });

  it.each([
    [{ vpcSubnetIds: "subnet-0123456789abcdef0" }, "--param vpcSecurityGroupIds: a VPC needs both"],
    [
      { vpcSubnetIds: "subnet-1", vpcSecurityGroupIds: "sg-0123456789abcdef0" },
      '--param vpcSubnetIds: item 1 "subnet-1" is not a subnet- id',
    ],
    [{ vpcEndpoints: "yes" }, "--param vpcEndpoints: must be true or false"],
    [{ vpcEndpoints: "true" }, "--param vpcEndpoints: needs vpcSubnetIds and vpcSecurityGroupIds"],
    [
      {
        vpcSubnetIds: "subnet-0123456789abcdef0",
        vpcSecurityGroupIds: "sg-0123456789abcdef0",
        vpcEndpoints: "true",
      },
      "--param vpcId: vpcEndpoints=true needs the VPC's id",
    ],
    [
      {
        vpcSubnetIds: "subnet-0123456789abcdef0",
        vpcSecurityGroupIds: "sg-0123456789abcdef0",
        vpcEndpoints: "true",
        vpcId: "vpc-0123456789abcdef0",
      },
      "--param vpcRouteTableIds: vpcEndpoints=true needs the route tables",
    ],
  ])("refuses %j naming the parameter", (params, expected) => {
    // Act
    const attempt = () => buildVpc({ ...NO_VPC, ...params });

    // Assess
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(expected);
  });
});
