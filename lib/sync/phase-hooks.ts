/**
 * Hooks as real objects: each is created (POST, never server-side applied) under the name its
 * commit gives it, labelled with its target so it can always be found, marked with the run that
 * created it so a retried step finds it instead of creating a second one, and never made a member
 * of the ApplySet (never pruned as app state, never reported as drift). Its delete policy is
 * honoured: `before-hook-creation` replaces an earlier run's object, `hook-succeeded` and
 * `hook-failed` are applied by `sweepHooks` once the hook finished.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { ApiResource, DiscoveryIndex } from "../cluster/cluster-port.ts";
import type { Target } from "../config/targets.ts";
import { ClusterError, SyncRefusedError } from "../errors.ts";
import { computeHookHealth } from "../health/compute-object-health.ts";
import { HealthStatus } from "../health/health-status.ts";
import { HookMark } from "../lifecycle/hook-marks.ts";
import type { DeletePolicy } from "../lifecycle/lifecycle-annotations.ts";
import type { LifecycleCursor } from "../lifecycle/lifecycle-cursor.ts";
import type { HookObject } from "../lifecycle/plan-lifecycle.ts";
import {
  type DesiredObject,
  describeObject,
  groupKindOf,
  type KubeObject,
} from "../manifests/kube-object.ts";
import { parseGroupKind } from "./applyset-parent.ts";
import { computeDesiredSet, type PlannedObject } from "./compute-desired-set.ts";
import { throwIfRefused } from "./refusal-text.ts";
import { runBounded } from "./run-bounded.ts";
import type { SyncContext } from "./sync-state.ts";

/** How long a replaced hook may take to disappear before the step is retried. */
const GONE_TIMEOUT_MS = 30_000;
const POLL_MS = 200;

/** A hook resolved against the cluster, ready to create. */
export type PlannedHook = { hook: HookObject; planned: PlannedObject };

/** What the hook step did, per hook: created now, created earlier by this run (a retry), or kept (a named hook that is never re-created). */
export type HookOutcome = { planned: PlannedHook; outcome: "created" | "existing" | "kept" };

/**
 * Resolves hooks like members (kind served or not, policy, default namespace), marked with the
 * target instead of the ApplySet's `part-of`. Throws SyncRefusedError for a hook the policy refuses.
 */
export function resolveHooks(options: {
  hooks: readonly HookObject[];
  discovery: DiscoveryIndex;
  target: Pick<Target, "name" | "namespace" | "policy">;
  run: string;
}): PlannedHook[] {
  const { hooks, target, run } = options;
  const desired: DesiredObject[] = hooks.map((hook) => ({
    object: {
      ...hook.object,
      metadata: {
        ...hook.object.metadata,
        annotations: {
          ...(hook.object.metadata.annotations ?? {}),
          [HookMark.run]: run,
          [HookMark.phase]: hook.phase,
          [HookMark.deletePolicy]: hook.deletePolicies.join(","),
        },
      },
    },
    source: hook.source,
  }));
  const planned = computeDesiredSet({
    desired,
    discovery: options.discovery,
    target,
    applySetId: "",
    labels: { [HookMark.target]: target.name },
  });
  return planned.map((p, i) => ({ planned: p, hook: hooks[i] as HookObject }));
}

/**
 * Creates the step's hooks: dry-run as a set first (nothing is deleted or created when one is
 * refused), then per hook — found from this run: kept as it is; found from an earlier run: deleted
 * and re-created when its policy says `before-hook-creation` (or it was written with
 * generateName), else kept (Argo CD's rule for named hooks); absent: created.
 */
export async function createHooks(
  ctx: SyncContext,
  options: { hooks: readonly PlannedHook[]; run: string; target: Pick<Target, "name"> },
): Promise<HookOutcome[]> {
  const { hooks, run, target } = options;
  const create = ctx.cluster.create?.bind(ctx.cluster);
  if (!create) throw new Error("this cluster client cannot create objects (hooks need create)");
  const live = await runBounded(
    hooks,
    { concurrency: ctx.concurrency, stopOnError: true, signal: ctx.signal },
    async (h) => await ctx.cluster.get({ ...locationOf(h.planned), signal: ctx.signal }),
  );
  const found = hooks.map((h, i) => {
    const settled = live[i];
    if (!settled?.ok) throw settled?.error;
    return { h, live: settled.value };
  });
  for (const { h, live: object } of found) {
    if (object && object.metadata.labels?.[HookMark.target] !== target.name) {
      throw new SyncRefusedError(
        `${describeObject(h.planned.object)} (${h.planned.source.file}:${h.planned.source.line}) is a ${h.hook.phase} hook, but an object of that name exists that is not a hook of target ${target.name}; pullbridge does not replace it`,
        { object: describeObject(h.planned.object), source: h.planned.source },
      );
    }
  }
  const toCreate = found.filter(({ h, live: object }) => {
    const decision = decide(h, object, run);
    return decision === "create" || decision === "replace";
  });
  const dryRuns = await runBounded(
    toCreate,
    { concurrency: ctx.concurrency, stopOnError: false, signal: ctx.signal },
    async ({ h }) =>
      await create({
        resource: h.planned.resource,
        object: h.planned.object,
        dryRun: true,
        signal: ctx.signal,
      }),
  );
  // A name still taken by an earlier run's object (replaced below) answers `exists`: not a refusal.
  throwIfRefused(
    toCreate.map(({ h }, i) => ({ planned: h.planned, settled: dryRuns[i] })),
    `as a ${toCreate[0]?.h.hook.phase ?? ""} hook; nothing was created`,
  );
  const outcomes: HookOutcome[] = [];
  for (const { h, live: object } of found) {
    const decision = decide(h, object, run);
    if (decision === "existing" || decision === "kept") {
      outcomes.push({ planned: h, outcome: decision });
      continue;
    }
    if (object && decision === "replace") await deleteAndWait(ctx, h.planned, object);
    const answer = await create({
      resource: h.planned.resource,
      object: h.planned.object,
      dryRun: false,
      signal: ctx.signal,
    });
    if (answer === "exists") {
      throw new ClusterError(
        `${describeObject(h.planned.object)}: a ${h.hook.phase} hook of that name appeared while it was being created; retrying`,
        { retryable: true, object: describeObject(h.planned.object) },
      );
    }
    outcomes.push({ planned: h, outcome: "created" });
  }
  return outcomes;
}

