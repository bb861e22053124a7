/**
 * What a health check says on the commit: one-line status descriptions (≤ 140 characters) and the
 * check run's per-object health table. Pure.
 */
import { formatDuration } from "../reporting/format-description.ts";
import { STATUS_DESCRIPTION_LIMIT, truncateLine } from "../reporting/format-text.ts";
import type { ObjectHealthRow } from "./assess-health.ts";
import { HealthStatus } from "./health-status.ts";

/** `Deployment web`, or `Deployment other-ns/web` outside the target's namespace. */
function formatSubject(row: ObjectHealthRow, defaultNamespace: string): string {
  const ns = row.subject.namespace;
  return `${row.subject.kind} ${ns && ns !== defaultNamespace ? `${ns}/` : ""}${row.subject.name}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** As many `what` items as fit in 140 characters after `prefix`, then `(+N more)`. */
function fitList(prefix: string, items: readonly string[], suffix = ""): string {
  let shown = items.length;
  const render = (n: number) => {
    const rest = items.length - n;
    return `${prefix}${items.slice(0, n).join("; ")}${rest > 0 ? ` (+${rest} more)` : ""}${suffix}`;
  };
  while (shown > 1 && render(shown).length > STATUS_DESCRIPTION_LIMIT) shown -= 1;
  return truncateLine(render(shown));
}

function notReady(rows: readonly ObjectHealthRow[]): ObjectHealthRow[] {
  return rows.filter((r) => r.health.status !== HealthStatus.Current);
}

/** `applied 12 objects; waiting for 3 (Deployment web 1/3 ready; Job migrate 0/1 completed)`. */
export function formatWaitingDescription(options: {
  applied: number;
  rows: readonly ObjectHealthRow[];
  defaultNamespace: string;
}): string {
  const waiting = notReady(options.rows);
  const items = waiting.map((r) => `${formatSubject(r, options.defaultNamespace)} ${r.health.message}`);
  return fitList(`applied ${plural(options.applied, "object")}; waiting for ${waiting.length} (`, items, ")");
}

/** `12 objects healthy in 34.2s` — time from the end of the apply to the check that saw every object Current. */
export function formatHealthyDescription(options: { objects: number; timeToHealthyMs: number }): string {
  return truncateLine(
    `${plural(options.objects, "object")} healthy in ${formatDuration(options.timeToHealthyMs)}`,
  );
}

/** `Deployment web: 1/3 ready, pod web-7f9c…: ImagePullBackOff "…"` — the failed objects and their reasons. */
export function formatFailedDescription(options: {
  rows: readonly ObjectHealthRow[];
  defaultNamespace: string;
}): string {
  const failed = options.rows.filter((r) => r.health.status === HealthStatus.Failed);
  return fitList(
    "",
    failed.map((r) => `${formatSubject(r, options.defaultNamespace)}: ${r.health.message}`),
  );
}

/** `not healthy after 5m 0s: Deployment web 1/3 ready; …` — what was not ready at the target's deadline. */
export function formatTimeoutDescription(options: {
  rows: readonly ObjectHealthRow[];
  timeoutSeconds: number;
  defaultNamespace: string;
}): string {
  const waiting = notReady(options.rows);
  return fitList(
    `not healthy after ${formatDuration(options.timeoutSeconds * 1000)}: `,
    waiting.map((r) => `${formatSubject(r, options.defaultNamespace)} ${r.health.message}`),
  );
}

const ICON: Record<string, string> = {
  [HealthStatus.Current]: "✅",
  [HealthStatus.InProgress]: "⏳",
  [HealthStatus.Failed]: "❌",
  [HealthStatus.Terminating]: "🗑️",
  [HealthStatus.NotFound]: "❔",
};

function cell(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll("\n", " ");
}

/** The check run's per-object health table (Markdown), unhealthy objects first. */
export function formatHealthTable(rows: readonly ObjectHealthRow[]): string {
  const order = [
    HealthStatus.Failed,
    HealthStatus.InProgress,
    HealthStatus.NotFound,
    HealthStatus.Terminating,
    HealthStatus.Current,
  ];
  const sorted = [...rows].sort((a, b) => order.indexOf(a.health.status) - order.indexOf(b.health.status));
  const lines = ["| object | health | details |", "| --- | --- | --- |"];
  for (const r of sorted) {
    const ns = r.subject.namespace ? `${r.subject.namespace}/` : "";
    lines.push(
      `| \`${cell(`${r.groupKind} ${ns}${r.subject.name}`)}\` | ${ICON[r.health.status] ?? ""} ${r.health.status} | ${cell(r.health.message)} |`,
    );
  }
  return lines.join("\n");
}
