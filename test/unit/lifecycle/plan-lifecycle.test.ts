import { describe, expect, it } from "vitest";
import { SyncRefusedError } from "../../../lib/errors.ts";
import {
  lifecycleAnnotationProblems,
  lifecycleRoleOf,
} from "../../../lib/lifecycle/lifecycle-annotations.ts";
import { describeStep, isSingleStep, planLifecycle } from "../../../lib/lifecycle/plan-lifecycle.ts";
import type { DesiredObject, KubeObject } from "../../../lib/manifests/kube-object.ts";
import { aConfigMap, aDeployment } from "../../factories/manifests.ts";

const SHA = "a".repeat(40);
const OTHER_SHA = "b".repeat(40);

function annotated(object: KubeObject, annotations: Record<string, string>): KubeObject {
  return { ...object, metadata: { ...object.metadata, annotations } };
}

function aJob(name: string, annotations: Record<string, string>, generate = false): KubeObject {
  const { name: _n, ...rest } = { name, annotations };
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: generate ? { ...rest, name, generateName: name } : { name, annotations },
    spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "c", image: "busybox" }] } } },
  };
}

let line = 0;
function desired(...objects: KubeObject[]): DesiredObject[] {
  return objects.map((object) => {
    line += 10;
    return { object, source: { file: "deploy/app.yaml", document: 0, line, column: 1 } };
  });
}

const labels = (plan: ReturnType<typeof planLifecycle>) => plan.steps.map((_, i) => describeStep(plan, i));

describe("lifecycleRoleOf: the three dialects", () => {
  it.each([
    [{ "pullbridge.dev/wave": "2" }, { role: "member", wave: 2 }],
    [{ "argocd.argoproj.io/sync-wave": "-1" }, { role: "member", wave: -1 }],
    [
      { "pullbridge.dev/wave": "3", "argocd.argoproj.io/sync-wave": "1" },
      { role: "member", wave: 3 },
    ],
    [{}, { role: "member", wave: 0 }],
  ])("%o → %o", (annotations, role) => {
    expect(lifecycleRoleOf(annotated(aConfigMap(), annotations), "install")).toEqual(role);
  });

  it("reads Argo CD hooks and delete policies, BeforeHookCreation by default", () => {
    expect(lifecycleRoleOf(aJob("m", { "argocd.argoproj.io/hook": "PreSync" }), "install")).toEqual({
      role: "hook",
      phases: ["pre-sync"],
      wave: 0,
      deletePolicies: ["before-hook-creation"],
      dialect: "argocd",
    });
    expect(
      lifecycleRoleOf(
        aJob("m", {
          "argocd.argoproj.io/hook": "PostSync,SyncFail",
          "argocd.argoproj.io/hook-delete-policy": "HookSucceeded,HookFailed",
          "argocd.argoproj.io/sync-wave": "5",
        }),
        "upgrade",
      ),
    ).toEqual({
      role: "hook",
      phases: ["post-sync", "sync-fail"],
      wave: 5,
      deletePolicies: ["hook-succeeded", "hook-failed"],
      dialect: "argocd",
    });
  });

  it("maps Helm's events with Helm's install/upgrade semantics and its hook weight", () => {
    const preUpgrade = aJob("m", { "helm.sh/hook": "pre-upgrade", "helm.sh/hook-weight": "-5" });
    expect(lifecycleRoleOf(preUpgrade, "upgrade")).toMatchObject({
      role: "hook",
      phases: ["pre-sync"],
      wave: -5,
    });
    expect(lifecycleRoleOf(preUpgrade, "install")).toEqual({
      role: "skipped",
      reason: "helm.sh/hook: pre-upgrade (does not fire on an install)",
    });
    const both = aJob("m", { "helm.sh/hook": "pre-install,post-upgrade" });
    expect(lifecycleRoleOf(both, "install")).toMatchObject({ phases: ["pre-sync"] });
    expect(lifecycleRoleOf(both, "upgrade")).toMatchObject({ phases: ["post-sync"] });
    expect(lifecycleRoleOf(aJob("t", { "helm.sh/hook": "test" }), "upgrade")).toMatchObject({
      role: "skipped",
      reason: expect.stringContaining("a test hook runs only with `helm test`"),
    });
    expect(lifecycleRoleOf(aJob("c", { "helm.sh/hook": "crd-install" }), "install")).toMatchObject({
      role: "skipped",
      reason: expect.stringContaining("not a Helm 3 hook event"),
    });
  });

  it("prefers pullbridge's annotations over Argo CD's over Helm's", () => {
    const all = aJob("m", {
      "pullbridge.dev/hook": "post-sync",
      "argocd.argoproj.io/hook": "PreSync",
      "helm.sh/hook": "pre-install",
    });
    expect(lifecycleRoleOf(all, "install")).toMatchObject({ phases: ["post-sync"], dialect: "pullbridge" });
    const argoAndHelm = aJob("m", { "argocd.argoproj.io/hook": "Skip", "helm.sh/hook": "pre-install" });
    expect(lifecycleRoleOf(argoAndHelm, "install")).toEqual({
      role: "skipped",
      reason: "argocd.argoproj.io/hook: Skip",
    });
  });

  it("names what cannot be read", () => {
    expect(lifecycleAnnotationProblems({ "pullbridge.dev/hook": "pre-deploy" })).toEqual([
      {
        annotation: "pullbridge.dev/hook",
        reason: 'unknown hook "pre-deploy" (known: pre-sync, post-sync, sync-fail)',
      },
    ]);
    expect(lifecycleAnnotationProblems({ "pullbridge.dev/wave": "1.5" })).toEqual([
      { annotation: "pullbridge.dev/wave", reason: '"1.5" is not an integer' },
    ]);
    expect(
      lifecycleAnnotationProblems({ "helm.sh/hook": "pre-install", "helm.sh/hook-weight": "x" }),
    ).toEqual([{ annotation: "helm.sh/hook-weight", reason: '"x" is not an integer' }]);
    expect(lifecycleAnnotationProblems({ "argocd.argoproj.io/sync-wave": "3" })).toEqual([]);
  });
});

