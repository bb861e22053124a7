/**
 * Private cluster endpoints: the stack parameters that put the two functions that talk to
 * clusters — the worker and the health consumer, and only those — into the platform team's VPC,
 * and, when asked, the VPC endpoints those functions then need to reach AWS without the internet.
 * GitHub has no VPC endpoint: the subnets need a route to a NAT gateway (docs/clusters.md).
 * Decided at package time like the other optional resources (infra/optional-resources.ts).
 */
import { ConfigError } from "../lib/errors.ts";

/** The deploy parameters, as serverless.yml passes them (comma-separated id lists, `true`/`false`). */
export type VpcParams = {
  vpcSubnetIds: string;
  vpcSecurityGroupIds: string;
  vpcEndpoints: string;
  vpcId: string;
  vpcRouteTableIds: string;
};

/** The function-level `vpc` of serverless.yml: `false` (no VPC; osls refuses `{}`) or the subnets and security groups. */
export type FunctionVpc = false | { subnetIds: string[]; securityGroupIds: string[] };

type CfnResource = { Type: string; Properties: Record<string, unknown> };

/** The AWS APIs the worker and health functions call, each reached through an interface endpoint. */
export const INTERFACE_ENDPOINT_SERVICES = [
  "sqs",
  "sts",
  "eks",
  "ssm",
  "secretsmanager",
  "kms",
  "logs",
  "monitoring",
] as const;

/** The Lambda-managed ENI permissions (CreateNetworkInterface, Describe…, Delete…), as AWS maintains them. */
export const LAMBDA_VPC_ACCESS_POLICY = {
  "Fn::Sub": `arn:\${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole`,
};

function ids(param: keyof VpcParams, value: string, prefix: string): string[] {
  const list = value
    .split(",")
    .map((v) => v.trim())
    .filter((v) => v !== "");
  const pattern = new RegExp(`^${prefix}-[0-9a-f]{8}([0-9a-f]{9})?$`);
  list.forEach((id, i) => {
    if (!pattern.test(id)) {
      throw new ConfigError(
        `--param ${param}`,
        `item ${i + 1} "${id}" is not a ${prefix}- id (e.g. ${prefix}-0123456789abcdef0)`,
      );
    }
  });
  return list;
}

/** Reads the VPC parameters; ConfigError naming the parameter when they do not fit together. */
export function buildVpc(params: VpcParams): {
  functionVpc: FunctionVpc;
  /** Whether the worker and health run in the VPC (their roles then get the ENI permissions). */
  inVpc: boolean;
  resources: { Resources: Record<string, CfnResource> };
} {
  const subnets = ids("vpcSubnetIds", params.vpcSubnetIds, "subnet");
  const groups = ids("vpcSecurityGroupIds", params.vpcSecurityGroupIds, "sg");
  if (!["true", "false", ""].includes(params.vpcEndpoints)) {
    throw new ConfigError("--param vpcEndpoints", `must be true or false, not "${params.vpcEndpoints}"`);
  }
  const endpoints = params.vpcEndpoints === "true";
  if ((subnets.length === 0) !== (groups.length === 0)) {
    const missing = subnets.length === 0 ? "vpcSubnetIds" : "vpcSecurityGroupIds";
    throw new ConfigError(
      `--param ${missing}`,
      "a VPC needs both vpcSubnetIds and vpcSecurityGroupIds (comma-separated)",
    );
  }
  if (subnets.length === 0) {
    if (endpoints) {
      throw new ConfigError("--param vpcEndpoints", "needs vpcSubnetIds and vpcSecurityGroupIds");
    }
    return { functionVpc: false, inVpc: false, resources: { Resources: {} } };
  }
  const functionVpc = { subnetIds: subnets, securityGroupIds: groups };
  if (!endpoints) return { functionVpc, inVpc: true, resources: { Resources: {} } };

  const [vpcId] = ids("vpcId", params.vpcId, "vpc");
  if (vpcId === undefined) throw new ConfigError("--param vpcId", "vpcEndpoints=true needs the VPC's id");
  const routeTables = ids("vpcRouteTableIds", params.vpcRouteTableIds, "rtb");
  if (routeTables.length === 0) {
    throw new ConfigError(
      "--param vpcRouteTableIds",
      "vpcEndpoints=true needs the route tables of the subnets (for the S3 gateway endpoint)",
    );
  }
  const resources: Record<string, CfnResource> = {
    // HTTPS from the functions' security groups, nothing else.
    VpcEndpointSecurityGroup: {
      Type: "AWS::EC2::SecurityGroup",
      Properties: {
        GroupDescription: "pullbridge VPC endpoints: HTTPS from the worker and health functions",
        VpcId: vpcId,
        SecurityGroupIngress: groups.map((group) => ({
          IpProtocol: "tcp",
          FromPort: 443,
          ToPort: 443,
          SourceSecurityGroupId: group,
          Description: "pullbridge functions",
        })),
      },
    },
    VpcEndpointS3: {
      Type: "AWS::EC2::VPCEndpoint",
      Properties: {
        VpcEndpointType: "Gateway",
        ServiceName: { "Fn::Sub": `com.amazonaws.\${AWS::Region}.s3` },
        VpcId: vpcId,
        RouteTableIds: routeTables,
      },
    },
  };
  for (const service of INTERFACE_ENDPOINT_SERVICES) {
    const id = `VpcEndpoint${service === "secretsmanager" ? "SecretsManager" : `${service[0]?.toUpperCase()}${service.slice(1)}`}`;
    resources[id] = {
      Type: "AWS::EC2::VPCEndpoint",
      Properties: {
        VpcEndpointType: "Interface",
        ServiceName: { "Fn::Sub": `com.amazonaws.\${AWS::Region}.${service}` },
        VpcId: vpcId,
        SubnetIds: subnets,
        SecurityGroupIds: [{ Ref: "VpcEndpointSecurityGroup" }],
        // The SDK's default host names resolve to the endpoint: no endpoint configuration in the functions.
        PrivateDnsEnabled: true,
      },
    };
  }
  return { functionVpc, inVpc: true, resources: { Resources: resources } };
}
