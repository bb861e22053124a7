/** Renders `pullbridge images plan` for people (text with a unified diff per file) and for tools (JSON). */
import { createTwoFilesPatch } from "diff";
import type { ImagesPlan } from "../app/images-plan-command.ts";
import type { Palette } from "./palette.ts";

/** Text: per repository branch, the changed fields, the commit message and the diff; then what was left alone. */
export function formatImagesPlan(plan: ImagesPlan, p: Palette): string {
  if (plan.kind === "rejected")
    return `${p.yellow("no change")}: event rejected (${plan.code}): ${plan.reason}\n`;
  const out: string[] = [`image ${plan.image}`];
  for (const job of plan.jobs) {
    const what = job.mode === "pull-request" ? "pull request against" : "commit on";
    out.push(
      "",
      `${p.bold(`${job.repo}@${job.branch}`)} — ${what} ${job.branch}, targets ${job.targets.join(", ")}: ${job.files.length === 0 ? "nothing to change" : `${job.changes.length} change(s)`}`,
    );
    for (const c of job.changes) out.push(`  ${c.file}:${c.line}  ${c.policy}  ${c.from} → ${p.green(c.to)}`);
    for (const i of job.ignored) out.push(p.dim(`  left alone: ${i.reason}`));
    if (job.files.length === 0) continue;
    out.push(
      "",
      "  commit message:",
      ...job.message
        .trimEnd()
        .split("\n")
        .map((l) => `    ${l}`),
      "",
    );
    for (const file of job.files) {
      const patch = createTwoFilesPatch(
        `a/${file.path}`,
        `b/${file.path}`,
        job.before.get(file.path) ?? "",
        file.text,
        "",
        "",
        { context: 2 },
      );
      out.push(
        ...patch
          .trimEnd()
          .split("\n")
          .slice(2)
          .map((l) => (l.startsWith("+") ? p.green(l) : l.startsWith("-") ? p.red(l) : l)),
      );
    }
  }
  return `${out.join("\n")}\n`;
}

/** JSON: the same facts, files with their text before and after. */
export function imagesPlanJson(plan: ImagesPlan): unknown {
  if (plan.kind === "rejected") return plan;
  return {
    kind: plan.kind,
    image: plan.image,
    jobs: plan.jobs.map((j) => ({
      repo: j.repo,
      branch: j.branch,
      mode: j.mode,
      targets: j.targets,
      changes: j.changes,
      ignored: j.ignored,
      message: j.message,
      files: j.files.map((f) => ({ path: f.path, before: j.before.get(f.path) ?? "", after: f.text })),
    })),
  };
}
