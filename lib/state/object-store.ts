/**
 * The state-store port: objects by key in one bucket, with the two conditions compare-and-swap
 * needs. Anything that must outlive a Lambda (the current config, caches, verdicts, reviewed
 * plans) is kept through this port; the S3 adapter implements it (adapters/s3-object-store.ts).
 *
 * Conditions are the HTTP ones S3 implements atomically:
 * - a read with `ifNoneMatch` (the ETag the caller already holds) answers `not-modified` without
 *   a body when the object is unchanged — a cache revalidation costs one small request;
 * - a write with `ifMatch` succeeds only if the object still has that ETag, and one with
 *   `ifNoneMatch: "*"` only if the key is free; otherwise it answers `conflict`, never overwrites.
 *
 * Expected outcomes (`missing`, `not-modified`, `conflict`) are return values; failures throw a
 * `StateStoreError` whose `retryable` flag says whether trying again can help.
 */

/** What a read found. */
export type GetResult =
  | { kind: "found"; body: Uint8Array; etag: string; versionId?: string | undefined }
  /** The object still has the ETag passed as `ifNoneMatch`. */
  | { kind: "not-modified" }
  | { kind: "missing" };

/** What a conditional (or plain) write did. */
export type PutResult =
  | { kind: "written"; etag: string; versionId?: string | undefined }
  /**
   * The condition did not hold: the object changed since its ETag was read (or was deleted), or
   * the key was taken. Nothing was written; re-read and decide again.
   */
  | { kind: "conflict" };

/** One object under a listed prefix. */
export type ObjectSummary = { key: string; etag: string; size: number; lastModified: Date | undefined };

/** Every call may carry an abort signal (the job's time budget). */
type CallOptions = { signal?: AbortSignal | undefined };

export type PutCondition =
  /** Replace only the version with this ETag (compare-and-swap). */
  | { ifMatch: string }
  /** Create only: the key must not exist. */
  | { ifNoneMatch: "*" }
  /** Unconditional: only for content-addressed keys, where every writer writes the same bytes. */
  | { unconditional: true };

export type ObjectStore = {
  /** The bucket, for messages and logs (`s3://bucket/key`). */
  readonly bucket: string;
  /** Reads `key`; with `ifNoneMatch` answers `not-modified` when the object still has that ETag. */
  get(key: string, options?: CallOptions & { ifNoneMatch?: string | undefined }): Promise<GetResult>;
  /** Writes `key` if `condition` holds. */
  put(
    key: string,
    body: Uint8Array | string,
    condition: PutCondition,
    options?: CallOptions & { contentType?: string | undefined },
  ): Promise<PutResult>;
  /** Every current object whose key starts with `prefix`, in key order. */
  list(prefix: string, options?: CallOptions): Promise<ObjectSummary[]>;
  /** Deletes `key` (its current version; a versioned bucket keeps the old ones). Deleting a missing key is not an error. */
  delete(key: string, options?: CallOptions): Promise<void>;
};
