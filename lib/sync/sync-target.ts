/**
 * The sync use case for one target: read → plan → whole-set dry-run → ordered apply → guarded
 * prune → record, on the ApplySet inventory. Used by the worker (mode `apply`) and by PR
 * previews / `pullbridge diff` (mode `plan`: validates with dry-runs, never writes).
 */
import { performance } from "node:perf_hooks";
import {
  type ClusterPort,
  type DiscoveryIndex,
  type RequestCounts,
  subtractRequestCounts,
} from "../cluster/cluster-port.ts";
import { applySetParentName, type Target } from "../config/targets.ts";
import { ClusterError, SyncRefusedError } from "../errors.ts";
import {
  type DesiredObject,
  describeObject,
  groupKindOf,
  type KubeObject,
} from "../manifests/kube-object.ts";
import { maskSecretPair } from "../manifests/mask-secret-data.ts";
import { renderObjectDiff } from "../manifests/render-object-diff.ts";
import {
  type ApplySetInventory,
  buildApplySetParent,
  formatSummary,
  parseGroupKind,
  readApplySetParent,
  type SyncSummaryCounts,
  sameMembership,
  shrinkInventory,
  widenInventory,
} from "./applyset-parent.ts";
import { describeDrift, type FieldConflict, imperativeConflicts } from "./compute-conflict-owners.ts";
import { computeDesiredDigest } from "./compute-desired-digest.ts";
import { computeDesiredSet, crdDefinedResources, type PlannedObject } from "./compute-desired-set.ts";
import { normaliseForDiff } from "./compute-diff-objects.ts";
import { dryRunShowsNoChange } from "./compute-managed-fields-comparison.ts";
import { computeSyncPlan, type PlanEntry } from "./compute-sync-plan.ts";
import { APPLY_ORDER, PRUNE_ORDER, Stage } from "./order-stages.ts";
import { readLiveState } from "./read-live-state.ts";
import { runBounded } from "./run-bounded.ts";
import type { ObjectOutcome, SyncPhaseDurations, SyncResult } from "./sync-result.ts";

export type SyncDeps = {
  cluster: ClusterPort;
  /** pullbridge's version, recorded as `applyset.kubernetes.io/tooling: pullbridge/<version>`. */
  toolingVersion: string;
  /** Requests in flight within one stage (default 32, the transport's connection pool). */
  concurrency?: number;
  /** How long to wait for new CRDs to become Established and served (default 60 s). */
  crdTimeoutMs?: number;
  /** Monotonic milliseconds, for phase durations (default `performance.now`). */
  monotonicMs?: () => number;
};

export type SyncOptions = {
  target: Target;
  desired: readonly DesiredObject[];
  revision: { sha: string };
  /** Wall-clock time of the sync, recorded on the ApplySet parent. */
  now: Date;
  mode: "apply" | "plan";
  /** Aborts between and during requests (e.g. shortly before the Lambda deadline). */
  signal?: AbortSignal | undefined;
  /** Render a YAML diff for at most this many created/updated/pruned objects (default 100; 0 for none). */
  maxDiffs?: number;
  /**
   * `stop`: in `apply` mode, return before the first write when the change is drift (the same
   * manifests as the last writing sync, but a different cluster), with the result of a plan —
   * the worker's `alert` policy. New manifests are applied either way. Default `apply`.
   */
  onDrift?: "apply" | "stop";
};

const DEFAULT_CONCURRENCY = 32;
const DEFAULT_MAX_DIFFS = 100;
const DEFAULT_CRD_TIMEOUT_MS = 60_000;
const POLL_MS = 100;

/** A create/update/check after the whole-set dry-run, with the server's answer. */
type Change = {
  planned: PlannedObject;
  /** Normalised live object (for the diff), for updates. */
  before: KubeObject | undefined;
  action: "create" | "update";
  reason?: string | undefined;
  decidedBy: "managed-fields" | "dry-run";
  /** Apply with `force`: fields were changed imperatively since pullbridge applied them (drift). */
  force?: boolean;
  /** Normalised answer of the dry-run (or of the apply), for the diff; undefined until validated. */
  after: KubeObject | undefined;
  /** Dry-run deferred until its CRD / Namespace exists (created by this sync). */
  deferred: boolean;
};

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** `conflict with "kubectl" on .data.key` — the part of a 409 a human needs. */
function describeConflict(error: ClusterError): string {
  const fields = error.causes
    .filter((c) => c.type === "FieldManagerConflict" || c.message.startsWith("conflict with"))
    .map((c) => `${c.message}${c.field ? ` on ${c.field}` : ""}`);
  return fields.length > 0 ? fields.join("; ") : error.message;
}

