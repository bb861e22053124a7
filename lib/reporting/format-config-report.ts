/**
 * What a config job posts on the config commit (`pullbridge/config`): one status line ("42
 * targets: 3 added, 1 changed, 1 removed") and a check run listing every target — where it comes
 * from, what it syncs, what changed — and every problem at `file:line`. Pure.
 */
import type { ConfigChange } from "../config/diff-config.ts";
import { targetIdentity } from "../config/diff-config.ts";
import type { ExpandedTarget, TargetOrigin } from "../config/expand-config.ts";
import type { Target } from "../config/targets.ts";
import type { ConfigProblem } from "../errors.ts";
import { formatConfigProblem } from "../errors.ts";
import type { ReportAnnotation } from "./commit-reporter.ts";

/** Check runs take at most 65,535 characters of summary; this leaves room for the problems. */
const MAX_TARGET_ROWS = 500;

const cell = (text: string) => text.replaceAll("|", "\\|").replaceAll("\n", " ");

/** `pullbridge/apps.yaml:12`, or `generator fleet (apps/web/overlays/prod) in pullbridge/fleet.yaml:30`. */
export function formatOrigin(origin: TargetOrigin | undefined): string {
  if (origin === undefined) return "";
  const where = `${origin.file}:${origin.line ?? 0}`;
  return origin.generator === undefined
    ? where
    : `generator ${origin.generator} (${origin.source ?? ""}) in ${where}`;
}

/** Markdown table of every target of the new config, with what changed about each. */
export function formatConfigTargets(targets: readonly ExpandedTarget[], change: ConfigChange): string {
  const added = new Set(change.added.map(targetIdentity));
  const changed = new Map(change.changed.map((c) => [targetIdentity(c.after), c.before]));
  const rows = targets.slice(0, MAX_TARGET_ROWS).map(({ target, origin }) => {
    const id = targetIdentity(target);
    const before = changed.get(id);
    const what = added.has(id)
      ? "added"
      : before === undefined
        ? ""
        : before.name === target.name
          ? "changed"
          : `renamed from ${before.name}`;
    const source = `${target.repo}@${target.branch}:${target.path}`;
    return `| ${cell(target.name)} | ${cell(target.project ?? "")} | ${cell(`${target.cluster}/${target.namespace}`)} | ${cell(source)} | ${cell(formatOrigin(origin))} | ${what} |`;
  });
  const more =
    targets.length > MAX_TARGET_ROWS ? `\n\n… and ${targets.length - MAX_TARGET_ROWS} more targets.` : "";
  return (
    [
      "| target | project | cluster/namespace | source | defined in | change |",
      "|---|---|---|---|---|---|",
      ...rows,
    ].join("\n") + more
  );
}

/** What happens to each removed target: pruned (its entry said `pruneOnRemove: true`) or left in place. */
export function formatRemoved(removed: readonly Target[]): string {
  if (removed.length === 0) return "";
  const lines = removed.map((t) =>
    t.pruneOnRemove
      ? `- ${t.name} (${t.cluster}/${t.namespace}): **pruned** — its objects are deleted (\`pruneOnRemove: true\`)`
      : `- ${t.name} (${t.cluster}/${t.namespace}): its objects are **left in place** (no longer synced; set \`pruneOnRemove: true\` before removing a target to delete them)`,
  );
  return ["### Removed", "", ...lines].join("\n");
}

/** The status line's removal note: "(1 pruned, 1 left in place)". */
export function formatRemovedNote(removed: readonly Target[]): string {
  if (removed.length === 0) return "";
  const pruned = removed.filter((t) => t.pruneOnRemove).length;
  const kept = removed.length - pruned;
  return ` (${[pruned > 0 ? `${pruned} pruned` : "", kept > 0 ? `${kept} left in place` : ""].filter(Boolean).join(", ")})`;
}

/** Problems as a Markdown list (`file:line: field: reason`). */
export function formatConfigProblems(problems: readonly ConfigProblem[]): string {
  return ["### Problems", "", ...problems.map((p) => `- ${formatConfigProblem(p)}`)].join("\n");
}

/** Check-run annotations for problems that have a line. */
export function configAnnotations(problems: readonly ConfigProblem[]): ReportAnnotation[] {
  return problems.flatMap((p) =>
    p.location?.line === undefined
      ? []
      : [
          {
            path: p.location.file,
            line: p.location.line,
            ...(p.location.column === undefined ? {} : { column: p.location.column }),
            level: "failure" as const,
            ...(p.field === undefined ? {} : { title: p.field }),
            message: p.reason,
          },
        ],
  );
}
