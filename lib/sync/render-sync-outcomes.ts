/**
 * Per-object outcomes of a sync, with before/after objects and YAML diffs for the first
 * `maxDiffs` writes and prunes (the rest are counted and named, not kept: the engine does not
 * hold thousands of objects to report them). Secret values are masked in everything kept; diffs
 * are rendered from the unmasked pair so a changed value still shows as changed (its text masked). Pure.
 */
import { describeObject, groupKindOf, type KubeObject } from "../manifests/kube-object.ts";
import { maskSecretPair } from "../manifests/mask-secret-data.ts";
import { renderObjectDiff } from "../manifests/render-object-diff.ts";
import type { PlannedObject } from "./compute-desired-set.ts";
import { normaliseForDiff } from "./compute-diff-objects.ts";
import { describeIgnored } from "./ignore-fields.ts";
import type { ObjectOutcome } from "./sync-result.ts";
import type { Change, DecidedBy, PruneEntry, SkipEntry, Unchanged } from "./sync-state.ts";

/** Diffs for at most this many created/updated/pruned objects unless the caller says otherwise. */
export const DEFAULT_MAX_DIFFS = 100;

/** Unchanged first, then creates/updates, prunes and skips — the order reports list them in. */
export function renderSyncOutcomes(options: {
  unchanged: readonly Unchanged[];
  changes: readonly Change[];
  prunes: readonly PruneEntry[];
  skips: readonly SkipEntry[];
  maxDiffs: number;
}): ObjectOutcome[] {
  let diffBudget = options.maxDiffs;
  const diffOf = (
    before: KubeObject | undefined,
    after: KubeObject | undefined,
    sensitive?: readonly string[],
  ) => {
    if (diffBudget <= 0) return undefined;
    diffBudget -= 1;
    return renderObjectDiff(before, after, { sensitive });
  };
  return [
    ...options.unchanged.map((u) =>
      outcomeOf({ planned: u.planned, outcome: "unchanged", decidedBy: u.decidedBy }),
    ),
    ...options.changes.map((c) => changeOutcome(c, diffOf)),
    ...options.prunes.map((p) => pruneOutcome(p, diffOf)),
    ...options.skips.map(skipOutcome),
  ];
}

type DiffOf = (
  before: KubeObject | undefined,
  after: KubeObject | undefined,
  sensitive?: readonly string[],
) => string | undefined;

function changeOutcome(c: Change, diffOf: DiffOf): ObjectOutcome {
  const outcome = {
    planned: c.planned,
    outcome: c.action === "create" ? "created" : "updated",
    decidedBy: c.decidedBy,
    reason: c.reason,
    validated: c.validated,
  } as const;
  if (!c.detailed) return outcomeOf(outcome);
  const after = c.after ?? normaliseForDiff(c.planned.object);
  const sensitive = c.planned.sensitive?.pointers ?? [];
  const pair = maskSecretPair(c.before, after, sensitive);
  return outcomeOf({
    ...outcome,
    before: pair.before,
    after: pair.after,
    diff: diffOf(c.before, after, sensitive),
  });
}

function pruneOutcome(p: PruneEntry, diffOf: DiffOf): ObjectOutcome {
  const identity = { ...liveIdentity(p.live), outcome: "pruned", validated: true } as const;
  const before = normaliseForDiff(p.live);
  const diff = diffOf(before, undefined);
  if (diff === undefined) return identity;
  return { ...identity, before: maskSecretPair(before, undefined).before, diff };
}

function skipOutcome(s: SkipEntry): ObjectOutcome {
  return { ...liveIdentity(s.live), outcome: "skipped", reason: s.reason, validated: true };
}

function liveIdentity(live: KubeObject): Pick<ObjectOutcome, "object" | "groupKind" | "namespace" | "name"> {
  return {
    object: describeObject(live),
    groupKind: groupKindOf(live),
    namespace: live.metadata.namespace,
    name: live.metadata.name,
  };
}

function outcomeOf(options: {
  planned: PlannedObject;
  outcome: ObjectOutcome["outcome"];
  decidedBy?: DecidedBy;
  reason?: string | undefined;
  validated?: boolean;
  before?: KubeObject | undefined;
  after?: KubeObject | undefined;
  diff?: string | undefined;
}): ObjectOutcome {
  const { planned } = options;
  return {
    object: describeObject(planned.object),
    groupKind: planned.groupKind,
    namespace: planned.object.metadata.namespace,
    name: planned.object.metadata.name,
    outcome: options.outcome,
    source: planned.source,
    reason: options.reason,
    decidedBy: options.decidedBy,
    validated: options.validated ?? true,
    before: options.before,
    after: options.after,
    diff: options.diff,
    ...(planned.ignore.length > 0 ? { ignored: describeIgnored(planned.ignore) } : {}),
  };
}
