/** A SyncResult as the engine returns it, for tests of what the worker reports about one. */
import type { ObjectOutcome, SyncResult } from "../../lib/sync/sync-result.ts";

/** One object's outcome (`ConfigMap team-a/<name>` from `deploy/<name>.yaml`). */
export function anObjectOutcome(name: string, outcome: ObjectOutcome["outcome"]): ObjectOutcome {
  return {
    object: `ConfigMap team-a/${name}`,
    groupKind: "ConfigMap",
    namespace: "team-a",
    name,
    outcome,
    source: { file: `deploy/${name}.yaml`, document: 0, line: 1, column: 1 },
    validated: true,
    ...(outcome === "unchanged" ? {} : { diff: `-a: 1\n+a: 2\n` }),
  };
}

/** A finished sync of `outcomes` at `sha`; counts follow the outcomes. */
export function aSyncResult(
  outcomes: readonly ObjectOutcome[],
  overrides: Partial<Pick<SyncResult, "drift" | "mode" | "dryRunFallbacks">> & { sha?: string } = {},
): SyncResult {
  const countOf = (kind: ObjectOutcome["outcome"]) => outcomes.filter((o) => o.outcome === kind).length;
  const counts = {
    created: countOf("created"),
    updated: countOf("updated"),
    unchanged: countOf("unchanged"),
    pruned: countOf("pruned"),
    skipped: countOf("skipped"),
  };
  return {
    target: "web",
    mode: overrides.mode ?? "apply",
    revision: { sha: overrides.sha ?? "a".repeat(40) },
    previousRevision: undefined,
    desiredDigest: "sha256:test",
    drift: overrides.drift ?? false,
    applySetId: "applyset-test-v1",
    changed: counts.created + counts.updated + counts.pruned > 0,
    outcomes: [...outcomes],
    counts,
    dryRunFallbacks: overrides.dryRunFallbacks ?? 0,
    requests: { reads: 3, writes: 1, dryRuns: 1, listPages: 2 },
    durationsMs: { read: 1, plan: 1, dryRun: 1, apply: 1, prune: 1, record: 1, total: 6 },
    parentUpdated: counts.created + counts.updated + counts.pruned > 0,
  };
}
