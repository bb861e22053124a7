/**
 * Where a multi-step sync stands, as recorded on the target's ApplySet parent
 * (`pullbridge.dev/lifecycle`): which run of which commit owns the target, which step it reached,
 * and where its hook objects may be. The steps themselves travel in queue messages; the cursor is
 * what lets any of them (and the health consumer, and drift checks) see that a newer run took
 * over, or that a run is still going. Pure.
 */
import * as z from "zod";
import type { ReleaseMode } from "./lifecycle-annotations.ts";

/** The annotation on the ApplySet parent that holds the cursor (compact JSON). */
export const LIFECYCLE_ANNOTATION = "pullbridge.dev/lifecycle";

const cursorSchema = z.object({
  /** The run: one per sync job that started a sequence (its retries share it). */
  run: z.string().min(1).max(64),
  /** The commit (or, for the CLI, the revision it describes the checkout with). */
  sha: z.string().min(1).max(100),
  /** The step last started (0-based). */
  step: z.number().int().nonnegative(),
  steps: z.number().int().positive(),
  state: z.enum(["running", "succeeded", "failed"]),
  startedAt: z.iso.datetime({ offset: true }),
  /** After this a `running` run is considered abandoned (its health checks gave up or were lost). */
  deadline: z.iso.datetime({ offset: true }),
  release: z.enum(["install", "upgrade"]).optional(),
  /** Group-kinds and namespaces that may hold this target's hook objects (cleanup finds them there). */
  hooks: z
    .object({ groupKinds: z.array(z.string()), namespaces: z.array(z.string()) })
    .default({ groupKinds: [], namespaces: [] }),
});

export type LifecycleCursor = z.infer<typeof cursorSchema>;
export type LifecycleCursorInput = z.input<typeof cursorSchema>;

/** The cursor an annotation holds, or undefined when there is none or it cannot be read (then it is ignored). */
export function parseLifecycleCursor(text: string | undefined): LifecycleCursor | undefined {
  if (text === undefined || text === "") return undefined;
  try {
    const parsed = cursorSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The annotation's text for a cursor. */
export function formatLifecycleCursor(cursor: LifecycleCursorInput): string {
  return JSON.stringify(cursorSchema.parse(cursor));
}

/** A run that is still going: started, not finished, not past its deadline. */
export function runInProgress(cursor: LifecycleCursor | undefined, now: Date): cursor is LifecycleCursor {
  return cursor !== undefined && cursor.state === "running" && now.getTime() < Date.parse(cursor.deadline);
}

/** Union of hook locations (the cursor keeps every place a hook was ever created until cleanup). */
export function mergeHookLocations(
  a: LifecycleCursor["hooks"] | undefined,
  b: LifecycleCursor["hooks"] | undefined,
): LifecycleCursor["hooks"] {
  const sorted = (values: Iterable<string>) => [...new Set(values)].sort();
  return {
    groupKinds: sorted([...(a?.groupKinds ?? []), ...(b?.groupKinds ?? [])]),
    namespaces: sorted([...(a?.namespaces ?? []), ...(b?.namespaces ?? [])]),
  };
}

/** Helm's install vs upgrade from what the parent records: the first sync that completed makes it an upgrade. */
export function releaseModeOf(inventory: { lastSync?: unknown }): ReleaseMode {
  return inventory.lastSync === undefined ? "install" : "upgrade";
}
