/** `pullbridge targets expand` output: every target with the generator and source behind it, or the problems. */
import type { ExpandedConfig } from "../config/expand-config.ts";
import { formatConfigProblem } from "../errors.ts";
import { formatOrigin } from "../reporting/format-config-report.ts";
import { formatTable } from "./format-table.ts";

/** The table of expanded targets and one line per pull-request generator. */
export function formatExpandedTargets(result: ExpandedConfig): string {
  const table = formatTable(
    ["TARGET", "PROJECT", "CLUSTER", "NAMESPACE", "SOURCE", "DEFINED BY"],
    result.targets.map(({ target, origin }) => [
      target.name,
      target.project ?? "",
      target.cluster,
      target.namespace,
      `${target.repo}@${target.branch}:${target.path}`,
      formatOrigin(origin),
    ]),
  );
  const previews = result.pullRequestGenerators.map(
    (g) =>
      `${g.name}: one preview environment per open pull request of ${g.spec.repo} into ${g.spec.branch} labelled "${g.spec.label}" (project ${g.project}; removed on close or after ${g.spec.ttlHours} h without a push) — ${g.origin.file}:${g.origin.line ?? 0}`,
  );
  return [
    `${result.targets.length} target(s)`,
    "",
    table,
    ...(previews.length > 0 ? ["", "Pull-request generators:", ...previews.map((line) => `  ${line}`)] : []),
  ].join("\n");
}

/** One `file:line:col: field: reason` line per problem. */
export function formatExpandProblems(result: ExpandedConfig): string[] {
  return result.problems.map(formatConfigProblem);
}