/** One line naming why the server refused an object. */
function refusalReason(error: unknown): string {
  if (error instanceof ClusterError) {
    if (error.status === 409 && error.reason === "Conflict" && error.causes.length > 0) {
      return `field conflict: ${describeConflict(error)} (set forceConflicts: true on the target to take ownership)`;
    }
    return error.message.replace(/^[^:]*: /, "");
  }
  return error instanceof Error ? error.message : String(error);
}

function sourceOf(planned: PlannedObject): string {
  return `${planned.source.file}:${planned.source.line}:${planned.source.column}`;
}

/** Syncs (or, in `plan` mode, previews) one target. Throws SyncRefusedError before any write when unsafe. */
export async function syncTarget(deps: SyncDeps, options: SyncOptions): Promise<SyncResult> {
  const { cluster, toolingVersion } = deps;
  const { target, desired, revision, now, mode, signal } = options;
  const concurrency = deps.concurrency ?? DEFAULT_CONCURRENCY;
  const clock = deps.monotonicMs ?? (() => performance.now());
  const started = clock();
  const requestsBefore: RequestCounts = cluster.requestCounts();
  const durations: SyncPhaseDurations = {
    read: 0,
    plan: 0,
    dryRun: 0,
    apply: 0,
    prune: 0,
    record: 0,
    total: 0,
  };
  let phaseStart = started;
  const endPhase = (phase: Exclude<keyof SyncPhaseDurations, "total">) => {
    const t = clock();
    durations[phase] += t - phaseStart;
    phaseStart = t;
  };

  // ── read ────────────────────────────────────────────────────────────────
  const parentName = applySetParentName(target);
  const [initialDiscovery, parentLive] = await Promise.all([
    cluster.discover({ signal }),
    cluster.getApplySetParent({ namespace: target.namespace, name: parentName, signal }),
  ]);
  let discovery: DiscoveryIndex = initialDiscovery;
  let inventory = readApplySetParent({ parent: parentLive, name: parentName, namespace: target.namespace });
  const previousRevision = inventory.lastSync;
  const force = target.forceConflicts;
  // A kind missing from a warm cache may just be newer than the cache (a CRD someone installed): re-read once.
  const crdKinds = crdDefinedResources(desired);
  const stale =
    desired.some(
      ({ object }) =>
        !discovery.resolve(object) &&
        !crdKinds.some((r) => groupKindOf(object) === (r.group ? `${r.kind}.${r.group}` : r.kind)),
    ) || inventory.groupKinds.some((gk) => !discovery.preferred(parseGroupKind(gk)));
  if (stale) discovery = await cluster.discover({ refresh: true, signal });

  const planned = computeDesiredSet({ desired, discovery, target, applySetId: inventory.id });
  const desiredDigest = computeDesiredDigest(planned);
  const live = await readLiveState({ cluster, planned, inventory, discovery, concurrency, signal });
  endPhase("read");

  // ── plan ────────────────────────────────────────────────────────────────
  const plan = computeSyncPlan({
    planned,
    members: live.members,
    existing: live.existing,
    applySetId: inventory.id,
    target,
  });
  const newNamespaces = new Set(
    plan.entries.flatMap((e) =>
      e.action === "create" && e.planned.stage === Stage.namespaces ? [e.planned.object.metadata.name] : [],
    ),
  );
  const isDeferred = (p: PlannedObject) =>
    p.awaitsCrd ||
    (p.object.metadata.namespace !== undefined && newNamespaces.has(p.object.metadata.namespace));
  endPhase("plan");

  // ── whole-set dry-run: nothing is written unless every object passes ─────
  const toValidate = plan.entries.filter(
    (e): e is Extract<PlanEntry, { action: "create" | "update" | "check" }> =>
      (e.action === "create" || e.action === "update" || e.action === "check") && !isDeferred(e.planned),
  );
  // Objects whose fields were changed imperatively since pullbridge applied them (drift): take them back.
  const drifted = new Map<string, FieldConflict[]>();
  const validated = await runBounded(toValidate, { concurrency, stopOnError: false, signal }, async (e) => {
    const dryRun = (withForce: boolean) =>
      cluster.apply({
        resource: e.planned.resource,
        object: e.planned.object,
        force: withForce,
        dryRun: true,
        signal,
      });
    try {
      return await dryRun(force);
    } catch (error) {
      const conflicts =
        !force && e.action !== "create" && error instanceof ClusterError && error.status === 409
          ? imperativeConflicts({ causes: error.causes, live: e.live })
          : undefined;
      if (!conflicts) throw error;
      drifted.set(e.planned.key, conflicts);
      return await dryRun(true);
    }
  });
  throwIfRefused(toValidate.map((e, i) => ({ planned: e.planned, settled: validated[i] })));
  endPhase("dryRun");

  const changes: Change[] = [];
  const unchanged: Array<{
    planned: PlannedObject;
    decidedBy: "managed-fields" | "dry-run";
  }> = [];
  const dryRunByKey = new Map<string, KubeObject>();
  toValidate.forEach((e, i) => {
    const settled = validated[i];
    if (settled?.ok) dryRunByKey.set(e.planned.key, settled.value);
  });
  validated.length = 0;
  for (const entry of plan.entries) {
    if (entry.action === "unchanged") {
      unchanged.push({ planned: entry.planned, decidedBy: "managed-fields" });
    } else if (entry.action === "create") {
      changes.push({
        planned: entry.planned,
        before: undefined,
        action: "create",
        decidedBy: "managed-fields",
        after: normaliseOptional(dryRunByKey.get(entry.planned.key)),
        deferred: isDeferred(entry.planned),
      });
    } else if (entry.action === "update" || entry.action === "check") {
      const dryRun = dryRunByKey.get(entry.planned.key);
      const decidedBy = entry.action === "check" ? "dry-run" : "managed-fields";
      if (dryRun && dryRunShowsNoChange({ live: entry.live, dryRun })) {
        unchanged.push({ planned: entry.planned, decidedBy: "dry-run" });
      } else {
        const drift = drifted.get(entry.planned.key);
        changes.push({
          planned: entry.planned,
          before: normaliseForDiff(entry.live),
          action: "update",
          reason: drift ? `drift: ${describeDrift(drift)}; taken back` : `${entry.path}: ${entry.reason}`,
          force: drift !== undefined,
          decidedBy,
          after: normaliseOptional(dryRun),
          deferred: isDeferred(entry.planned),
        });
      }
    }
  }
  dryRunByKey.clear();
  const fallbacks = plan.ambiguous;
  const prunes = plan.entries.filter(
    (e): e is Extract<PlanEntry, { action: "prune" }> => e.action === "prune",
  );
  const skips = plan.entries.filter((e): e is Extract<PlanEntry, { action: "skip" }> => e.action === "skip");

  // The inventory after a successful sync: everything desired, plus members kept by a prune guard.
  const remaining = {
    groupKinds: [...planned.map((p) => p.groupKind), ...skips.map((s) => groupKindOf(s.live))],
    namespaces: [
      ...planned.flatMap((p) => (p.object.metadata.namespace ? [p.object.metadata.namespace] : [])),
      ...skips.flatMap((s) => (s.live.metadata.namespace ? [s.live.metadata.namespace] : [])),
    ],
  };
  const counts: SyncSummaryCounts = {
    created: changes.filter((c) => c.action === "create").length,
    updated: changes.filter((c) => c.action === "update").length,
    unchanged: unchanged.length,
    pruned: prunes.length,
    skipped: skips.length,
  };
  const outcomes: ObjectOutcome[] = [];
  let parentUpdated = false;

  // Same manifests as the last sync that wrote, yet the cluster differs: someone changed the cluster.
  const drift = (changes.length > 0 || prunes.length > 0) && previousRevision?.digest === desiredDigest;
  const finish = (resultMode: "apply" | "plan" = mode): SyncResult => {
    for (const u of unchanged)
      outcomes.push(outcomeOf({ planned: u.planned, outcome: "unchanged", decidedBy: u.decidedBy }));
    let diffBudget = options.maxDiffs ?? DEFAULT_MAX_DIFFS;
    // Diff text is rendered from the unmasked pair (so a changed Secret value shows as changed);
    // only masked copies are kept in the result, which may be logged.
    const diffOf = (before: KubeObject | undefined, after: KubeObject | undefined) => {
      if (diffBudget <= 0) return undefined;
      diffBudget -= 1;
      return renderObjectDiff(before, after);
    };
    for (const c of changes) {
      const after = c.after ?? normaliseForDiff(c.planned.object);
      const pair = maskSecretPair(c.before, after);
      outcomes.push(
        outcomeOf({
          planned: c.planned,
          outcome: c.action === "create" ? "created" : "updated",
          decidedBy: c.decidedBy,
          reason: c.reason,
          validated: c.after !== undefined,
          before: pair.before,
          after: pair.after,
          diff: diffOf(c.before, after),
        }),
      );
    }
    for (const p of prunes) {
      const before = normaliseForDiff(p.live);
      outcomes.push({
        object: describeObject(p.live),
        groupKind: groupKindOf(p.live),
        namespace: p.live.metadata.namespace,
        name: p.live.metadata.name,
        outcome: "pruned",
        validated: true,
        before: maskSecretPair(before, undefined).before,
        diff: diffOf(before, undefined),
      });
    }
    for (const s of skips) {
      outcomes.push({
        object: describeObject(s.live),
        groupKind: groupKindOf(s.live),
        namespace: s.live.metadata.namespace,
        name: s.live.metadata.name,
        outcome: "skipped",
        reason: s.reason,
        validated: true,
      });
    }
    durations.total = clock() - started;
    return {
      target: target.name,
      mode: resultMode,
      revision,
      previousRevision,
      desiredDigest,
      drift,
      applySetId: inventory.id,
      changed: changes.length > 0 || prunes.length > 0,
      outcomes,
      counts,
      dryRunFallbacks: fallbacks,
      requests: subtractRequestCounts(cluster.requestCounts(), requestsBefore),
      durationsMs: durations,
      parentUpdated,
    };
  };

  const finalInventory = (base: ApplySetInventory) => shrinkInventory(base, remaining);
  if (mode === "plan") return finish();
  // Everything is planned and dry-run by now: stopping here writes nothing at all.
  if (drift && options.onDrift === "stop") return finish("plan");
  if (changes.length === 0 && prunes.length === 0 && (inventory.exists || planned.length === 0)) {
    // A no-op sync writes nothing — not even the parent — unless its membership is out of date.
    if (!inventory.exists || sameMembership(finalInventory(inventory), inventory)) return finish();
  }

  // ── apply ───────────────────────────────────────────────────────────────
  // Widen the parent first, so an interrupted sync can never leave members the inventory does not list.
  const widened = widenInventory(inventory, remaining);
  if (!inventory.exists || !sameMembership(widened, inventory)) {
    inventory = await writeParent(widened);
  }
  for (const stage of APPLY_ORDER) {
    signal?.throwIfAborted();
    const stageChanges = changes.filter((c) => c.planned.stage === stage);
    if (stageChanges.length === 0) continue;
    const deferred = stageChanges.filter((c) => c.deferred);
    if (deferred.length > 0) {
      // Their CRD or Namespace exists now: validate them as a set before writing any of them.
      if (deferred.some((c) => c.planned.awaitsCrd)) discovery = await waitForKinds(deferred);
      for (const c of deferred) {
        const resolved = discovery.resolve(c.planned.object);
        if (resolved) c.planned = { ...c.planned, resource: resolved, awaitsCrd: false };
      }
      const results = await runBounded(deferred, { concurrency, stopOnError: false, signal }, async (c) =>
        cluster.apply({
          resource: c.planned.resource,
          object: c.planned.object,
          force,
          dryRun: true,
          signal,
        }),
      );
      throwIfRefused(
        deferred.map((c, i) => ({ planned: c.planned, settled: results[i] })),
        "after creating the CustomResourceDefinitions / Namespaces it depends on",
      );
      deferred.forEach((c, i) => {
        const r = results[i];
        if (r?.ok) c.after = normaliseForDiff(r.value);
      });
    }
    await runBounded(stageChanges, { concurrency, stopOnError: true, signal }, async (c) => {
      try {
        await cluster.apply({
          resource: c.planned.resource,
          object: c.planned.object,
          force: force || c.force === true,
          dryRun: false,
          // The dry-run already gave us the object for the diff; the write only needs to succeed.
          answer: "metadata",
          signal,
        });
      } catch (error) {
        if (error instanceof ClusterError && error.status === 409 && error.reason === "Conflict") {
          throw new ClusterError(
            `${describeObject(c.planned.object)} (${sourceOf(c.planned)}): ${refusalReason(error)}`,
            {
              retryable: false,
              status: 409,
              object: describeObject(c.planned.object),
              reason: error.reason,
              causes: error.causes,
              cause: error,
            },
          );
        }
        throw error;
      }
    });
    if (stage === Stage.crds) {
      await waitForEstablished(stageChanges.map((c) => c.planned));
      discovery = await cluster.discover({ refresh: true, signal });
    }
  }
  endPhase("apply");

  // ── prune, in reverse order ─────────────────────────────────────────────
  for (const stage of PRUNE_ORDER) {
    signal?.throwIfAborted();
    const stagePrunes = prunes.filter((p) => p.stage === stage);
    await runBounded(stagePrunes, { concurrency, stopOnError: true, signal }, async (p) => {
      await cluster.delete({
        resource: p.resource,
        namespace: p.live.metadata.namespace,
        name: p.live.metadata.name,
        uid: p.live.metadata.uid,
        signal,
      });
    });
  }
  endPhase("prune");

  // ── record: shrink the parent to what remains, with this revision ──────
  const recorded = finalInventory(inventory);
  inventory = await writeParent({
    ...recorded,
    lastSync: {
      sha: revision.sha,
      time: now.toISOString(),
      summary: formatSummary(counts),
      digest: desiredDigest,
    },
  });
  endPhase("record");
  return finish();

  async function writeParent(next: ApplySetInventory): Promise<ApplySetInventory> {
    const answer = await cluster.applyApplySetParent({
      parent: buildApplySetParent({ inventory: next, targetName: target.name, toolingVersion }),
      signal,
    });
    parentUpdated = true;
    return { ...next, exists: true, resourceVersion: answer.metadata.resourceVersion };
  }

  async function waitForEstablished(crds: readonly PlannedObject[]): Promise<void> {
    const deadline = clock() + (deps.crdTimeoutMs ?? DEFAULT_CRD_TIMEOUT_MS);
    await runBounded(crds, { concurrency, stopOnError: true, signal }, async (crd) => {
      for (;;) {
        const current = await cluster.get({ resource: crd.resource, name: crd.object.metadata.name, signal });
        const conditions = (
          current?.status as { conditions?: Array<{ type?: string; status?: string }> } | undefined
        )?.conditions;
        if (conditions?.some((c) => c.type === "Established" && c.status === "True")) return;
        if (clock() > deadline) {
          throw new ClusterError(`${describeObject(crd.object)} did not become Established in time`, {
            retryable: true,
            object: describeObject(crd.object),
          });
        }
        await sleep(POLL_MS, signal);
      }
    });
  }

  async function waitForKinds(pending: readonly Change[]): Promise<DiscoveryIndex> {
    const deadline = clock() + (deps.crdTimeoutMs ?? DEFAULT_CRD_TIMEOUT_MS);
    let index = discovery;
    for (;;) {
      const missing = pending.find((c) => c.planned.awaitsCrd && !index.resolve(c.planned.object));
      if (!missing) return index;
      if (clock() > deadline) {
        throw new ClusterError(
          `${describeObject(missing.planned.object)}: ${missing.planned.object.apiVersion} ${missing.planned.object.kind} is still not served after its CRD was Established`,
          { retryable: true, object: describeObject(missing.planned.object) },
        );
      }
      await sleep(POLL_MS, signal);
      index = await cluster.discover({ refresh: true, signal });
    }
  }
}