function decide(
  h: PlannedHook,
  live: KubeObject | undefined,
  run: string,
): "create" | "replace" | "existing" | "kept" {
  if (!live) return "create";
  if (live.metadata.annotations?.[HookMark.run] === run) return "existing";
  if (live.metadata.deletionTimestamp !== undefined) return "replace";
  if (h.hook.generated || h.hook.deletePolicies.includes("before-hook-creation")) return "replace";
  return "kept";
}

function locationOf(planned: PlannedObject) {
  return {
    resource: planned.resource,
    namespace: planned.object.metadata.namespace,
    name: planned.object.metadata.name,
  };
}

/** Deletes an earlier run's hook object and waits until its name is free. */
async function deleteAndWait(ctx: SyncContext, planned: PlannedObject, live: KubeObject): Promise<void> {
  await ctx.cluster.delete({ ...locationOf(planned), uid: live.metadata.uid, signal: ctx.signal });
  const deadline = ctx.clock() + GONE_TIMEOUT_MS;
  for (;;) {
    const current = await ctx.cluster.get({ ...locationOf(planned), signal: ctx.signal });
    if (!current || current.metadata.uid !== live.metadata.uid) return;
    if (ctx.clock() > deadline) {
      throw new ClusterError(
        `${describeObject(planned.object)}: the previous run's hook is still being deleted; retrying`,
        { retryable: true, object: describeObject(planned.object) },
      );
    }
    await sleep(POLL_MS, undefined, { signal: ctx.signal }).catch(() => ctx.signal?.throwIfAborted());
  }
}

/** Where hook objects of a target may be: the group-kinds and namespaces of the hooks created. */
export function hookLocationsOf(hooks: readonly PlannedHook[]): LifecycleCursor["hooks"] {
  return {
    groupKinds: [...new Set(hooks.map((h) => h.planned.groupKind))].sort(),
    namespaces: [
      ...new Set(
        hooks.flatMap((h) =>
          h.planned.object.metadata.namespace ? [h.planned.object.metadata.namespace] : [],
        ),
      ),
    ].sort(),
  };
}

/** What a sweep deleted. */
export type SweepResult = { deleted: string[] };

/**
 * Applies `hook-succeeded` and `hook-failed` to every finished hook object of the target (a Job
 * Complete or Failed, a Pod Succeeded or Failed; other kinds count as succeeded once they exist).
 * Hooks still running are left alone. Idempotent: run at the end of every sequence.
 */
export async function sweepHooks(
  ctx: SyncContext,
  options: { target: Pick<Target, "name">; locations: LifecycleCursor["hooks"]; discovery: DiscoveryIndex },
): Promise<SweepResult> {
  const { target, locations, discovery } = options;
  const resources = locations.groupKinds.flatMap((gk) => {
    const resource = discovery.preferred(parseGroupKind(gk));
    return resource ? [resource] : [];
  });
  type Where = { resource: ApiResource; namespace: string | undefined };
  const lists = resources.flatMap((resource): Where[] =>
    resource.namespaced
      ? locations.namespaces.map((namespace) => ({ resource, namespace }))
      : [{ resource, namespace: undefined }],
  );
  const deleted: string[] = [];
  await runBounded(
    lists,
    { concurrency: ctx.concurrency, stopOnError: true, signal: ctx.signal },
    async ({ resource, namespace }) => {
      const { items } = await ctx.cluster.list({
        resource,
        namespace,
        labelSelector: `${HookMark.target}=${target.name}`,
        signal: ctx.signal,
      });
      for (const item of items) {
        if (item.metadata.deletionTimestamp !== undefined) continue;
        const policies = (item.metadata.annotations?.[HookMark.deletePolicy] ?? "").split(
          ",",
        ) as DeletePolicy[];
        const health = computeHookHealth(item);
        const due =
          (health.status === HealthStatus.Current && policies.includes("hook-succeeded")) ||
          (health.status === HealthStatus.Failed && policies.includes("hook-failed"));
        if (!due) continue;
        await ctx.cluster.delete({
          resource,
          namespace: item.metadata.namespace,
          name: item.metadata.name,
          uid: item.metadata.uid,
          signal: ctx.signal,
        });
        deleted.push(
          `${groupKindOf(item)} ${item.metadata.namespace ? `${item.metadata.namespace}/` : ""}${item.metadata.name}`,
        );
      }
    },
  );
  return { deleted };
}
