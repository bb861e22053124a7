/**
 * Phase 3, validate: a server-side dry-run of every write that can be checked now, before the
 * first real write — if any object fails validation, admission or RBAC, nothing is applied.
 * Fields someone edited imperatively since pullbridge applied them are taken back (the dry-run is
 * repeated with `force` for that object only). The answers turn `check` entries into unchanged or
 * updates and give the diffs their "after" side.
 */
import { FIELD_MANAGER } from "../cluster/cluster-port.ts";
import { ClusterError } from "../errors.ts";
import type { KubeObject } from "../manifests/kube-object.ts";
import { compactLiveObject } from "./compact-live-object.ts";
import {
  describeImperativeEdits,
  type FieldConflict,
  imperativeConflicts,
} from "./compute-conflict-owners.ts";
import { normaliseForDiff } from "./compute-diff-objects.ts";
import { dryRunShowsNoChange } from "./compute-managed-fields-comparison.ts";
import type { PlanEntry } from "./compute-sync-plan.ts";
import { appliedFieldsOf, type IgnoredObject, ignoreFields } from "./ignore-fields.ts";
import { throwIfRefused } from "./refusal-text.ts";
import { runBounded } from "./run-bounded.ts";
import type { Change, PlannedSync, SyncContext, Unchanged, ValidatedSync, WriteEntry } from "./sync-state.ts";

/**
 * The server's answer for one dry-run (compacted; dropped for a create past the diff budget), and
 * the imperative edits taken back to get it.
 */
type DryRunVerdict = { answer: KubeObject | undefined; takenBack: FieldConflict[] | undefined };

/** Dry-runs the whole set; throws SyncRefusedError (zero writes) when any object is refused. */
export async function validateWholeSet(
  ctx: SyncContext,
  options: { plan: PlannedSync; forceConflicts: boolean; maxDiffs: number },
): Promise<ValidatedSync> {
  const { plan, forceConflicts } = options;
  const detailed = detailedKeys(plan.entries, options.maxDiffs);
  const settled = await runBounded(
    plan.toValidate,
    { concurrency: ctx.concurrency, stopOnError: false, signal: ctx.signal },
    async (entry) => {
      const verdict = await dryRunTakingBackImperativeEdits(ctx, { entry, forceConflicts });
      // A create's answer serves only its diff: past the budget, keep that it passed, not the object.
      return entry.action === "create" && !detailed.has(entry.planned.key)
        ? { ...verdict, answer: undefined }
        : verdict;
    },
  );
  throwIfRefused(plan.toValidate.map((e, i) => ({ planned: e.planned, settled: settled[i] })));
  const verdicts = new Map<string, DryRunVerdict>();
  plan.toValidate.forEach((e, i) => {
    const s = settled[i];
    if (s?.ok) verdicts.set(e.planned.key, s.value);
  });
  return classify({ entries: plan.entries, verdicts, deferredKeys: plan.deferredKeys, detailed });
}

/** The first `maxDiffs` objects the plan may write, in plan order: those whose diffs the report shows. */
function detailedKeys(entries: readonly PlanEntry[], maxDiffs: number): ReadonlySet<string> {
  const keys = new Set<string>();
  for (const entry of entries) {
    if (keys.size >= maxDiffs) break;
    if (entry.action === "create" || entry.action === "update" || entry.action === "check") {
      keys.add(entry.planned.key);
    }
  }
  return keys;
}

/**
 * One dry-run apply. A 409 whose conflicting managers only ever wrote the object imperatively
 * (operation `Update`) is drift of that object's fields: repeat with `force` to take them back.
 * A conflict with another applier stays a refusal unless the target sets forceConflicts.
 */
