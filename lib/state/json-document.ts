/**
 * A JSON object kept under one key of the state store, validated by a schema on every read and
 * write, and changed only by compare-and-swap: a write names the ETag it read (or that the key
 * must be free), so of two writers that read the same version exactly one wins and the other
 * re-reads. The last version seen is remembered (a cache that a miss rebuilds), so reading an
 * unchanged document costs one conditional request with no body.
 */
import type * as z from "zod";
import { StateStoreError } from "../errors.ts";
import type { ObjectStore } from "./object-store.ts";

/** What the document holds now. */
export type DocumentRead<T> = { kind: "found"; value: T; etag: string } | { kind: "missing" };

/** What a write did; `conflict` means another writer changed the document first: nothing was written. */
export type DocumentWrite = { kind: "written"; etag: string } | { kind: "conflict" };

/** What `update` ended with. */
export type DocumentUpdate<T> =
  | { kind: "written"; value: T; etag: string }
  /** `change` returned undefined: nothing to write. */
  | { kind: "unchanged"; value: T | undefined };

type CallOptions = { signal?: AbortSignal | undefined };

export type JsonDocument<T> = {
  readonly key: string;
  /** The current value (revalidated against the version last seen). */
  read(options?: CallOptions): Promise<DocumentRead<T>>;
  /** Writes `value` only if the document still has ETag `expected.etag`, or — `"absent"` — does not exist yet. */
  write(value: T, expected: { etag: string } | "absent", options?: CallOptions): Promise<DocumentWrite>;
  /**
   * Read, change, compare-and-swap; on a conflict it starts again from a fresh read, at most
   * `maxAttempts` times (default 5), then throws a retryable StateStoreError. `change` must be
   * pure (it may run more than once); returning undefined writes nothing.
   */
  update(
    change: (current: T | undefined) => T | undefined,
    options?: CallOptions & { maxAttempts?: number },
  ): Promise<DocumentUpdate<T>>;
};

const DEFAULT_MAX_ATTEMPTS = 5;

/** The document at `key` of `store`, whose content `schema` validates. */
export function jsonDocument<T>(store: ObjectStore, key: string, schema: z.ZodType<T>): JsonDocument<T> {
  const location = `s3://${store.bucket}/${key}`;
  let last: { value: T; etag: string } | undefined;

  const invalid = (what: string, cause?: unknown) =>
    new StateStoreError(`state store: ${location} ${what}`, {
      ...(cause === undefined ? {} : { cause }),
      retryable: false,
      operation: "get",
      location,
      code: "InvalidDocument",
    });

  const decode = (body: Uint8Array): T => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder().decode(body));
    } catch (error) {
      throw invalid("is not JSON", error);
    }
    const result = schema.safeParse(parsed);
    if (!result.success) {
      const issue = result.error.issues[0];
      const path = issue?.path.length ? issue.path.join(".") : "(root)";
      throw invalid(`does not match its schema: ${path}: ${issue?.message ?? "invalid"}`);
    }
    return result.data;
  };

  const read = async (options: CallOptions = {}): Promise<DocumentRead<T>> => {
    const known = last;
    const answer = await store.get(key, { ifNoneMatch: known?.etag, signal: options.signal });
    if (answer.kind === "not-modified" && known !== undefined) return { kind: "found", ...known };
    if (answer.kind === "found") {
      last = { value: decode(answer.body), etag: answer.etag };
      return { kind: "found", ...last };
    }
    last = undefined;
    // `not-modified` without a version of ours cannot happen (no ETag was sent); treat it as a miss.
    return { kind: "missing" };
  };

  /** Writes; on success also returns the value as validated (a schema may fill in defaults). */
  const write = async (
    value: T,
    expected: { etag: string } | "absent",
    options: CallOptions = {},
  ): Promise<{ kind: "written"; etag: string; value: T } | { kind: "conflict" }> => {
    const checked = schema.safeParse(value);
    if (!checked.success) {
      throw new StateStoreError(`state store: refusing to write ${location}: ${checked.error.message}`, {
        retryable: false,
        operation: "put",
        location,
        code: "InvalidDocument",
      });
    }
    const answer = await store.put(
      key,
      JSON.stringify(checked.data),
      expected === "absent" ? { ifNoneMatch: "*" } : { ifMatch: expected.etag },
      { contentType: "application/json", signal: options.signal },
    );
    if (answer.kind === "conflict") return answer;
    last = { value: checked.data, etag: answer.etag };
    return { kind: "written", etag: answer.etag, value: checked.data };
  };

  return {
    key,
    read,
    async write(value, expected, options) {
      const written = await write(value, expected, options);
      return written.kind === "written" ? { kind: "written", etag: written.etag } : written;
    },
    async update(change, options = {}) {
      const attempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
      for (let attempt = 1; attempt <= attempts; attempt += 1) {
        const current = await read(options);
        const next = change(current.kind === "found" ? current.value : undefined);
        if (next === undefined) {
          return { kind: "unchanged", value: current.kind === "found" ? current.value : undefined };
        }
        const written = await write(
          next,
          current.kind === "found" ? { etag: current.etag } : "absent",
          options,
        );
        if (written.kind === "written") return written;
      }
      throw new StateStoreError(
        `state store: ${location} changed under every one of ${attempts} compare-and-swap attempts`,
        { retryable: true, operation: "put", location, code: "ConflictPersisted" },
      );
    },
  };
}
