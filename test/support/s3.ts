/** Test-side helpers for the shared S3-protocol endpoint (moto) driven by the real AWS SDK. */
import { CreateBucketCommand, PutBucketVersioningCommand, S3Client } from "@aws-sdk/client-s3";
import { inject } from "vitest";
import { uniqueName } from "./kube.ts";
import { MOTO_CREDENTIALS, MOTO_REGION } from "./moto.ts";

/** An S3 client pointed at `endpoint` (default: the run's moto) with the fixed dummy credentials. */
export function testS3Client(
  endpoint: string = inject("motoEndpoint"),
  options: { maxAttempts?: number } = {},
): S3Client {
  return new S3Client({
    endpoint,
    forcePathStyle: true,
    region: MOTO_REGION,
    credentials: MOTO_CREDENTIALS,
    ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
  });
}

/** Creates a fresh versioned bucket (as the stack deploys it) for one test; buckets isolate tests. */
export async function createTestBucket(s3: S3Client = testS3Client(), prefix = "state"): Promise<string> {
  const bucket = uniqueName(prefix);
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(
    new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }),
  );
  return bucket;
}
