/**
 * A commit's desired objects → the ordered steps of its sync: pre-sync hooks (by wave), the
 * members wave by wave (ascending, default 0; Argo CD `Sync` hooks with the members of their
 * wave), then post-sync hooks (by wave); sync-fail hooks run only when a step fails. Prune happens
 * once, with the last wave, before the post-sync hooks (as Argo CD does). Pure.
 */
import { createHash } from "node:crypto";
import { SyncRefusedError } from "../errors.ts";
import {
  type DesiredObject,
  describeObject,
  groupKindOf,
  type KubeObject,
  objectKey,
} from "../manifests/kube-object.ts";
import {
  type DeletePolicy,
  type HookDialect,
  type HookPhase,
  lifecycleRoleOf,
  type ReleaseMode,
} from "./lifecycle-annotations.ts";

/** One hook object of one phase, with the name it is created under for this commit. */
export type HookObject = {
  /** The object to create: its final name (a `generateName` hook's is derived from the commit). */
  object: KubeObject;
  source: DesiredObject["source"];
  phase: HookPhase;
  wave: number;
  deletePolicies: readonly DeletePolicy[];
  dialect: HookDialect;
  /** Written with `generateName`: a fresh object for every run, as Argo CD's random names give. */
  generated: boolean;
};

export type LifecycleStep =
  | { kind: "hooks"; phase: "pre-sync" | "post-sync"; wave: number; hooks: readonly HookObject[] }
  | {
      kind: "wave";
      wave: number;
      /** Argo CD `Sync` hooks of this wave, created once its members are applied. */
      hooks: readonly HookObject[];
      /** The last wave: prune and record the commit after it. */
      last: boolean;
    };

export type LifecyclePlan = {
  /** The objects that are ApplySet members (everything but hooks and skipped objects). */
  members: DesiredObject[];
  steps: LifecycleStep[];
  /** Created when a step fails (the sync is already failed; they are not waited for). */
  syncFail: HookObject[];
  /** Objects left out on purpose (Argo CD `Skip`, Helm test hooks), for the report. */
  notes: string[];
};

/** Longest object name a Job may have (its pods carry it in a 63-character label). */
const MAX_HOOK_NAME = 63;
const NAME_HASH_LENGTH = 10;

/**
 * Plans the sync of `desired` at commit `sha`. `hooks: false` leaves every hook out (a drift
 * correction by default): only the members' waves remain.
 */
export function planLifecycle(options: {
  desired: readonly DesiredObject[];
  sha: string;
  release: ReleaseMode;
  hooks: boolean;
}): LifecyclePlan {
  const members: DesiredObject[] = [];
  const memberWaves = new Map<DesiredObject, number>();
  const hooks: HookObject[] = [];
  const notes: string[] = [];
  const ordinals = new Map<string, number>();
  for (const desired of options.desired) {
    const role = lifecycleRoleOf(desired.object, options.release);
    if (role.role === "member") {
      members.push(desired);
      memberWaves.set(desired, role.wave);
      continue;
    }
    const where = `${describeObject(desired.object)} (${desired.source.file}:${desired.source.line})`;
    if (role.role === "skipped") {
      notes.push(`skipped ${where}: ${role.reason}`);
      continue;
    }
    if (!options.hooks) continue;
    for (const phase of role.phases) {
      const generated = desired.object.metadata.generateName !== undefined;
      const base = `${groupKindOf(desired.object)}/${desired.object.metadata.namespace ?? ""}/${desired.object.metadata.name}/${phase}`;
      const ordinal = ordinals.get(base) ?? 0;
      ordinals.set(base, ordinal + 1);
      hooks.push({
        object: generated
          ? withGeneratedName(desired.object, `${options.sha}\0${base}\0${ordinal}`)
          : desired.object,
        source: desired.source,
        phase,
        wave: role.wave,
        deletePolicies: role.deletePolicies,
        dialect: role.dialect,
        generated,
      });
    }
  }
  refuseDuplicateHooks(hooks, members);
  const byPhase = (phase: HookPhase) => hooks.filter((h) => h.phase === phase);
  const waves = [...new Set([...memberWaves.values(), ...byPhase("sync").map((h) => h.wave)])].sort(
    (a, b) => a - b,
  );
  if (waves.length === 0) waves.push(0);
  const lastWave = waves[waves.length - 1];
  const hookSteps = (phase: "pre-sync" | "post-sync"): LifecycleStep[] =>
    wavesOf(byPhase(phase)).map((wave) => ({
      kind: "hooks",
      phase,
      wave,
      hooks: byPhase(phase).filter((h) => h.wave === wave),
    }));
  const steps: LifecycleStep[] = [
    ...hookSteps("pre-sync"),
    ...waves.map(
      (wave): LifecycleStep => ({
        kind: "wave",
        wave,
        hooks: byPhase("sync").filter((h) => h.wave === wave),
        last: wave === lastWave,
      }),
    ),
    ...hookSteps("post-sync"),
  ];
  return { members, steps, syncFail: byPhase("sync-fail"), notes };
}

