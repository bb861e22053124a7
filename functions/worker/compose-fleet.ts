/**
 * Fleet scale's pieces (issue 26) over the state bucket, for the worker: conditional branch head
 * lookups (`heads/`), the artifact cache of trees (`cache/trees/`) and renders (`cache/renders/`),
 * and the routing records (`routing/`). One set per container; the counters are published after
 * each batch (create-handler.ts).
 */
import type { FleetDeps } from "../../lib/app/worker-deps.ts";
import { createBranchHeads } from "../../lib/cache/branch-heads.ts";
import { createRenderCache } from "../../lib/cache/render-cache.ts";
import { createTreeCache } from "../../lib/cache/tree-cache.ts";
import { createRoutingStore } from "../../lib/routing/routing-store.ts";
import type { SourceLimits } from "../../lib/source/git-source.ts";
import type { ObjectStore } from "../../lib/state/object-store.ts";
import { createFleetCounters, type FleetCounters } from "../../lib/telemetry/fleet-counters.ts";
import type { Log } from "../../lib/telemetry/log.ts";

/** Days after which the bucket's lifecycle rule expires `cache/` (serverless.yml `stateCacheDays`). */
export const DEFAULT_CACHE_DAYS = 14;

/** Builds the worker's fleet deps over `store`. */
export function composeFleet(options: {
  store: ObjectStore;
  now: () => Date;
  sourceLimits: SourceLimits;
  log: Log;
  counters?: FleetCounters | undefined;
  cacheDays?: number | undefined;
}): FleetDeps {
  const { store, log } = options;
  const counters = options.counters ?? createFleetCounters();
  return {
    counters,
    heads: createBranchHeads({ store, counters, log }),
    trees: createTreeCache({
      store,
      now: options.now,
      cacheDays: options.cacheDays ?? DEFAULT_CACHE_DAYS,
      maxBlobBytes: options.sourceLimits.maxBytes,
      counters,
      log,
    }),
    renders: createRenderCache({ store, counters, log }),
    routing: createRoutingStore({ store, log }),
  };
}
