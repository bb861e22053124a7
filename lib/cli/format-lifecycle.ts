/** Terminal text for multi-step syncs: the order a `diff` shows, and each step a `sync` runs. */
import type { LifecycleStepEvent } from "../app/sync-command.ts";
import { describePlan } from "../lifecycle/describe-plan.ts";
import type { LifecyclePlan } from "../lifecycle/plan-lifecycle.ts";
import { formatDuration } from "../reporting/format-description.ts";
import type { Palette } from "./palette.ts";

/** `Order:` then one line per step with its objects. */
export function formatLifecyclePlan(plan: LifecyclePlan, p: Palette): string {
  const rows = describePlan(plan);
  const width = Math.max(...rows.map((r) => r.label.length));
  return [
    p.bold("Order:"),
    ...rows.map(
      (r) => `  ${r.label.padEnd(width)}  ${r.objects.length > 0 ? r.objects.join(", ") : p.dim("nothing")}`,
    ),
  ].join("\n");
}

/** `step 2/4 wave 0: applied 1 object — healthy in 3.2s`. */
export function formatLifecycleStep(event: LifecycleStepEvent, p: Palette): string {
  const { report } = event;
  const created = report.hooks.filter((h) => h.outcome === "created").length;
  const counts = report.result?.counts;
  const what = [
    counts
      ? `${counts.created} created, ${counts.updated} updated, ${counts.unchanged} unchanged${counts.pruned ? `, ${counts.pruned} pruned` : ""}`
      : "",
    created > 0 ? `${created} hook${created === 1 ? "" : "s"} created` : "",
    report.hooks.length > created
      ? `${report.hooks.length - created} hook${report.hooks.length - created === 1 ? "" : "s"} kept`
      : "",
  ]
    .filter((s) => s !== "")
    .join(", ");
  const health = event.health;
  const verdict =
    health === undefined
      ? p.dim("nothing to wait for")
      : health.outcome === "healthy"
        ? p.green(`healthy in ${formatDuration(health.elapsedMs)}`)
        : p.red(health.outcome === "failed" ? "failed" : "timed out");
  return `step ${event.index + 1}/${event.of} ${p.bold(event.label)}: ${what || "nothing to write"} — ${verdict}`;
}
