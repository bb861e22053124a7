/**
 * The fleet benchmark's state bucket: moto in server mode (as the tests use it), one versioned
 * bucket, and the S3 adapter wrapped to count requests by kind.
 */
import { CreateBucketCommand, PutBucketVersioningCommand, S3Client } from "@aws-sdk/client-s3";
import { createS3ObjectStore, lazyS3Client } from "../../lib/state/adapters/s3-object-store.ts";
import type { ObjectStore } from "../../lib/state/object-store.ts";
import { ensureMoto, MOTO_CREDENTIALS, MOTO_REGION, startMoto } from "../../test/support/moto.ts";

export type StateCounts = { get: number; put: number; list: number; delete: number; notModified: number };

/** Starts moto, creates the bucket, returns the counting store. */
export async function startStateStore(): Promise<{
  store: ObjectStore;
  counts(): StateCounts;
  stop(): Promise<void>;
}> {
  const install = await ensureMoto();
  if (install.kind !== "installed") throw new Error(`moto is needed: ${install.reason}`);
  const moto = await startMoto({ binDir: install.binDir });
  const bucket = "fleet-state";
  const s3 = new S3Client({
    endpoint: moto.endpoint,
    forcePathStyle: true,
    region: MOTO_REGION,
    credentials: MOTO_CREDENTIALS,
  });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(
    new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }),
  );
  s3.destroy();
  const inner = createS3ObjectStore({
    bucket,
    client: lazyS3Client({ endpoint: moto.endpoint, region: MOTO_REGION, credentials: MOTO_CREDENTIALS }),
  });
  const counts: StateCounts = { get: 0, put: 0, list: 0, delete: 0, notModified: 0 };
  const store: ObjectStore = {
    bucket,
    async get(key, options) {
      counts.get += 1;
      const answer = await inner.get(key, options);
      if (answer.kind === "not-modified") counts.notModified += 1;
      return answer;
    },
    put(key, body, condition, options) {
      counts.put += 1;
      return inner.put(key, body, condition, options);
    },
    list(prefix, options) {
      counts.list += 1;
      return inner.list(prefix, options);
    },
    delete(key, options) {
      counts.delete += 1;
      return inner.delete(key, options);
    },
  };
  return { store, counts: () => ({ ...counts }), stop: () => moto.stop() };
}
