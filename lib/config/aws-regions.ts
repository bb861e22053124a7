/**
 * The AWS regions a cluster may name, and the partition each belongs to. A list rather than a
 * pattern: `eu-west-9` is well-formed but does not exist, and a typo there would otherwise surface
 * only at sync time as a DNS failure that looks retryable. A region AWS opens after this list was
 * written is added here (one line); until then the targets file refuses it, naming the field.
 */

/** The partition of an ARN: `aws`, `aws-cn` (China) or `aws-us-gov` (GovCloud). */
export type AwsPartition = "aws" | "aws-cn" | "aws-us-gov";

const REGIONS_BY_PARTITION: Record<AwsPartition, readonly string[]> = {
  aws: [
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
  ],
  "aws-cn": ["cn-north-1", "cn-northwest-1"],
  "aws-us-gov": ["us-gov-east-1", "us-gov-west-1"],
};

const PARTITION_OF = new Map<string, AwsPartition>(
  (Object.entries(REGIONS_BY_PARTITION) as [AwsPartition, readonly string[]][]).flatMap(
    ([partition, regions]) => regions.map((region) => [region, partition] as const),
  ),
);

/** The partition of a known region, or undefined for a region AWS does not have. */
export function partitionOfRegion(region: string): AwsPartition | undefined {
  return PARTITION_OF.get(region);
}

/** An IAM role ARN, split: `arn:<partition>:iam::<account>:role/<path/><name>`. */
export type IamRoleArn = { partition: AwsPartition; accountId: string; name: string };

// IAM's own rules: a 12-digit account, a path of printable ASCII between slashes, a name of at most
// 64 characters from [A-Za-z0-9+=,.@_-].
const ROLE_ARN = /^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):role\/(?:[!-~]*\/)?([\w+=,.@-]{1,64})$/;

/** Parses an IAM role ARN; undefined when it is not one. */
export function parseIamRoleArn(arn: string): IamRoleArn | undefined {
  const match = ROLE_ARN.exec(arn);
  if (!match) return undefined;
  const [, partition, accountId, name] = match;
  if (partition === undefined || accountId === undefined || name === undefined) return undefined;
  return { partition: partition as AwsPartition, accountId, name };
}