function normaliseOptional(object: KubeObject | undefined): KubeObject | undefined {
  return object ? normaliseForDiff(object) : undefined;
}

/** Throws a SyncRefusedError naming the first refused object (and how many more) after a dry-run pass. */
function throwIfRefused(
  results: ReadonlyArray<{
    planned: PlannedObject;
    settled: { ok: true; value: KubeObject } | { ok: false; error: unknown } | undefined;
  }>,
  when?: string,
): void {
  const failed = results.filter((r) => r.settled && !r.settled.ok);
  const first = failed[0];
  if (!first?.settled || first.settled.ok) return;
  const error = first.settled.error;
  // Transient failures are not a verdict on the manifests: let the job retry.
  if (error instanceof ClusterError && error.retryable) throw error;
  if (!(error instanceof ClusterError)) throw error;
  const more = failed.length > 1 ? ` (and ${failed.length - 1} more)` : "";
  const object = describeObject(first.planned.object);
  const refusals = failed.flatMap((r) =>
    r.settled && !r.settled.ok && r.settled.error instanceof ClusterError
      ? [
          {
            object: describeObject(r.planned.object),
            source: r.planned.source,
            reason: refusalReason(r.settled.error),
          },
        ]
      : [],
  );
  throw new SyncRefusedError(
    `server-side dry-run refused ${object} (${sourceOf(first.planned)})${when ? ` ${when}` : ""}: ${refusalReason(error)}${more}; nothing was applied${when ? " beyond them" : ""}`,
    { object, source: first.planned.source, refusals, cause: error },
  );
}

function outcomeOf(options: {
  planned: PlannedObject;
  outcome: ObjectOutcome["outcome"];
  decidedBy?: "managed-fields" | "dry-run";
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
  };
}
