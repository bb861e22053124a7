/**
 * The artifact cache shared by every target: a commit's tree is downloaded from GitHub once per
 * (repository, commit) and kept in the state bucket — each file once, under its content's
 * sha-256 (`cache/trees/blobs/<digest>`), and one index per commit
 * (`cache/trees/<owner>/<repo>/<sha>.json`, tree-index.ts). Jobs read only the blobs their
 * target needs. The first job to need a commit takes a short lease so that the jobs of one push
 * wait for its download instead of repeating it.
 *
 * Whatever goes wrong here never fails a sync that GitHub can still serve: a missing, unreadable
 * or too-large object falls back to GitHub (counted); a damaged one (digest mismatch) is deleted
 * and fetched again, never used. The bucket's lifecycle rule expires `cache/` after
 * `cacheDays`; a blob older than half of that is written again when a new commit still holds it.
 */
import { describeError, SourceError, StateStoreError } from "../errors.ts";
import type { GitSource, SkippedFile, SourceLimits, SourceTree, SymbolicLink } from "../source/git-source.ts";
import { HARD_LINK_REASON, sourceTreeOf } from "../source/git-source.ts";
import { assertWithinLimits } from "../source/tree-selection.ts";
import type { ObjectStore } from "../state/object-store.ts";
import type { FleetCounters } from "../telemetry/fleet-counters.ts";
import type { Log } from "../telemetry/log.ts";
import { FleetMetric } from "../telemetry/metric-names.ts";
import {
  dayOf,
  encodeTreeIndex,
  readTreeIndex,
  sha256Hex,
  type TreeIndex,
  type TreeIndexFile,
  type TreeView,
  viewOf,
} from "./tree-index.ts";

/** Key prefix of everything this module writes (granted to the worker in infra/iam.ts). */
export const TREE_CACHE_PREFIX = "cache/trees/";

/** `owner/name` as a key segment: GitHub names are case-insensitive. */
export const repoKey = (repo: string) => repo.toLowerCase();
const indexKey = (repo: string, sha: string) => `${TREE_CACHE_PREFIX}${repoKey(repo)}/${sha}.json`;
const latestKey = (repo: string) => `${TREE_CACHE_PREFIX}${repoKey(repo)}/latest.json`;
const leaseKey = (repo: string, sha: string) => `${TREE_CACHE_PREFIX}${repoKey(repo)}/${sha}.lease`;
/** The content-addressed key of a blob. */
export const blobKey = (digest: string) => `${TREE_CACHE_PREFIX}blobs/${digest}`;

/** Reads the files under some directories at the cached commit (the loader's TreeReader). */
export type CachedTreeReader = (paths: readonly string[]) => Promise<SourceTree>;

export type TreeCacheOptions = {
  store: ObjectStore;
  now: () => Date;
  /** Days after which the bucket expires `cache/` (serverless.yml `stateCacheDays`). */
  cacheDays: number;
  /** Largest file kept as a blob: the source's `maxBytes` (no target could read a larger one). */
  maxBlobBytes: number;
  counters: FleetCounters;
  log: Log;
  /** How long a job waits for another job's download of the same commit (default 60 s). */
  leaseWaitMs?: number;
  /** Waits between looks at a lease (tests pass a fast one). */
  sleep?: (ms: number) => Promise<void>;
  /** Blob reads and writes in flight at once (default 16). */
  concurrency?: number;
};

export type TreeCache = {
  /**
   * The commit's index, from the bucket or — the first time anyone needs the commit — by
   * walking its archive once (`source.walkCommit`). Undefined when the cache cannot be used (the
   * bucket unreachable, a source that cannot walk a commit): the caller reads from the source.
   * Source failures are thrown, as a direct read would throw them.
   */
  index(
    source: GitSource,
    at: { repo: string; sha: string; maxArchiveBytes?: number | undefined },
    signal?: AbortSignal,
  ): Promise<TreeView | undefined>;
  /** A reader over the cached commit; falls back to `source.fetchTree` (counted) whenever a blob cannot be used. */
  reader(source: GitSource, view: TreeView, limits: SourceLimits, signal?: AbortSignal): CachedTreeReader;
};

/** Indexes kept in memory per container: immutable, so never revalidated. */
const MEMO_SIZE = 4;

type Lease = { until: string };

