/**
 * A commit's steps in the order a sync runs them — what previews, `pullbridge diff` and the docs
 * show: each step's name and objects, the sync-fail hooks, and the objects left out. Pure.
 */
import { describeObject } from "../manifests/kube-object.ts";
import { waveOf } from "./lifecycle-annotations.ts";
import { describeStep, type HookObject, type LifecyclePlan } from "./plan-lifecycle.ts";

/** One line of the order: a step (or the sync-fail hooks, or what is skipped) and its objects. */
export type PlanRow = { label: string; objects: string[] };

const DIALECT = { pullbridge: "pullbridge", argocd: "Argo CD", helm: "Helm" } as const;

function hookText(hook: HookObject): string {
  const policies = hook.deletePolicies.join(", ");
  return `${describeObject(hook.object)} (${DIALECT[hook.dialect]} hook; delete: ${policies})`;
}

/** The plan as rows: steps in order (prune noted on the last wave), then sync-fail hooks and skipped objects. */
export function describePlan(plan: LifecyclePlan): PlanRow[] {
  const rows: PlanRow[] = plan.steps.map((step, i) => {
    const label = `${i + 1}. ${describeStep(plan, i)}`;
    if (step.kind === "hooks") return { label, objects: step.hooks.map(hookText) };
    const members = plan.members
      .filter((m) => waveOf(m.object) === step.wave)
      .map((m) => describeObject(m.object));
    return {
      label,
      objects: [...members, ...step.hooks.map(hookText), ...(step.last ? ["then prune what left Git"] : [])],
    };
  });
  if (plan.syncFail.length > 0) rows.push({ label: "on failure", objects: plan.syncFail.map(hookText) });
  if (plan.notes.length > 0) rows.push({ label: "skipped", objects: [...plan.notes] });
  return rows;
}

/** The order as Markdown (a preview's check run). */
export function formatPlanMarkdown(plan: LifecyclePlan): string {
  const lines = describePlan(plan).map(
    (row) =>
      `- **${row.label}**: ${row.objects.length > 0 ? row.objects.map((o) => `\`${o}\``).join(", ") : "nothing"}`,
  );
  return `### Order of the sync\n\n${lines.join("\n")}`;
}
