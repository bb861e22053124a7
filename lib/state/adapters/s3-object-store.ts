/**
 * The S3 adapter of the state-store port. Conditional writes are S3's own (`If-Match` /
 * `If-None-Match: *` on PutObject, decided atomically by S3: 412 PreconditionFailed, or 409
 * ConditionalRequestConflict when another conditional write to the key is in flight), as are
 * conditional reads (`If-None-Match` on GetObject: 304). Failures are classified by the one AWS
 * table (lib/cluster/credentials-aws-errors.ts) and thrown as `StateStoreError` naming the object.
 *
 * The S3 SDK is loaded on the first call, not at module load: like the SQS and EKS clients it
 * would otherwise cost every cold start, including those that never touch the store.
 */
import type { S3Client, S3ClientConfig } from "@aws-sdk/client-s3";
import { classifyAwsError } from "../../cluster/credentials-aws-errors.ts";
import { StateStoreError, type StateStoreOperation } from "../../errors.ts";
import type { GetResult, ObjectStore, ObjectSummary, PutCondition, PutResult } from "../object-store.ts";

/** The S3 SDK module, imported once on first use. */
let s3Sdk: Promise<typeof import("@aws-sdk/client-s3")> | undefined;
const loadS3Sdk = () => {
  s3Sdk ??= import("@aws-sdk/client-s3");
  return s3Sdk;
};

/** Where and how to reach S3; everything optional falls back to the SDK's defaults (Lambda's region and role). */
export type S3ClientSettings = {
  region?: string | undefined;
  /** An S3-protocol endpoint other than AWS's (moto in tests and local mode); addressed path-style. */
  endpoint?: string | undefined;
  credentials?: S3ClientConfig["credentials"];
  /** Attempts per call, including the SDK's own retries of throttling and 5xx (SDK default 3). */
  maxAttempts?: number | undefined;
};

/** A function that builds the S3 client on first use (loading the SDK then). */
export function lazyS3Client(settings: S3ClientSettings = {}): () => Promise<S3Client> {
  return async () => {
    const { S3Client } = await loadS3Sdk();
    return new S3Client({
      ...(settings.region === undefined ? {} : { region: settings.region }),
      // Bucket-named hosts (`bucket.127.0.0.1`) do not resolve: an explicit endpoint is path-style.
      ...(settings.endpoint === undefined ? {} : { endpoint: settings.endpoint, forcePathStyle: true }),
      ...(settings.credentials === undefined ? {} : { credentials: settings.credentials }),
      ...(settings.maxAttempts === undefined ? {} : { maxAttempts: settings.maxAttempts }),
    });
  };
}

/** The SDK's per-call options: an abort signal only when there is one. */
const sendOptions = (signal: AbortSignal | undefined) =>
  signal === undefined ? {} : { abortSignal: signal };

