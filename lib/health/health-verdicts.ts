/**
 * Durable health verdicts: the health consumer records each final verdict of a sync under
 * `verdicts/<target>/<sha>.json` in the state bucket (its own key prefix, its only write), and the
 * worker reads them to decide whether a target's `dependsOn` are healthy. A verdict names the sync
 * it judged by the time that sync recorded on the ApplySet parent, so a verdict of an earlier sync
 * of the same commit is never taken for the current one.
 */
import * as z from "zod";
import { jsonDocument } from "../state/json-document.ts";
import type { ObjectStore } from "../state/object-store.ts";

/** The key prefix the health consumer alone writes. */
export const VERDICTS_PREFIX = "verdicts/";

const verdictSchema = z.object({
  v: z.literal(1),
  target: z.string().min(1),
  sha: z.string().regex(/^[0-9a-f]{40}$/),
  verdict: z.enum(["healthy", "failed", "timed-out"]),
  /** The status description posted with the verdict (the reason a dependent's failure repeats). */
  description: z.string().max(400),
  /** `pullbridge.dev/last-sync-time` of the sync judged, as the parent said when the verdict was reached. */
  syncedAt: z.string().optional(),
  /** When the verdict was reached (ISO 8601). */
  at: z.iso.datetime({ offset: true }),
});

export type HealthVerdictRecord = z.infer<typeof verdictSchema>;

function keyOf(target: string, sha: string): string {
  return `${VERDICTS_PREFIX}${target}/${sha}.json`;
}

/**
 * Records a verdict (compare-and-swap): a verdict reached earlier than the one already recorded
 * (a slow check finishing late) never replaces it.
 */
export async function recordVerdict(store: ObjectStore, verdict: HealthVerdictRecord): Promise<void> {
  await jsonDocument(store, keyOf(verdict.target, verdict.sha), verdictSchema).update((current) =>
    current && Date.parse(current.at) > Date.parse(verdict.at) ? undefined : verdict,
  );
}

/** The recorded verdict of `target` at `sha`, or undefined when none was recorded. */
export async function readVerdict(
  store: ObjectStore,
  target: string,
  sha: string,
  options: { signal?: AbortSignal | undefined } = {},
): Promise<HealthVerdictRecord | undefined> {
  const read = await jsonDocument(store, keyOf(target, sha), verdictSchema).read(options);
  return read.kind === "found" ? read.value : undefined;
}