async function dryRunTakingBackImperativeEdits(
  ctx: SyncContext,
  options: { entry: WriteEntry; forceConflicts: boolean },
): Promise<DryRunVerdict> {
  const { entry, forceConflicts } = options;
  // Fields other controllers own go at their live values, so the answer shows no reset of them.
  const object = (entry.action === "create" ? undefined : ignoringOf(entry))?.dryRun ?? entry.planned.object;
  // The answer is cut down exactly as the live object was when read, so the two still compare as
  // the full objects would, and the diff's "after" holds the managed fields, not the server's defaults.
  const dryRun = async (force: boolean) =>
    compactLiveObject({
      live: await ctx.cluster.apply({
        resource: entry.planned.resource,
        object,
        force,
        dryRun: true,
        signal: ctx.signal,
      }),
      manager: FIELD_MANAGER,
      desired: entry.planned.object,
    });
  try {
    return { answer: await dryRun(forceConflicts), takenBack: undefined };
  } catch (error) {
    const takenBack =
      !forceConflicts && entry.action !== "create" && error instanceof ClusterError && error.status === 409
        ? imperativeConflicts({ causes: error.causes, live: entry.live })
        : undefined;
    if (!takenBack) throw error;
    return { answer: await dryRun(true), takenBack };
  }
}

/** Plan entries plus dry-run answers → the changes to write and the objects that stay as they are. */
function classify(options: {
  entries: readonly PlanEntry[];
  verdicts: ReadonlyMap<string, DryRunVerdict>;
  deferredKeys: ReadonlySet<string>;
  detailed: ReadonlySet<string>;
}): ValidatedSync {
  const { entries, verdicts, deferredKeys, detailed } = options;
  const changes: Change[] = [];
  const unchanged: Unchanged[] = [];
  for (const entry of entries) {
    if (entry.action === "unchanged") {
      unchanged.push({ planned: entry.planned, decidedBy: "managed-fields" });
    } else if (entry.action === "create") {
      const verdict = verdicts.get(entry.planned.key);
      changes.push({
        planned: entry.planned,
        before: undefined,
        action: "create",
        decidedBy: "managed-fields",
        reclaimFields: false,
        after: verdict?.answer && normaliseForDiff(verdict.answer),
        validated: verdict !== undefined,
        detailed: detailed.has(entry.planned.key),
        deferred: deferredKeys.has(entry.planned.key),
      });
    } else if (entry.action === "update" || entry.action === "check") {
      const verdict = verdicts.get(entry.planned.key);
      const terminating = entry.live.metadata.deletionTimestamp !== undefined;
      const answer = verdict?.answer;
      if (answer && !terminating && dryRunShowsNoChange({ live: entry.live, dryRun: answer })) {
        unchanged.push({ planned: entry.planned, decidedBy: "dry-run" });
      } else {
        const keep = detailed.has(entry.planned.key);
        changes.push(updateOf(entry, verdict, { deferred: deferredKeys.has(entry.planned.key), keep }));
      }
    }
  }
  return { changes, unchanged };
}

/** How an update sends the fields other controllers own (undefined: none of them exists live). */
function ignoringOf(entry: Extract<PlanEntry, { action: "update" | "check" }>): IgnoredObject | undefined {
  return ignoreFields({
    desired: entry.planned.object,
    live: entry.live,
    paths: entry.planned.ignore,
    ownFields: appliedFieldsOf(entry.live, FIELD_MANAGER),
  });
}

function updateOf(
  entry: Extract<PlanEntry, { action: "update" | "check" }>,
  verdict: DryRunVerdict | undefined,
  options: { deferred: boolean; keep: boolean },
): Change {
  const { deferred, keep } = options;
  const takenBack = verdict?.takenBack;
  const ignoring = ignoringOf(entry);
  return {
    ...(ignoring ? { ignoring } : {}),
    planned: entry.planned,
    before: keep ? normaliseForDiff(entry.live) : undefined,
    action: "update",
    reason: takenBack
      ? `drift: ${describeImperativeEdits(takenBack)}; taken back`
      : `${entry.path}: ${entry.reason}`,
    reclaimFields: takenBack !== undefined,
    decidedBy: entry.action === "check" ? "dry-run" : "managed-fields",
    after: keep && verdict?.answer ? normaliseForDiff(verdict.answer) : undefined,
    validated: verdict !== undefined,
    detailed: keep,
    deferred,
  };
}
