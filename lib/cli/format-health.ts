/**
 * How the CLI prints health: the live progress line of `sync --wait` (like `kubectl rollout
 * status`), the per-object health table of `sync --wait` and `status`, and their JSON shapes.
 */
import type { HealthWaitResult } from "../app/wait-for-health.ts";
import type { HealthAssessment, ObjectHealthRow } from "../health/assess-health.ts";
import { HealthStatus } from "../health/health-status.ts";
import { formatDuration } from "../reporting/format-description.ts";
import { formatTable } from "./format-table.ts";
import type { Palette } from "./palette.ts";

/** A terminal line longer than this wraps, and a wrapped line cannot be rewritten in place. */
const PROGRESS_WIDTH = 150;

const ORDER: readonly string[] = [
  HealthStatus.Failed,
  HealthStatus.InProgress,
  HealthStatus.NotFound,
  HealthStatus.Terminating,
  HealthStatus.Current,
];

function objectOf(row: ObjectHealthRow): string {
  const ns = row.subject.namespace ? `${row.subject.namespace}/` : "";
  return `${row.groupKind} ${ns}${row.subject.name}`;
}

/** `waiting for 2 of 3 objects: Deployment web 1/3 ready; Job migrate 0/1 completed (4s)`. */
export function formatHealthProgress(rows: readonly ObjectHealthRow[], elapsedMs: number): string {
  const waiting = rows.filter((r) => r.health.status !== HealthStatus.Current);
  const prefix = `waiting for ${waiting.length} of ${rows.length} object${rows.length === 1 ? "" : "s"}: `;
  const suffix = ` (${Math.round(elapsedMs / 1000)}s)`;
  const items = waiting.map((r) => `${r.subject.kind} ${r.subject.name} ${r.health.message}`);
  let shown = items.length;
  const render = (n: number) =>
    `${prefix}${items.slice(0, n).join("; ")}${n < items.length ? ` (+${items.length - n} more)` : ""}${suffix}`;
  while (shown > 1 && render(shown).length > PROGRESS_WIDTH) shown -= 1;
  const line = render(shown);
  return line.length > PROGRESS_WIDTH ? `${line.slice(0, PROGRESS_WIDTH - 1)}…` : line;
}

function colourStatus(status: string, p: Palette): string {
  if (status === HealthStatus.Current) return p.green(status);
  if (status === HealthStatus.Failed) return p.red(status);
  return p.yellow(status);
}

/** The per-object table (unhealthy first), full messages: `OBJECT  HEALTH  MESSAGE`. */
export function formatHealthRows(rows: readonly ObjectHealthRow[], p: Palette, indent = ""): string {
  const sorted = [...rows].sort(
    (a, b) =>
      ORDER.indexOf(a.health.status) - ORDER.indexOf(b.health.status) ||
      objectOf(a).localeCompare(objectOf(b)),
  );
  return formatTable(
    ["OBJECT", "HEALTH", "MESSAGE"],
    sorted.map((r) => [
      objectOf(r),
      colourStatus(r.health.status, p),
      r.health.message.replaceAll("\n", " "),
    ]),
  )
    .split("\n")
    .map((line) => `${indent}${line}`)
    .join("\n");
}

/** A target's health in one word for the status table: `healthy`, `progressing`, `failed`. */
export function healthWord(assessment: HealthAssessment): string {
  if (assessment.verdict === "current") return "healthy";
  if (assessment.verdict === "failed") return "failed";
  return "progressing";
}

/** What `sync --wait` prints at the end: the verdict line (stdout when healthy, stderr otherwise) and the table. */
export function formatHealthWaitResult(
  result: HealthWaitResult,
  options: { timeoutSeconds: number; p: Palette },
): { verdict: string; table: string } {
  const { p } = options;
  const rows = result.assessment.rows;
  const table = rows.length > 0 ? formatHealthRows(rows, p) : "";
  if (result.outcome === "healthy") {
    const what = rows.length === 0 ? "nothing to wait for" : `healthy in ${formatDuration(result.elapsedMs)}`;
    return { verdict: p.green(`Healthy: ${result.applied} objects applied, ${what}.`), table };
  }
  const unhealthy = rows.filter((r) =>
    result.outcome === "failed"
      ? r.health.status === HealthStatus.Failed
      : r.health.status !== HealthStatus.Current,
  );
  const reasons = unhealthy.map((r) => `${r.subject.kind} ${r.subject.name}: ${r.health.message}`).join("; ");
  const verdict =
    result.outcome === "failed"
      ? `error: not healthy (failed after ${formatDuration(result.elapsedMs)}): ${reasons}`
      : `error: not healthy after ${formatDuration(options.timeoutSeconds * 1000)} (--timeout): ${reasons}`;
  return { verdict, table };
}

/** The `health` member of `sync --wait --output json`. */
export function healthWaitJson(result: HealthWaitResult, timeoutSeconds: number) {
  return {
    outcome: result.outcome,
    timeoutSeconds,
    elapsedMs: result.elapsedMs,
    checks: result.checks,
    objects: healthRowsJson(result.assessment.rows),
  };
}

/** Per-object health as JSON: `{object, groupKind, namespace, name, status, message}`. */
export function healthRowsJson(rows: readonly ObjectHealthRow[]) {
  return rows.map((r) => ({
    object: objectOf(r),
    groupKind: r.groupKind,
    namespace: r.subject.namespace ?? null,
    name: r.subject.name,
    status: r.health.status,
    message: r.health.message,
  }));
}
