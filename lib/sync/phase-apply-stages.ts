/**
 * Phase 4, apply: server-side apply stage by stage (CRDs, Namespaces, cluster-scoped, namespaced).
 * After the CRD stage it waits until every new CRD is Established and refreshes discovery; objects
 * whose dry-run was deferred (their CRD or Namespace is new) are dry-run as a set before any of
 * them is written.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { type DiscoveryIndex, FIELD_MANAGER } from "../cluster/cluster-port.ts";
import { ClusterError } from "../errors.ts";
import { describeObject } from "../manifests/kube-object.ts";
import { compactLiveObject } from "./compact-live-object.ts";
import type { PlannedObject } from "./compute-desired-set.ts";
import { normaliseForDiff } from "./compute-diff-objects.ts";
import { HANDOVER_MANAGER } from "./ignore-fields.ts";
import { APPLY_ORDER, Stage } from "./order-stages.ts";
import { conflictOnWrite, throwIfRefused } from "./refusal-text.ts";
import { runBounded } from "./run-bounded.ts";
import type { Change, SyncContext } from "./sync-state.ts";

/** How long to wait for new CRDs to become Established and served unless told otherwise. */
export const DEFAULT_CRD_TIMEOUT_MS = 60_000;
const POLL_MS = 100;

type ApplyOptions = {
  changes: readonly Change[];
  discovery: DiscoveryIndex;
  forceConflicts: boolean;
  crdTimeoutMs: number;
};

/**
 * How the apply ended. A failure is a value, not a throw, because the writes confirmed before it
 * are part of what the sync must report (`applied`), with the change whose write failed, if one did.
 */
export type ApplyOutcome =
  | { ok: true; changes: readonly Change[]; discovery: DiscoveryIndex }
  | { ok: false; applied: readonly Change[]; failed: Change | undefined; error: unknown };

/** Writes every change in stage order; returns the changes with deferred ones validated, and fresh discovery. */
export async function applyStages(ctx: SyncContext, options: ApplyOptions): Promise<ApplyOutcome> {
  let discovery = options.discovery;
  const applied: Change[] = [];
  for (const stage of APPLY_ORDER) {
    const stageChanges = options.changes.filter((c) => c.planned.stage === stage);
    if (stageChanges.length === 0) continue;
    try {
      ctx.signal?.throwIfAborted();
      const ready = await validateDeferred(ctx, { ...options, changes: stageChanges, discovery });
      discovery = ready.discovery;
      const wrote = await writeAll(ctx, { changes: ready.changes, forceConflicts: options.forceConflicts });
      applied.push(...wrote.written);
      if (wrote.failure) return { ok: false, applied, ...wrote.failure };
      if (stage === Stage.crds) {
        await waitForEstablished(ctx, {
          crds: wrote.written.map((c) => c.planned),
          crdTimeoutMs: options.crdTimeoutMs,
        });
        discovery = await ctx.cluster.discover({ refresh: true, signal: ctx.signal });
      }
    } catch (error) {
      return { ok: false, applied, failed: undefined, error };
    }
  }
  const done = new Map(applied.map((c) => [c.planned.key, c]));
  return { ok: true, changes: options.changes.map((c) => done.get(c.planned.key) ?? c), discovery };
}

/**
 * The stage's deferred objects can be checked now that their CRD or Namespace exists: resolve
 * their resource (waiting until new kinds are served) and dry-run them as a set.
 */
async function validateDeferred(
  ctx: SyncContext,
  options: ApplyOptions,
): Promise<{ changes: readonly Change[]; discovery: DiscoveryIndex }> {
  const deferred = options.changes.filter((c) => c.deferred);
  if (deferred.length === 0) return { changes: options.changes, discovery: options.discovery };
  const discovery = deferred.some((c) => c.planned.awaitsCrd)
    ? await waitForKinds(ctx, { pending: deferred, ...options })
    : options.discovery;
  const resolved = deferred.map((c): Change => {
    const resource = discovery.resolve(c.planned.object);
    return resource ? { ...c, planned: { ...c.planned, resource, awaitsCrd: false } } : c;
  });
  const answers = await runBounded(
    resolved,
    { concurrency: ctx.concurrency, stopOnError: false, signal: ctx.signal },
    async (c) =>
      ctx.cluster.apply({
        resource: c.planned.resource,
        object: c.planned.object,
        force: options.forceConflicts,
        dryRun: true,
        signal: ctx.signal,
      }),
  );
  throwIfRefused(
    resolved.map((c, i) => ({ planned: c.planned, settled: answers[i] })),
    "after creating the CustomResourceDefinitions / Namespaces it depends on",
  );
  const validated = new Map<string, Change>();
  resolved.forEach((c, i) => {
    const answer = answers[i];
    if (!answer?.ok) return;
    const after = c.detailed
      ? normaliseForDiff(
          compactLiveObject({ live: answer.value, manager: FIELD_MANAGER, desired: c.planned.object }),
        )
      : undefined;
    validated.set(c.planned.key, { ...c, after, validated: true });
  });
  return { changes: options.changes.map((c) => validated.get(c.planned.key) ?? c), discovery };
}

