/**
 * The render cache: a target's validated desired set, kept in the state bucket under a key that
 * covers everything the render and its validation depend on (render-key.ts) — so a drift check
 * whose inputs did not change neither downloads nor renders. A stored entry carries the digest
 * of its payload; a damaged one is deleted and rendered again, never applied. Entries are
 * create-only (the same key always holds the same set) and expire with `cache/`.
 */
import { describeError, StateStoreError } from "../errors.ts";
import type { DesiredObject } from "../manifests/kube-object.ts";
import type { RenderEngine } from "../render/renderer-port.ts";
import type { SkippedFile } from "../source/git-source.ts";
import type { ObjectStore } from "../state/object-store.ts";
import type { FleetCounters } from "../telemetry/fleet-counters.ts";
import type { Log } from "../telemetry/log.ts";
import { FleetMetric } from "../telemetry/metric-names.ts";
import { sha256Hex } from "./tree-index.ts";

/** Key prefix of the cached sets (granted to the worker in infra/iam.ts). */
export const RENDER_CACHE_PREFIX = "cache/renders/";

/** What a cached render gives back: what loading the target would have returned for a sync. */
export type CachedRender = {
  engine: RenderEngine | "plain";
  renderer?: string | undefined;
  notes: readonly string[];
  desired: DesiredObject[];
  skipped: SkippedFile[];
};

const ENTRY_VERSION = 1;

export type RenderCache = {
  /** The set stored under `key`, or undefined (missing, damaged — then deleted —, or the bucket unreachable). */
  get(key: string, signal?: AbortSignal): Promise<CachedRender | undefined>;
  /** Stores the set under `key` (create-only); failures are counted and logged, never thrown. */
  put(key: string, render: CachedRender, signal?: AbortSignal): Promise<void>;
};

const keyOf = (key: string) => `${RENDER_CACHE_PREFIX}${key}.json`;

/** Builds the cache over `store`. */
export function createRenderCache(options: {
  store: ObjectStore;
  counters: FleetCounters;
  log: Log;
}): RenderCache {
  const { store, counters, log } = options;
  return {
    async get(key, signal) {
      let answer: Awaited<ReturnType<ObjectStore["get"]>>;
      try {
        answer = await store.get(keyOf(key), { signal });
      } catch (error) {
        if (!(error instanceof StateStoreError)) throw error;
        counters.add(FleetMetric.StateStoreErrors);
        log.warn("render cache: read failed; rendering", { error: describeError(error) });
        return undefined;
      }
      if (answer.kind !== "found") return undefined;
      const render = decode(new TextDecoder().decode(answer.body), key);
      if (render === undefined) {
        counters.add(FleetMetric.CacheCorruptObjects);
        log.warn("render cache: a damaged entry was discarded", { key });
        await store.delete(keyOf(key), { signal }).catch(() => undefined);
      }
      return render;
    },
    async put(key, render, signal) {
      const payload = JSON.stringify(render);
      const body = `{"v":${ENTRY_VERSION},"key":"${key}","digest":"${sha256Hex(payload)}","payload":${payload}}`;
      try {
        await store.put(keyOf(key), body, { ifNoneMatch: "*" }, { signal, contentType: "application/json" });
      } catch (error) {
        if (!(error instanceof StateStoreError)) throw error;
        counters.add(FleetMetric.StateStoreErrors);
        log.warn("render cache: write failed", { error: describeError(error) });
      }
    },
  };
}

/** The entry's set, or undefined when it is not one (bad JSON, other key, digest mismatch). */
function decode(text: string, key: string): CachedRender | undefined {
  try {
    const entry = JSON.parse(text) as { v?: unknown; key?: unknown; digest?: unknown; payload?: unknown };
    if (entry.v !== ENTRY_VERSION || entry.key !== key || typeof entry.digest !== "string") return undefined;
    // The digest is over the payload as written: re-serialising it reproduces the same text.
    if (sha256Hex(JSON.stringify(entry.payload)) !== entry.digest) return undefined;
    const payload = entry.payload as Partial<CachedRender>;
    if (!Array.isArray(payload.desired) || !Array.isArray(payload.notes) || !Array.isArray(payload.skipped))
      return undefined;
    return payload as CachedRender;
  } catch {
    return undefined;
  }
}
