/**
 * What an object's ordering annotations ask for: a member of a wave, a hook of a phase, or an
 * object pullbridge does not apply (an Argo CD `Skip`, a Helm `test` or delete hook). Three
 * dialects are read the same way, so a repository moved from Argo CD or a Helm chart keeps working
 * unchanged; when an object carries several, pullbridge's own wins, then Argo CD's (as Argo CD
 * itself prefers its own over Helm's). Pure.
 */
import type { KubeObject } from "../manifests/kube-object.ts";

/** pullbridge's own ordering annotations. */
export const LifecycleAnnotation = {
  wave: "pullbridge.dev/wave",
  hook: "pullbridge.dev/hook",
  deletePolicy: "pullbridge.dev/hook-delete-policy",
} as const;

/** Argo CD's sync-wave and resource-hook annotations. */
export const ArgoAnnotation = {
  wave: "argocd.argoproj.io/sync-wave",
  hook: "argocd.argoproj.io/hook",
  deletePolicy: "argocd.argoproj.io/hook-delete-policy",
} as const;

/** Helm's chart-hook annotations. */
export const HelmAnnotation = {
  hook: "helm.sh/hook",
  weight: "helm.sh/hook-weight",
  deletePolicy: "helm.sh/hook-delete-policy",
} as const;

/** The phases a hook runs in. `sync` is Argo CD's `Sync` hook: created with the members of its wave. */
export type HookPhase = "pre-sync" | "sync" | "post-sync" | "sync-fail";

/** When a hook object is deleted (Helm's and Argo CD's three policies). */
export type DeletePolicy = "before-hook-creation" | "hook-succeeded" | "hook-failed";

/** Helm install or upgrade: decides which `helm.sh/hook` events fire, and `.Release.IsUpgrade`. */
export type ReleaseMode = "install" | "upgrade";

/** Which annotations made an object a hook (messages say where a phase came from). */
export type HookDialect = "pullbridge" | "argocd" | "helm";

export type LifecycleRole =
  | { role: "member"; wave: number }
  | {
      role: "hook";
      phases: readonly HookPhase[];
      wave: number;
      deletePolicies: readonly DeletePolicy[];
      dialect: HookDialect;
    }
  /** Not applied at all, with the reason a person reads in the notes. */
  | { role: "skipped"; reason: string };

/** An annotation that cannot be read: the caller turns it into a file:line error. */
export type AnnotationProblem = { annotation: string; reason: string };

const INTEGER = /^[+-]?\d+$/;

const PULLBRIDGE_HOOKS: Readonly<Record<string, HookPhase>> = {
  "pre-sync": "pre-sync",
  "post-sync": "post-sync",
  "sync-fail": "sync-fail",
};

const ARGO_HOOKS: Readonly<Record<string, HookPhase | "skip" | "post-delete">> = {
  PreSync: "pre-sync",
  Sync: "sync",
  PostSync: "post-sync",
  SyncFail: "sync-fail",
  Skip: "skip",
  PostDelete: "post-delete",
};

const HELM_EVENTS = new Set([
  "pre-install",
  "post-install",
  "pre-upgrade",
  "post-upgrade",
  "pre-delete",
  "post-delete",
  "pre-rollback",
  "post-rollback",
  "test",
  "test-success",
  "test-failure",
]);

const POLICIES: Readonly<Record<string, DeletePolicy>> = {
  "before-hook-creation": "before-hook-creation",
  "hook-succeeded": "hook-succeeded",
  "hook-failed": "hook-failed",
  BeforeHookCreation: "before-hook-creation",
  HookSucceeded: "hook-succeeded",
  HookFailed: "hook-failed",
};

function list(value: string): string[] {
  return value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Thrown inside this module only, and turned into an AnnotationProblem at its edge. */
type Unreadable = { unreadable: AnnotationProblem };

function unreadable(problem: AnnotationProblem): Unreadable {
  return { unreadable: problem };
}

function integerAt(annotations: Readonly<Record<string, string>>, key: string): number | undefined {
  const raw = annotations[key];
  if (raw === undefined) return undefined;
  const trimmed = raw.trim();
  if (!INTEGER.test(trimmed) || !Number.isSafeInteger(Number(trimmed))) {
    throw unreadable({ annotation: key, reason: `"${raw}" is not an integer` });
  }
  return Number(trimmed);
}

function policiesAt(annotations: Readonly<Record<string, string>>, key: string): DeletePolicy[] | undefined {
  const raw = annotations[key];
  if (raw === undefined) return undefined;
  return list(raw).map((p) => {
    const policy = POLICIES[p];
    if (!policy) {
      throw unreadable({
        annotation: key,
        reason: `unknown delete policy "${p}" (known: before-hook-creation, hook-succeeded, hook-failed; Argo CD's BeforeHookCreation, HookSucceeded, HookFailed)`,
      });
    }
    return policy;
  });
}

/**
 * The wave a member is applied in: `pullbridge.dev/wave`, else Argo CD's sync-wave, else 0. An
 * unreadable value reads as 0 here: loading refuses it first (`lifecycleAnnotationProblems`).
 */
export function waveOf(object: Pick<KubeObject, "metadata">): number {
  return readable(() => memberWave(object.metadata.annotations ?? {})) ?? 0;
}

function memberWave(annotations: Readonly<Record<string, string>>): number {
  return integerAt(annotations, LifecycleAnnotation.wave) ?? integerAt(annotations, ArgoAnnotation.wave) ?? 0;
}

/** Runs a reader; undefined when it met an unreadable annotation. */
function readable<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch (error) {
    if (isUnreadable(error)) return undefined;
    throw error;
  }
}

