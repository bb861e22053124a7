/**
 * One-line commit status descriptions ("3 created, 1 updated, 2 pruned in 1.8s",
 * "superseded by abc1234", "drift detected: …"), always within GitHub's 140 characters.
 */
import { STATUS_DESCRIPTION_LIMIT, truncateLine } from "./format-text.ts";

/** How many objects a sync or preview touched, by outcome. */
export type OutcomeCounts = { created: number; updated: number; pruned: number; unchanged: number };

/** `0.4s`, `1.8s`, `12.0s`, `2m 5s`. */
export function formatDuration(ms: number): string {
  const safe = Math.max(0, ms);
  if (safe < 60_000) return `${(safe / 1000).toFixed(1)}s`;
  const totalSeconds = Math.round(safe / 1000);
  return `${Math.floor(totalSeconds / 60)}m ${totalSeconds % 60}s`;
}

/** `3 created, 1 updated, 2 pruned in 1.8s`; `no changes (40 unchanged) in 0.4s` when nothing changed. */
export function formatSyncDescription(counts: OutcomeCounts, durationMs: number): string {
  const parts = [
    counts.created > 0 ? `${counts.created} created` : "",
    counts.updated > 0 ? `${counts.updated} updated` : "",
    counts.pruned > 0 ? `${counts.pruned} pruned` : "",
  ].filter((part) => part !== "");
  const what = parts.length > 0 ? parts.join(", ") : `no changes (${counts.unchanged} unchanged)`;
  return truncateLine(`${what} in ${formatDuration(durationMs)}`);
}

/** Preview title: `+3 ~1 -2, 40 unchanged`. */
export function formatPreviewTitle(counts: OutcomeCounts): string {
  return `+${counts.created} ~${counts.updated} -${counts.pruned}, ${counts.unchanged} unchanged`;
}

/** `superseded by abc1234` — the older commit's status when a newer head was synced instead. */
export function formatSupersededDescription(headSha: string): string {
  return `superseded by ${headSha.slice(0, 7)}`;
}

/**
 * `drift detected: Deployment.apps team-a/web, ConfigMap team-a/cfg (+3 more)`: as many object
 * names as fit in 140 characters, then a count of the rest.
 */
export function formatDriftDescription(objects: readonly string[]): string {
  const prefix = "drift detected: ";
  if (objects.length === 0) return "drift detected";
  let shown = objects.length;
  const render = (n: number) => {
    const rest = objects.length - n;
    return `${prefix}${objects.slice(0, n).join(", ")}${rest > 0 ? ` (+${rest} more)` : ""}`;
  };
  while (shown > 1 && render(shown).length > STATUS_DESCRIPTION_LIMIT) shown -= 1;
  return truncateLine(render(shown));
}

/** A failure's first line, as a status description (the full message belongs in the check run). */
export function formatFailureDescription(message: string): string {
  const firstLine = message.split("\n", 1)[0] ?? "";
  return truncateLine(firstLine);
}
