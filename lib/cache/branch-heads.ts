/**
 * Branch heads, looked up conditionally: the last answer for each repository branch (its commit
 * and GitHub's ETag) is kept under `heads/` in the state bucket, and every lookup sends that ETag
 * (`If-None-Match`). An unchanged branch answers 304, which GitHub does not count against the
 * installation's rate limit; a changed one answers the new head, which is recorded for the next
 * lookup (by any job, in any container). The record only saves requests: when it cannot be read
 * or written the lookup is made unconditionally, and a wrong ETag only costs a full answer.
 */
import { describeError, StateStoreError } from "../errors.ts";
import type { GitSource } from "../source/git-source.ts";
import type { ObjectStore } from "../state/object-store.ts";
import type { FleetCounters } from "../telemetry/fleet-counters.ts";
import type { Log } from "../telemetry/log.ts";
import { FleetMetric } from "../telemetry/metric-names.ts";
import { repoKey } from "./tree-cache.ts";

/** Key prefix of the head records (the worker's). */
export const HEADS_PREFIX = "heads/";

const headKey = (repo: string, branch: string) =>
  `${HEADS_PREFIX}${repoKey(repo)}/${encodeURIComponent(branch)}.json`;

type HeadRecord = { sha: string; etag: string };

/** A lookup's answer: the head, and whether it moved since the recorded one. */
export type BranchHead = { sha: string; changed: boolean };

export type BranchHeads = {
  /** The branch's head now. Throws SourceError as a direct lookup would. */
  resolve(source: GitSource, at: { repo: string; branch: string }, signal?: AbortSignal): Promise<BranchHead>;
};

const SHA = /^[0-9a-f]{40}$/;

/** Builds the lookups over `store`. */
export function createBranchHeads(options: {
  store: ObjectStore;
  counters: FleetCounters;
  log: Log;
}): BranchHeads {
  const { store, counters, log } = options;
  const stateError = (what: string, error: unknown) => {
    counters.add(FleetMetric.StateStoreErrors);
    log.warn(`branch heads: ${what}`, { error: describeError(error) });
  };
  return {
    async resolve(source, { repo, branch }, signal) {
      const key = headKey(repo, branch);
      let known: HeadRecord | undefined;
      try {
        const answer = await store.get(key, { signal });
        if (answer.kind === "found") {
          const parsed = JSON.parse(new TextDecoder().decode(answer.body)) as Partial<HeadRecord>;
          if (typeof parsed.sha === "string" && SHA.test(parsed.sha) && typeof parsed.etag === "string")
            known = { sha: parsed.sha, etag: parsed.etag };
        }
      } catch (error) {
        if (error instanceof StateStoreError)
          stateError("the record could not be read; asking in full", error);
        else if (!(error instanceof SyntaxError)) throw error;
      }
      if (source.resolveHead === undefined) {
        const sha = await source.headSha({ repo, branch });
        return { sha, changed: sha !== known?.sha };
      }
      const answer = await source.resolveHead({ repo, branch, etag: known?.etag });
      if (answer.kind === "unchanged" && known !== undefined) return { sha: known.sha, changed: false };
      if (answer.kind === "unchanged") {
        // A 304 without a record cannot happen (no ETag was sent); ask in full.
        return { sha: await source.headSha({ repo, branch }), changed: true };
      }
      if (answer.etag !== undefined && (answer.sha !== known?.sha || answer.etag !== known?.etag)) {
        try {
          // Unconditional: the sha and ETag are written together, so any writer's pair is consistent.
          await store.put(
            key,
            JSON.stringify({ sha: answer.sha, etag: answer.etag } satisfies HeadRecord),
            {
              unconditional: true,
            },
            { signal, contentType: "application/json" },
          );
        } catch (error) {
          if (!(error instanceof StateStoreError)) throw error;
          stateError("the new head could not be recorded", error);
        }
      }
      return { sha: answer.sha, changed: answer.sha !== known?.sha };
    },
  };
}