function isUnreadable(value: unknown): value is Unreadable {
  return typeof value === "object" && value !== null && "unreadable" in value;
}

/**
 * What is wrong with an object's ordering annotations (an unknown hook or delete policy, a wave
 * that is not an integer), for the loader to report with the file and line. Empty when sound.
 */
export function lifecycleAnnotationProblems(
  annotations: Readonly<Record<string, string>>,
): AnnotationProblem[] {
  try {
    // Either mode reads every annotation; install is as good as upgrade for finding problems.
    roleOf(annotations, "install");
    return [];
  } catch (error) {
    if (isUnreadable(error)) return [error.unreadable];
    throw error;
  }
}

/** Whether the object carries any hook annotation (the only objects that may use `generateName`). */
export function hasHookAnnotation(annotations: Readonly<Record<string, unknown>> | undefined): boolean {
  return (
    annotations !== undefined &&
    (LifecycleAnnotation.hook in annotations ||
      ArgoAnnotation.hook in annotations ||
      HelmAnnotation.hook in annotations)
  );
}

/**
 * The object's role in a sync. `release` decides which Helm events fire (install: `pre-install`,
 * `post-install`; upgrade: `pre-upgrade`, `post-upgrade`). Annotations were checked when the object
 * was loaded (`lifecycleAnnotationProblems`); one that still cannot be read makes a plain member.
 */
export function lifecycleRoleOf(object: Pick<KubeObject, "metadata">, release: ReleaseMode): LifecycleRole {
  return readable(() => roleOf(object.metadata.annotations ?? {}, release)) ?? { role: "member", wave: 0 };
}

function roleOf(annotations: Readonly<Record<string, string>>, release: ReleaseMode): LifecycleRole {
  const wave = memberWave(annotations);
  const own = annotations[LifecycleAnnotation.hook];
  if (own !== undefined) {
    const phases = list(own).map((h) => {
      const phase = PULLBRIDGE_HOOKS[h];
      if (!phase) {
        throw unreadable({
          annotation: LifecycleAnnotation.hook,
          reason: `unknown hook "${h}" (known: pre-sync, post-sync, sync-fail)`,
        });
      }
      return phase;
    });
    return hook(phases, wave, annotations, LifecycleAnnotation.deletePolicy, "pullbridge");
  }
  const argo = annotations[ArgoAnnotation.hook];
  if (argo !== undefined) {
    const values = list(argo).map((h) => {
      const phase = ARGO_HOOKS[h];
      if (!phase) {
        throw unreadable({
          annotation: ArgoAnnotation.hook,
          reason: `unknown hook "${h}" (known: PreSync, Sync, PostSync, SyncFail, Skip, PostDelete)`,
        });
      }
      return phase;
    });
    if (values.includes("skip")) return { role: "skipped", reason: `${ArgoAnnotation.hook}: Skip` };
    const phases = values.filter((v): v is HookPhase => v !== "post-delete");
    if (phases.length === 0) {
      return {
        role: "skipped",
        reason: `${ArgoAnnotation.hook}: PostDelete (pullbridge deletes no application, so it never runs)`,
      };
    }
    return hook(phases, wave, annotations, ArgoAnnotation.deletePolicy, "argocd");
  }
  const helm = annotations[HelmAnnotation.hook];
  if (helm !== undefined) return helmRole(helm, annotations, release);
  return { role: "member", wave };
}

function hook(
  phases: readonly HookPhase[],
  wave: number,
  annotations: Readonly<Record<string, string>>,
  policyKey: string,
  dialect: HookDialect,
): LifecycleRole {
  // Helm's and Argo CD's default: the previous run's object is deleted before a new one is created.
  const deletePolicies = policiesAt(annotations, policyKey) ?? ["before-hook-creation"];
  return {
    role: "hook",
    phases: [...new Set(phases)],
    wave,
    deletePolicies: [...new Set(deletePolicies)],
    dialect,
  };
}

function helmRole(
  value: string,
  annotations: Readonly<Record<string, string>>,
  release: ReleaseMode,
): LifecycleRole {
  // Helm 3 ignores events it does not know (Helm 2's `crd-install`): such an object never runs.
  const events = list(value);
  const unknown = events.filter((e) => !HELM_EVENTS.has(e));
  if (unknown.length === events.length) {
    return {
      role: "skipped",
      reason: `${HelmAnnotation.hook}: ${value} (not a Helm 3 hook event, so Helm never runs it either)`,
    };
  }
  const phases: HookPhase[] = [];
  if (events.includes(`pre-${release}`)) phases.push("pre-sync");
  if (events.includes(`post-${release}`)) phases.push("post-sync");
  if (phases.length === 0) {
    const testOnly = events.every((e) => e.startsWith("test"));
    return {
      role: "skipped",
      reason: testOnly
        ? `${HelmAnnotation.hook}: ${value} (a test hook runs only with \`helm test\`)`
        : `${HelmAnnotation.hook}: ${value} (does not fire on ${release === "install" ? "an install" : "an upgrade"})`,
    };
  }
  // Helm orders hooks by weight: pullbridge's wave within the phase (pullbridge's or Argo CD's wave wins).
  const wave =
    integerAt(annotations, LifecycleAnnotation.wave) ??
    integerAt(annotations, ArgoAnnotation.wave) ??
    integerAt(annotations, HelmAnnotation.weight) ??
    0;
  return hook(phases, wave, annotations, HelmAnnotation.deletePolicy, "helm");
}
