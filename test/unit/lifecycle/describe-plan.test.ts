import { describe, expect, it } from "vitest";
import { describePlan, formatPlanMarkdown } from "../../../lib/lifecycle/describe-plan.ts";
import { planLifecycle } from "../../../lib/lifecycle/plan-lifecycle.ts";
import type { DesiredObject, KubeObject } from "../../../lib/manifests/kube-object.ts";
import { aConfigMap, aDeployment } from "../../factories/manifests.ts";

const SHA = "c".repeat(40);

function annotated(object: KubeObject, annotations: Record<string, string>): KubeObject {
  return { ...object, metadata: { ...object.metadata, annotations } };
}

function aJob(name: string, annotations: Record<string, string>): KubeObject {
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name, annotations },
    spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "c", image: "busybox" }] } } },
  };
}

function desired(...objects: KubeObject[]): DesiredObject[] {
  return objects.map((object, i) => ({
    object,
    source: { file: "deploy/app.yaml", document: i, line: 1 + i * 10, column: 1 },
  }));
}

describe("describePlan: the order previews and `pullbridge diff` show", () => {
  it("lists hooks, waves (prune with the last), post-sync, then sync-fail hooks and skipped objects", () => {
    // Prepare
    const plan = planLifecycle({
      sha: SHA,
      release: "install",
      hooks: true,
      desired: desired(
        annotated(aDeployment("app"), { "argocd.argoproj.io/sync-wave": "1" }),
        aConfigMap("db-config", {}),
        aJob("migrate", { "argocd.argoproj.io/hook": "PreSync" }),
        aJob("smoke", { "pullbridge.dev/hook": "post-sync" }),
        aJob("page", { "pullbridge.dev/hook": "sync-fail" }),
        aJob("check", { "helm.sh/hook": "test" }),
      ),
    });

    // Act
    const rows = describePlan(plan);

    // Assess
    expect(rows.map((r) => r.label)).toEqual([
      "1. pre-sync",
      "2. wave 0",
      "3. wave 1",
      "4. post-sync",
      "on failure",
      "skipped",
    ]);
    expect(rows[0]?.objects).toEqual(["Job.batch migrate (Argo CD hook; delete: before-hook-creation)"]);
    expect(rows[1]?.objects).toEqual(["ConfigMap db-config"]);
    expect(rows[2]?.objects).toEqual(["Deployment.apps app", "then prune what left Git"]);
    expect(rows[4]?.objects).toEqual(["Job.batch page (pullbridge hook; delete: before-hook-creation)"]);
    expect(rows[5]?.objects[0]).toMatch(
      /^skipped Job\.batch check \(deploy\/app\.yaml:51\): helm\.sh\/hook: test/,
    );
  });

  it("renders the same rows as Markdown for a preview's check run", () => {
    // Prepare
    const plan = planLifecycle({
      sha: SHA,
      release: "install",
      hooks: true,
      desired: desired(aDeployment("app"), aJob("migrate", { "pullbridge.dev/hook": "pre-sync" })),
    });

    // Act
    const text = formatPlanMarkdown(plan);

    // Assess
    expect(text).toBe(
      [
        "### Order of the sync",
        "",
        "- **1. pre-sync**: `Job.batch migrate (pullbridge hook; delete: before-hook-creation)`",
        "- **2. apply**: `Deployment.apps app`, `then prune what left Git`",
      ].join("\n"),
    );
  });
});