/** Builds the cache over `options.store`. */
export function createTreeCache(options: TreeCacheOptions): TreeCache {
  const { store, counters, log } = options;
  const concurrency = options.concurrency ?? 16;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const memo = new Map<string, TreeView>();
  const remember = (key: string, view: TreeView) => {
    memo.delete(key);
    memo.set(key, view);
    while (memo.size > MEMO_SIZE) memo.delete(memo.keys().next().value as string);
    return view;
  };
  const stateError = (what: string, error: unknown) => {
    counters.add(FleetMetric.StateStoreErrors);
    log.warn(`artifact cache: ${what}; going on without it`, { error: describeError(error) });
  };

  /** The stored index, `missing`, or `corrupt` (deleted). Throws StateStoreError. */
  async function readIndex(repo: string, sha: string, signal?: AbortSignal) {
    const key = indexKey(repo, sha);
    const answer = await store.get(key, { signal });
    if (answer.kind !== "found") return "missing" as const;
    const index = readTreeIndex(new TextDecoder().decode(answer.body), { repo: repoKey(repo), sha });
    if (index === "corrupt") {
      counters.add(FleetMetric.CacheCorruptObjects);
      log.warn("artifact cache: a damaged tree index was discarded", { key });
      await store.delete(key, { signal });
      return "missing" as const;
    }
    return index;
  }

  /** The blobs' previous index (the repository's latest cached commit), for what need not be written again. */
  async function previousIndex(repo: string, signal?: AbortSignal): Promise<TreeView | undefined> {
    try {
      const latest = await store.get(latestKey(repo), { signal });
      if (latest.kind !== "found") return undefined;
      const { sha } = JSON.parse(new TextDecoder().decode(latest.body)) as { sha?: unknown };
      if (typeof sha !== "string") return undefined;
      const index = await readIndex(repo, sha, signal);
      return index === "missing" ? undefined : viewOf(index);
    } catch {
      return undefined; // only an optimisation: without it, every blob is written
    }
  }

  /** Walks the commit once, writes its new blobs and its index. Throws SourceError / StateStoreError. */
  async function fill(
    source: GitSource,
    at: { repo: string; sha: string; maxArchiveBytes?: number | undefined },
    signal?: AbortSignal,
  ): Promise<TreeIndex> {
    const walk = source.walkCommit?.bind(source);
    if (walk === undefined)
      throw new SourceError("this source cannot walk a whole commit", { retryable: false });
    const previous = storedDays(await previousIndex(at.repo, signal));
    const today = dayOf(options.now());
    // A blob written more than half the expiry ago is written again, resetting its expiry.
    const fresh = today - Math.floor(options.cacheDays / 2);
    const files: TreeIndexFile[] = [];
    const links: SymbolicLink[] = [];
    const hardLinks: string[] = [];
    const written = new Map<string, Promise<void>>();
    const inFlight = new Set<Promise<void>>();
    let failure: unknown;
    await walk({ repo: at.repo, sha: at.sha, maxArchiveBytes: at.maxArchiveBytes }, async (entry) => {
      if (failure !== undefined) throw failure;
      if (entry.kind === "symlink") return void links.push({ path: entry.path, target: entry.target });
      if (entry.kind === "hardlink") return void hardLinks.push(entry.path);
      const digest = sha256Hex(entry.content);
      const size = entry.content.byteLength;
      if (size > options.maxBlobBytes)
        return void files.push({ path: entry.path, digest, size, storedDay: -1 });
      const before = previous.get(digest);
      if (before !== undefined && before >= fresh) {
        files.push({ path: entry.path, digest, size, storedDay: before });
        return;
      }
      files.push({ path: entry.path, digest, size, storedDay: today });
      if (written.has(digest)) return;
      const put = store
        .put(blobKey(digest), entry.content, { unconditional: true }, { signal })
        .then(() => undefined)
        .catch((error: unknown) => {
          failure ??= error;
        });
      written.set(digest, put);
      inFlight.add(put);
      void put.finally(() => inFlight.delete(put));
      // Backpressure: the archive is read no faster than its blobs are stored.
      while (inFlight.size >= concurrency) await Promise.race(inFlight);
    });
    await Promise.all(inFlight);
    if (failure !== undefined) throw failure;
    files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const index: TreeIndex = { repo: repoKey(at.repo), sha: at.sha, files, links, hardLinks };
    // Create-only: a concurrent filler's index is as good as ours.
    await store.put(indexKey(at.repo, at.sha), encodeTreeIndex(index), { ifNoneMatch: "*" }, { signal });
    await store.put(latestKey(at.repo), JSON.stringify({ sha: at.sha }), { unconditional: true }, { signal });
    return index;
  }

  /** Takes the commit's download lease, or waits (bounded) for whoever holds it to write the index. */
  async function leaseOrWait(repo: string, sha: string, signal?: AbortSignal): Promise<TreeIndex | "fill"> {
    const waitMs = options.leaseWaitMs ?? 60_000;
    const until = new Date(options.now().getTime() + waitMs).toISOString();
    const key = leaseKey(repo, sha);
    const claimed = await store.put(
      key,
      JSON.stringify({ until } satisfies Lease),
      { ifNoneMatch: "*" },
      { signal },
    );
    if (claimed.kind === "written") return "fill";
    const deadline = Date.now() + waitMs;
    while (Date.now() < deadline) {
      const held = await store.get(key, { signal });
      if (held.kind === "found") {
        let lease: Partial<Lease> = {};
        try {
          lease = JSON.parse(new TextDecoder().decode(held.body)) as Partial<Lease>;
        } catch {
          // an unreadable lease is no lease
        }
        // A lease past its time: its holder died; take over (its index, if any, is checked first).
        if (lease.until === undefined || Date.parse(lease.until) < options.now().getTime()) {
          const index = await readIndex(repo, sha, signal);
          return index === "missing" ? "fill" : index;
        }
      }
      const index = await readIndex(repo, sha, signal);
      if (index !== "missing") return index;
      if (held.kind !== "found") return "fill"; // released without an index: its fill failed
      await sleep(500);
    }
    return "fill";
  }

  return {
    async index(source, at, signal) {
      const key = `${repoKey(at.repo)}@${at.sha}`;
      const known = memo.get(key);
      if (known !== undefined) {
        counters.add(FleetMetric.TreeCacheHits);
        return known;
      }
      let found: TreeIndex | "missing" | "fill";
      try {
        found = await readIndex(at.repo, at.sha, signal);
        if (found === "missing") found = await leaseOrWait(at.repo, at.sha, signal);
      } catch (error) {
        if (!(error instanceof StateStoreError)) throw error;
        stateError("reading the tree index failed", error);
        return undefined;
      }
      if (found !== "fill") {
        counters.add(FleetMetric.TreeCacheHits);
        return remember(key, viewOf(found));
      }
      if (source.walkCommit === undefined) return undefined;
      counters.add(FleetMetric.TreeCacheMisses);
      try {
        const index = await fill(source, at, signal);
        log.info("artifact cache: commit stored", {
          repo: at.repo,
          sha: at.sha,
          files: index.files.length,
        });
        return remember(key, viewOf(index));
      } catch (error) {
        if (!(error instanceof StateStoreError)) throw error;
        stateError("storing the commit failed", error);
        return undefined;
      } finally {
        await store.delete(leaseKey(at.repo, at.sha), { signal }).catch(() => undefined);
      }
    },

    reader(source, view, limits, signal) {
      const { repo, sha } = view.index;
      const what = `${repo}@${sha.slice(0, 7)}`;
      /** Reads from GitHub when the cache cannot serve `paths`, and puts back what it can. */
      const fallback = async (paths: readonly string[], why: string): Promise<SourceTree> => {
        counters.add(FleetMetric.CacheFallbacks);
        log.info(`artifact cache: ${why}; reading ${what} from the source`, { paths });
        const tree = await source.fetchTree({ repo, sha, paths, limits });
        await Promise.all(
          [...tree].map(async ([path, content]) => {
            const entry = view.file(path);
            const digest = sha256Hex(content);
            if (entry?.digest !== digest || entry.storedDay < 0) return;
            await store
              .put(blobKey(digest), content, { unconditional: true }, { signal })
              .catch(() => undefined);
          }),
        );
        return tree;
      };
      return async (paths) => {
        const files = view.filesWithin(paths);
        // The limits count exactly what a download would keep, so a target fails (or not) alike.
        const kept = { files: 0, bytes: 0 };
        for (const f of files) {
          kept.files += 1;
          kept.bytes += f.size;
          assertWithinLimits(kept, limits, what, paths);
        }
        if (files.some((f) => f.storedDay < 0)) return fallback(paths, "a file is too large to be cached");
        const contents = new Map<string, Uint8Array>();
        let problem: string | undefined;
        const queue = [...files];
        const worker = async () => {
          for (let f = queue.shift(); f !== undefined && problem === undefined; f = queue.shift()) {
            const answer = await store.get(blobKey(f.digest), { signal });
            if (answer.kind !== "found") {
              problem ??= `blob of ${f.path} is missing (expired?)`;
              return;
            }
            if (sha256Hex(answer.body) !== f.digest) {
              counters.add(FleetMetric.CacheCorruptObjects);
              await store.delete(blobKey(f.digest), { signal }).catch(() => undefined);
              problem ??= `blob of ${f.path} is damaged (digest mismatch) and was discarded`;
              return;
            }
            contents.set(f.path, answer.body);
          }
        };
        try {
          await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, worker));
        } catch (error) {
          if (!(error instanceof StateStoreError)) throw error;
          stateError("reading a blob failed", error);
          return fallback(paths, "the state bucket could not be read");
        }
        if (problem !== undefined) return fallback(paths, problem);
        const ordered = new Map(files.map((f) => [f.path, contents.get(f.path) ?? new Uint8Array()]));
        const skipped: SkippedFile[] = view
          .hardLinksWithin(paths)
          .map((path) => ({ path, reason: HARD_LINK_REASON }));
        return sourceTreeOf(ordered, { skipped, links: view.linksWithin(paths) });
      };
    },
  };
}

/** Blob digest → the latest day a previous index says it was stored. */
function storedDays(previous: TreeView | undefined): Map<string, number> {
  const days = new Map<string, number>();
  for (const f of previous?.index.files ?? []) {
    if (f.storedDay >= (days.get(f.digest) ?? 0)) days.set(f.digest, f.storedDay);
  }
  return days;
}
