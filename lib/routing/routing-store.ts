/**
 * Where derived routing lives: one object per repository branch,
 * `routing/<owner>/<repo>/<branch>.json`, holding each target's routing record. The worker
 * updates a target's entry by compare-and-swap when the paths its render read change (rarely:
 * a new base, a new values file); the webhook reads the whole object to route a push (read-only
 * grant). Each container keeps the last version it read and revalidates it with a conditional
 * GET, so an unchanged object costs one 304.
 */
import { describeError, StateStoreError } from "../errors.ts";
import type { ProbeResult } from "../render/renderer-port.ts";
import type { ObjectStore } from "../state/object-store.ts";
import type { BranchRouting, RoutingRecord } from "./routing-record.ts";

/** Key prefix of the routing objects (the worker writes them, the webhook reads them). */
export const ROUTING_PREFIX = "routing/";

/** The object of one repository branch (branch names may hold `/`: encoded, so keys never collide). */
export function routingKey(repo: string, branch: string): string {
  return `${ROUTING_PREFIX}${repo.toLowerCase()}/${encodeURIComponent(branch)}.json`;
}

const PROBES: ReadonlySet<string> = new Set<ProbeResult>(["file", "dir", "absent"]);
const isStrings = (x: unknown): x is string[] => Array.isArray(x) && x.every((s) => typeof s === "string");

/** Validates a stored routing object; undefined when it is not one (then treated as absent: route everything). */
export function parseBranchRouting(text: string): BranchRouting | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof raw !== "object" || raw === null) return undefined;
  const doc = raw as Partial<BranchRouting>;
  if (doc.v !== 1 || typeof doc.repo !== "string" || typeof doc.branch !== "string") return undefined;
  if (typeof doc.targets !== "object" || doc.targets === null) return undefined;
  const targets: Record<string, RoutingRecord> = {};
  for (const [name, value] of Object.entries(doc.targets)) {
    const r = value as Partial<RoutingRecord>;
    if (typeof r.sha !== "string" || typeof r.digest !== "string") continue;
    if (!isStrings(r.inputs) || !isStrings(r.listed)) continue;
    if (typeof r.probed !== "object" || r.probed === null) continue;
    if (!Object.values(r.probed).every((p) => PROBES.has(p))) continue;
    targets[name] = { sha: r.sha, digest: r.digest, inputs: r.inputs, listed: r.listed, probed: r.probed };
  }
  return { v: 1, repo: doc.repo, branch: doc.branch, targets };
}

/** Reads routing objects, revalidating the last version seen (one 304 when unchanged). Shared by the webhook and the worker. */
export type RoutingReader = {
  /** The branch's records; undefined when none were ever written. Throws StateStoreError. */
  read(repo: string, branch: string, signal?: AbortSignal): Promise<BranchRouting | undefined>;
};

/** A reader caching per container. */
export function createRoutingReader(store: ObjectStore): RoutingReader {
  const seen = new Map<string, { etag: string; value: BranchRouting | undefined }>();
  return {
    async read(repo, branch, signal) {
      const key = routingKey(repo, branch);
      const known = seen.get(key);
      const answer = await store.get(key, { ifNoneMatch: known?.etag, signal });
      if (answer.kind === "not-modified" && known !== undefined) return known.value;
      if (answer.kind !== "found") {
        seen.delete(key);
        return undefined;
      }
      const value = parseBranchRouting(new TextDecoder().decode(answer.body));
      seen.set(key, { etag: answer.etag, value });
      return value;
    },
  };
}

export type RoutingStore = RoutingReader & {
  /**
   * Sets `target`'s record (compare-and-swap, retried with jitter). Best effort: a write that
   * keeps losing is logged and dropped — the target's next render writes it again, and until
   * then its older record (or none: every push) routes it.
   */
  record(
    at: { repo: string; branch: string; target: string },
    record: RoutingRecord,
    signal?: AbortSignal,
  ): Promise<"written" | "dropped">;
};

/** Attempts per record before giving up (five concurrent workers rarely need more than two). */
const MAX_ATTEMPTS = 8;

/** The worker's read-write store. */
export function createRoutingStore(options: {
  store: ObjectStore;
  log: { warn(message: string, fields?: Record<string, unknown>): void };
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}): RoutingStore {
  const { store } = options;
  const reader = createRoutingReader(store);
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = options.random ?? Math.random;
  return {
    read: reader.read,
    async record(at, record, signal) {
      const key = routingKey(at.repo, at.branch);
      try {
        for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
          const current = await store.get(key, { signal });
          const doc =
            current.kind === "found" ? parseBranchRouting(new TextDecoder().decode(current.body)) : undefined;
          const next: BranchRouting = {
            v: 1,
            repo: at.repo.toLowerCase(),
            branch: at.branch,
            targets: { ...doc?.targets, [at.target]: record },
          };
          const written = await store.put(
            key,
            JSON.stringify(next),
            current.kind === "found" ? { ifMatch: current.etag } : { ifNoneMatch: "*" },
            { signal, contentType: "application/json" },
          );
          if (written.kind === "written") return "written";
          // Lost to another writer: back off a little (jittered) and merge into theirs.
          await sleep(50 * 2 ** Math.min(attempt, 4) * (0.5 + random()));
        }
        options.log.warn("routing record not written: the object kept changing", { key, target: at.target });
      } catch (error) {
        if (!(error instanceof StateStoreError)) throw error;
        options.log.warn("routing record not written", {
          key,
          target: at.target,
          error: describeError(error),
        });
      }
      return "dropped";
    },
  };
}
