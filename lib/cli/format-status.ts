/** How `pullbridge status` prints target states: a table, or the `--output json` document. */
import type { TargetStatus } from "../app/status-command.ts";
import { formatHealthRows, healthRowsJson, healthWord } from "./format-health.ts";
import { formatTable } from "./format-table.ts";
import type { Palette } from "./palette.ts";

/** `42s`, `5m`, `3h`, `2d` — kubectl's AGE column. */
export function formatAge(fromIso: string, now: Date): string {
  const ms = now.getTime() - Date.parse(fromIso);
  if (!Number.isFinite(ms)) return "?";
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172_800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

function revisionOf(sha: string): string {
  return /^[0-9a-f]{40}/.test(sha) ? sha.slice(0, 7) + sha.slice(40) : sha;
}

function healthCell(s: TargetStatus, p: Palette): string {
  if (!s.health) return "-";
  if ("error" in s.health) return p.red("unknown");
  const a = s.health.assessment;
  if (a.rows.length === 0) return "-";
  const word = healthWord(a);
  return word === "healthy" ? p.green(word) : word === "failed" ? p.red(word) : p.yellow(word);
}

/** The status table, then each target's objects and their health; errors are listed below, one line each. */
export function formatStatusTable(statuses: readonly TargetStatus[], now: Date, p: Palette): string {
  if (statuses.length === 0) return "No pullbridge targets found.";
  const rows = statuses.map((s) => {
    const state =
      s.state === "synced" ? p.green(s.state) : s.state === "error" ? p.red(s.state) : p.yellow(s.state);
    const c = s.lastSync?.counts;
    return [
      s.target,
      s.namespace,
      state,
      s.lastSync ? revisionOf(s.lastSync.sha) : "-",
      s.lastSync?.time ?? "-",
      s.lastSync ? formatAge(s.lastSync.time, now) : "-",
      c ? `+${c.created} ~${c.updated} -${c.pruned} =${c.unchanged}` : "-",
      healthCell(s, p),
      s.groupKinds.length > 0 ? s.groupKinds.join(",") : "-",
    ];
  });
  const lines = [
    formatTable(
      ["TARGET", "NAMESPACE", "STATE", "REVISION", "SYNCED AT", "AGE", "LAST CHANGES", "HEALTH", "KINDS"],
      rows,
    ),
  ];
  for (const s of statuses) {
    if (!s.health || "error" in s.health || s.health.assessment.rows.length === 0) continue;
    lines.push("", `${s.target} (${s.namespace}):`, formatHealthRows(s.health.assessment.rows, p, "  "));
  }
  const deployments = statuses.flatMap((s) => {
    const d = s.deployment;
    if (d === undefined || "error" in d) return [];
    const state = d.state ?? "created";
    const coloured =
      state === "success"
        ? p.green(state)
        : state === "failure" || state === "error"
          ? p.red(state)
          : p.yellow(state);
    const when = d.updatedAt ?? d.createdAt;
    const text = d.description ? `: ${d.description}` : "";
    const url = d.environmentUrl ? ` ${d.environmentUrl}` : "";
    return [
      `  ${s.target}: #${d.id} ${d.environment} ${revisionOf(d.sha)} ${coloured} ${formatAge(when, now)} ago${text}${url}`,
    ];
  });
  if (deployments.length > 0) lines.push("", "Last GitHub deployment:", ...deployments);
  for (const s of statuses) if (s.error) lines.push(p.red(`error: ${s.target}: ${s.error}`));
  for (const s of statuses)
    if (s.deployment && "error" in s.deployment)
      lines.push(p.red(`error: ${s.target}: deployment: ${s.deployment.error}`));
  for (const s of statuses)
    if (s.health && "error" in s.health) lines.push(p.red(`error: ${s.target}: health: ${s.health.error}`));
  return lines.join("\n");
}

/** The `--output json` document of `status`. */
export function statusJson(statuses: readonly TargetStatus[]) {
  return {
    targets: statuses.map((s) => ({
      target: s.target,
      namespace: s.namespace,
      parent: s.parent,
      state: s.state,
      applySetId: s.applySetId ?? null,
      lastSync: s.lastSync
        ? { sha: s.lastSync.sha, time: s.lastSync.time, counts: s.lastSync.counts ?? null }
        : null,
      groupKinds: s.groupKinds,
      additionalNamespaces: s.additionalNamespaces,
      health: !s.health
        ? null
        : "error" in s.health
          ? { verdict: null, objects: [], error: s.health.error }
          : {
              verdict: s.health.assessment.rows.length === 0 ? null : healthWord(s.health.assessment),
              objects: healthRowsJson(s.health.assessment.rows),
              error: null,
            },
      deployment: !s.deployment
        ? null
        : "error" in s.deployment
          ? { error: s.deployment.error }
          : {
              id: s.deployment.id,
              environment: s.deployment.environment,
              sha: s.deployment.sha,
              state: s.deployment.state ?? null,
              description: s.deployment.description ?? null,
              createdAt: s.deployment.createdAt,
              updatedAt: s.deployment.updatedAt ?? null,
              logUrl: s.deployment.logUrl ?? null,
              environmentUrl: s.deployment.environmentUrl ?? null,
            },
      error: s.error ?? null,
    })),
  };
}