/**
 * Applies one stage's changes; the first failure stops new writes (in-flight ones finish). Returns
 * the confirmed writes, and the failure with the change it belongs to (undefined for an abort).
 */
async function writeAll(
  ctx: SyncContext,
  options: { changes: readonly Change[]; forceConflicts: boolean },
): Promise<{
  written: readonly Change[];
  failure: { failed: Change | undefined; error: unknown } | undefined;
}> {
  // Local to this call: which writes the server confirmed, and which change each failure belongs to.
  const confirmed = new Set<string>();
  const failures = new Map<unknown, Change>();
  const written = () => options.changes.filter((c) => confirmed.has(c.planned.key));
  try {
    await runBounded(
      options.changes,
      { concurrency: ctx.concurrency, stopOnError: true, signal: ctx.signal },
      async (c) => {
        try {
          // Fields other controllers own: handed over at their live values first, then left out.
          if (c.ignoring?.handover) {
            await ctx.cluster.apply({
              resource: c.planned.resource,
              object: c.ignoring.handover,
              force: false,
              dryRun: false,
              answer: "metadata",
              fieldManager: HANDOVER_MANAGER,
              signal: ctx.signal,
            });
          }
          await ctx.cluster.apply({
            resource: c.planned.resource,
            object: c.ignoring?.write ?? c.planned.object,
            force: options.forceConflicts || c.reclaimFields,
            dryRun: false,
            // The dry-run already gave us the object for the diff; the write only needs to succeed.
            answer: "metadata",
            signal: ctx.signal,
          });
          confirmed.add(c.planned.key);
        } catch (error) {
          const refused = conflictOnWrite(error, c.planned);
          failures.set(refused, c);
          throw refused;
        }
      },
    );
    return { written: written(), failure: undefined };
  } catch (error) {
    return { written: written(), failure: { failed: failures.get(error), error } };
  }
}

/** Polls each new CRD until its `Established` condition is True (retryable error at the deadline). */
async function waitForEstablished(
  ctx: SyncContext,
  options: { crds: readonly PlannedObject[]; crdTimeoutMs: number },
): Promise<void> {
  const deadline = ctx.clock() + options.crdTimeoutMs;
  await runBounded(
    options.crds,
    { concurrency: ctx.concurrency, stopOnError: true, signal: ctx.signal },
    async (crd) => {
      for (;;) {
        const current = await ctx.cluster.get({
          resource: crd.resource,
          name: crd.object.metadata.name,
          signal: ctx.signal,
        });
        const conditions = (
          current?.status as { conditions?: Array<{ type?: string; status?: string }> } | undefined
        )?.conditions;
        if (conditions?.some((c) => c.type === "Established" && c.status === "True")) return;
        if (ctx.clock() > deadline) {
          throw new ClusterError(`${describeObject(crd.object)} did not become Established in time`, {
            retryable: true,
            object: describeObject(crd.object),
          });
        }
        await pause(ctx.signal);
      }
    },
  );
}

/** Refreshes discovery until every pending custom resource's kind is served (retryable error at the deadline). */
async function waitForKinds(
  ctx: SyncContext,
  options: { pending: readonly Change[]; discovery: DiscoveryIndex; crdTimeoutMs: number },
): Promise<DiscoveryIndex> {
  const deadline = ctx.clock() + options.crdTimeoutMs;
  let index = options.discovery;
  for (;;) {
    const missing = options.pending.find((c) => c.planned.awaitsCrd && !index.resolve(c.planned.object));
    if (!missing) return index;
    if (ctx.clock() > deadline) {
      const { object } = missing.planned;
      throw new ClusterError(
        `${describeObject(object)}: ${object.apiVersion} ${object.kind} is still not served after its CRD was Established`,
        { retryable: true, object: describeObject(object) },
      );
    }
    await pause(ctx.signal);
    index = await ctx.cluster.discover({ refresh: true, signal: ctx.signal });
  }
}

/**
 * One poll interval. An abort (the job's time budget) rejects with the signal's own reason, as a
 * request cut short by it does, rather than with the timer's generic AbortError.
 */
async function pause(signal: AbortSignal | undefined): Promise<void> {
  await sleep(POLL_MS, undefined, { signal }).catch(() => signal?.throwIfAborted());
}