function field(value: unknown, key: string): unknown {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

function statusOf(error: unknown): number | undefined {
  const status = field(field(error, "$metadata"), "httpStatusCode");
  return typeof status === "number" ? status : undefined;
}

const VERBS: Record<StateStoreOperation, string> = {
  get: "reading",
  put: "writing",
  list: "listing",
  delete: "deleting",
};

function storeError(error: unknown, operation: StateStoreOperation, location: string): StateStoreError {
  const facts = classifyAwsError(error);
  const http = facts.status === undefined ? "" : `, HTTP ${facts.status}`;
  const hint =
    facts.code === "AccessDenied" || facts.status === 403
      ? " (the function's role is not granted this key prefix, or the bucket policy refuses the request)"
      : "";
  return new StateStoreError(
    `state store: ${VERBS[operation]} ${location} failed: ${facts.code}${http}: ${facts.message}${hint}`,
    { cause: error, retryable: facts.retryable, operation, location, code: facts.code, status: facts.status },
  );
}

/** Builds the S3 implementation of the ObjectStore port for `bucket`. */
export function createS3ObjectStore(options: {
  bucket: string;
  /** The client, or a function that builds it on first use (see `lazyS3Client`). */
  client: S3Client | (() => Promise<S3Client>);
  /** Keys per ListObjectsV2 page (S3's default and maximum: 1000; tests use fewer to page). */
  listPageSize?: number;
}): ObjectStore {
  const { bucket, listPageSize } = options;
  const given = options.client;
  let client: Promise<S3Client> | undefined;
  const connect = () => {
    client ??= typeof given === "function" ? given() : Promise.resolve(given);
    return Promise.all([client, loadS3Sdk()]);
  };
  const location = (key: string) => `s3://${bucket}/${key}`;

  return {
    bucket,

    async get(key, options = {}): Promise<GetResult> {
      try {
        const [s3, { GetObjectCommand }] = await connect();
        const answer = await s3.send(
          new GetObjectCommand({
            Bucket: bucket,
            Key: key,
            ...(options.ifNoneMatch === undefined ? {} : { IfNoneMatch: options.ifNoneMatch }),
          }),
          sendOptions(options.signal),
        );
        const body = (await answer.Body?.transformToByteArray()) ?? new Uint8Array();
        return {
          kind: "found",
          body,
          etag: answer.ETag ?? "",
          ...(answer.VersionId === undefined ? {} : { versionId: answer.VersionId }),
        };
      } catch (error) {
        const status = statusOf(error);
        if (status === 304) return { kind: "not-modified" };
        // 404 is a missing key unless the bucket itself is missing (a configuration error).
        if (status === 404 && classifyAwsError(error).code !== "NoSuchBucket") return { kind: "missing" };
        throw storeError(error, "get", location(key));
      }
    },

    async put(key, body, condition: PutCondition, options = {}): Promise<PutResult> {
      try {
        const [s3, { PutObjectCommand }] = await connect();
        const answer = await s3.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: body,
            ...("ifMatch" in condition ? { IfMatch: condition.ifMatch } : {}),
            ...("ifNoneMatch" in condition ? { IfNoneMatch: condition.ifNoneMatch } : {}),
            ...(options.contentType === undefined ? {} : { ContentType: options.contentType }),
          }),
          sendOptions(options.signal),
        );
        return {
          kind: "written",
          etag: answer.ETag ?? "",
          ...(answer.VersionId === undefined ? {} : { versionId: answer.VersionId }),
        };
      } catch (error) {
        const status = statusOf(error);
        const code = classifyAwsError(error).code;
        // 412: the condition did not hold. 409 ConditionalRequestConflict: another conditional
        // write to this key won the race while ours was in flight. A compare-and-swap on an
        // object deleted since it was read answers 404 NoSuchKey: it changed, so a conflict too.
        if (status === 412 || (status === 409 && code === "ConditionalRequestConflict")) {
          return { kind: "conflict" };
        }
        if ("ifMatch" in condition && status === 404 && code !== "NoSuchBucket") return { kind: "conflict" };
        throw storeError(error, "put", location(key));
      }
    },

    async list(prefix, options = {}): Promise<ObjectSummary[]> {
      const found: ObjectSummary[] = [];
      try {
        const [s3, { ListObjectsV2Command }] = await connect();
        let token: string | undefined;
        do {
          const page = await s3.send(
            new ListObjectsV2Command({
              Bucket: bucket,
              Prefix: prefix,
              ...(listPageSize === undefined ? {} : { MaxKeys: listPageSize }),
              ...(token === undefined ? {} : { ContinuationToken: token }),
            }),
            sendOptions(options.signal),
          );
          for (const object of page.Contents ?? []) {
            if (object.Key === undefined) continue;
            found.push({
              key: object.Key,
              etag: object.ETag ?? "",
              size: object.Size ?? 0,
              lastModified: object.LastModified,
            });
          }
          token = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (token !== undefined);
      } catch (error) {
        throw storeError(error, "list", location(prefix));
      }
      return found;
    },

    async delete(key, options = {}): Promise<void> {
      try {
        const [s3, { DeleteObjectCommand }] = await connect();
        await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }), sendOptions(options.signal));
      } catch (error) {
        throw storeError(error, "delete", location(key));
      }
    },
  };
}
