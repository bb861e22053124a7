/**
 * An in-memory ObjectStore for pure unit tests (integration tests use moto): conditional reads
 * and writes as S3 does them, with every call recorded.
 */
import type { GetResult, ObjectStore, PutCondition, PutResult } from "../../lib/state/object-store.ts";

export type MemoryObjectStore = ObjectStore & {
  calls: { op: "get" | "put"; key: string; conditional: boolean }[];
};

/** A store holding `initial` (key → body). */
export function memoryObjectStore(initial: Record<string, string> = {}): MemoryObjectStore {
  let version = 0;
  const objects = new Map<string, { body: Uint8Array; etag: string }>();
  const write = (key: string, body: Uint8Array | string) => {
    const etag = `"${++version}"`;
    objects.set(key, { body: typeof body === "string" ? new TextEncoder().encode(body) : body, etag });
    return etag;
  };
  for (const [key, body] of Object.entries(initial)) write(key, body);
  const calls: MemoryObjectStore["calls"] = [];
  return {
    bucket: "memory",
    calls,
    async get(key, options = {}): Promise<GetResult> {
      calls.push({ op: "get", key, conditional: options.ifNoneMatch !== undefined });
      const found = objects.get(key);
      if (found === undefined) return { kind: "missing" };
      if (options.ifNoneMatch === found.etag) return { kind: "not-modified" };
      return { kind: "found", body: found.body, etag: found.etag };
    },
    async put(key, body, condition: PutCondition): Promise<PutResult> {
      calls.push({ op: "put", key, conditional: !("unconditional" in condition) });
      const found = objects.get(key);
      if ("ifMatch" in condition && found?.etag !== condition.ifMatch) return { kind: "conflict" };
      if ("ifNoneMatch" in condition && found !== undefined) return { kind: "conflict" };
      return { kind: "written", etag: write(key, body) };
    },
    async list() {
      return [];
    },
    async delete(key) {
      objects.delete(key);
    },
  };
}
