/** The one-line progress of a long sync (`pullbridge sync`), e.g. `applying… 120 dry-run, 35 applied, 2 pruned (12s)`. */
import type { SyncProgress } from "../app/sync-command.ts";

const VERB = {
  read: "reading live state",
  "dry-run": "dry-running every change",
  apply: "applying",
  prune: "pruning",
  record: "recording the ApplySet parent",
} as const;

/** A progress line without colour or carriage return. */
export function formatProgress(progress: SyncProgress, elapsedMs: number): string {
  const parts = [`${progress.reads} read`];
  if (progress.dryRuns > 0) parts.push(`${progress.dryRuns} dry-run`);
  if (progress.applied > 0) parts.push(`${progress.applied} applied`);
  if (progress.pruned > 0) parts.push(`${progress.pruned} pruned`);
  return `${VERB[progress.phase]}… ${parts.join(", ")} (${Math.round(elapsedMs / 1000)}s)`;
}