describe("planLifecycle", () => {
  it("orders pre-sync hooks, the members wave by wave, then post-sync hooks; sync-fail apart", () => {
    // Prepare
    const objects = desired(
      annotated(aDeployment("app"), { "argocd.argoproj.io/sync-wave": "1" }),
      annotated(aDeployment("db"), { "argocd.argoproj.io/sync-wave": "0" }),
      aJob("smoke", { "argocd.argoproj.io/hook": "PostSync" }),
      aJob("migrate", { "argocd.argoproj.io/hook": "PreSync" }),
      aJob("schema", { "helm.sh/hook": "pre-install", "helm.sh/hook-weight": "-1" }),
      aJob("notify", { "pullbridge.dev/hook": "sync-fail" }),
      annotated(aConfigMap("skip-me"), { "argocd.argoproj.io/hook": "Skip" }),
    );

    // Act
    const plan = planLifecycle({ desired: objects, sha: SHA, release: "install", hooks: true });

    // Assess
    expect(labels(plan)).toEqual(["pre-sync wave -1", "pre-sync wave 0", "wave 0", "wave 1", "post-sync"]);
    expect(
      plan.steps.map((s) => (s.kind === "hooks" ? s.hooks.map((h) => h.object.metadata.name) : s.kind)),
    ).toEqual([["schema"], ["migrate"], "wave", "wave", ["smoke"]]);
    expect(plan.steps.map((s) => s.kind === "wave" && s.last)).toEqual([false, false, false, true, false]);
    expect(plan.members.map((m) => m.object.metadata.name)).toEqual(["app", "db"]);
    expect(plan.syncFail.map((h) => h.object.metadata.name)).toEqual(["notify"]);
    expect(plan.notes).toEqual([
      expect.stringMatching(
        /^skipped ConfigMap skip-me \(deploy\/app\.yaml:\d+\): argocd\.argoproj\.io\/hook: Skip$/,
      ),
    ]);
    expect(isSingleStep(plan)).toBe(false);
  });

  it("is today's single step for a set without hooks or waves, and without hooks when told so", () => {
    const plain = planLifecycle({
      desired: desired(aConfigMap(), aDeployment()),
      sha: SHA,
      release: "install",
      hooks: true,
    });
    expect(isSingleStep(plain)).toBe(true);
    expect(labels(plain)).toEqual(["apply"]);
    const withHooks = desired(aConfigMap(), aJob("migrate", { "argocd.argoproj.io/hook": "PreSync" }));
    expect(
      isSingleStep(planLifecycle({ desired: withHooks, sha: SHA, release: "install", hooks: false })),
    ).toBe(true);
  });

  it("names a generateName hook from the commit and the hook: the same at one commit, another at the next", () => {
    // Prepare
    const objects = desired(
      aJob("migrate-", { "argocd.argoproj.io/hook": "PreSync" }, true),
      aJob("migrate-", { "argocd.argoproj.io/hook": "PreSync" }, true),
    );

    // Act
    const names = (sha: string) =>
      planLifecycle({ desired: objects, sha, release: "install", hooks: true }).steps.flatMap((s) =>
        s.kind === "hooks" ? s.hooks.map((h) => h.object.metadata.name) : [],
      );

    // Assess
    const [first, second] = names(SHA);
    expect(first).toMatch(/^migrate-[0-9a-f]{10}$/);
    expect(second).toMatch(/^migrate-[0-9a-f]{10}$/);
    expect(first).not.toBe(second);
    expect(names(SHA)).toEqual([first, second]);
    expect(names(OTHER_SHA)).not.toContain(first);
  });

  it("refuses two hooks of one phase with one name, and a hook named like a member", () => {
    const twice = desired(
      aJob("m", { "argocd.argoproj.io/hook": "PreSync" }),
      aJob("m", { "pullbridge.dev/hook": "pre-sync" }),
    );
    expect(() => planLifecycle({ desired: twice, sha: SHA, release: "install", hooks: true })).toThrow(
      SyncRefusedError,
    );
    const clash = desired(
      aConfigMap("x"),
      annotated(aConfigMap("x"), { "pullbridge.dev/hook": "post-sync" }),
    );
    expect(() => planLifecycle({ desired: clash, sha: SHA, release: "install", hooks: true })).toThrow(
      /is a post-sync hook with the same name as an object of the set/,
    );
  });

  it("puts Argo CD Sync hooks with the members of their wave", () => {
    const plan = planLifecycle({
      desired: desired(
        aConfigMap(),
        aJob("seed", { "argocd.argoproj.io/hook": "Sync", "argocd.argoproj.io/sync-wave": "2" }),
      ),
      sha: SHA,
      release: "install",
      hooks: true,
    });
    expect(plan.steps.map((s) => [s.kind, s.wave, s.hooks.map((h) => h.object.metadata.name)])).toEqual([
      ["wave", 0, []],
      ["wave", 2, ["seed"]],
    ]);
  });
});