/** The plan has one step and no hook at all: the sync is today's single apply. */
export function isSingleStep(plan: LifecyclePlan): boolean {
  const [only] = plan.steps;
  return (
    plan.steps.length === 1 && only?.kind === "wave" && only.hooks.length === 0 && plan.syncFail.length === 0
  );
}

/**
 * `pre-sync`, `wave 1`, `post-sync wave 2`: how a step is named in statuses and plans. A phase's
 * wave is named only when the phase has several; the members' only when there are several.
 */
export function describeStep(plan: Pick<LifecyclePlan, "steps">, index: number): string {
  const step = plan.steps[index];
  if (!step) return `step ${index + 1}`;
  if (step.kind === "wave") {
    const waves = plan.steps.filter((s) => s.kind === "wave").length;
    return waves > 1 ? `wave ${step.wave}` : "apply";
  }
  const sameLabel = plan.steps.filter((s) => s.kind === "hooks" && s.phase === step.phase).length;
  return sameLabel > 1 ? `${step.phase} wave ${step.wave}` : step.phase;
}

function wavesOf(hooks: readonly HookObject[]): number[] {
  return [...new Set(hooks.map((h) => h.wave))].sort((a, b) => a - b);
}

/**
 * `<generateName><10 hex>`: the same for every retry of a step at one commit, so a retried step
 * finds the object it created instead of creating a second one.
 */
function withGeneratedName(object: KubeObject, seed: string): KubeObject {
  const prefix = String(object.metadata.generateName ?? object.metadata.name);
  const hash = createHash("sha256").update(seed).digest("hex").slice(0, NAME_HASH_LENGTH);
  const { generateName: _generated, ...metadata } = object.metadata;
  return {
    ...object,
    metadata: { ...metadata, name: `${prefix.slice(0, MAX_HOOK_NAME - NAME_HASH_LENGTH)}${hash}` },
  };
}

/**
 * Two hooks of one phase with one name (or a hook named like a member) would overwrite each other:
 * refused before anything is written, naming both files.
 */
function refuseDuplicateHooks(hooks: readonly HookObject[], members: readonly DesiredObject[]): void {
  const memberKeys = new Map(members.map((m) => [objectKey(m.object), m]));
  const seen = new Map<string, HookObject>();
  for (const hook of hooks) {
    const key = objectKey(hook.object);
    const member = memberKeys.get(key);
    if (member) {
      throw new SyncRefusedError(
        `${describeObject(hook.object)} (${hook.source.file}:${hook.source.line}) is a ${hook.phase} hook with the same name as an object of the set (${member.source.file}:${member.source.line}); rename one of them`,
        { object: describeObject(hook.object), source: hook.source },
      );
    }
    const phaseKey = `${hook.phase}/${key}`;
    const first = seen.get(phaseKey);
    if (first) {
      throw new SyncRefusedError(
        `${describeObject(hook.object)} is defined twice as a ${hook.phase} hook (${first.source.file}:${first.source.line} and ${hook.source.file}:${hook.source.line}); rename one of them or use generateName`,
        { object: describeObject(hook.object), source: hook.source },
      );
    }
    seen.set(phaseKey, hook);
  }
}
