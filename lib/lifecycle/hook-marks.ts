/** How pullbridge marks the hook objects it creates (lib/sync/phase-hooks.ts), so anything can find them. */

/** Labels and annotations pullbridge puts on every hook object it creates. */
export const HookMark = {
  /** Label: the target whose hook this is (how cleanup and health checks find hooks). */
  target: "pullbridge.dev/hook-of",
  /** Annotation: the run that created it (a retried step of the same run finds its own object). */
  run: "pullbridge.dev/hook-run",
  /** Annotation: the phase it ran in. */
  phase: "pullbridge.dev/hook-phase",
  /** Annotation: the delete policies in effect (Helm's and Argo CD's spellings, normalised). */
  deletePolicy: "pullbridge.dev/hook-cleanup",
} as const;
