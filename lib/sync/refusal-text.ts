/**
 * What a person reads when the server refuses an object: the one-line reason, the whole-set
 * dry-run refusal (first object, how many more, nothing applied), and a field conflict on write.
 */
import { ClusterError, SyncRefusedError } from "../errors.ts";
import { describeObject } from "../manifests/kube-object.ts";
import type { PlannedObject } from "./compute-desired-set.ts";
import type { Settled } from "./run-bounded.ts";

/** `conflict with "kubectl" on .data.key` — the part of a 409 a human needs. */
function describeConflict(error: ClusterError): string {
  const fields = error.causes
    .filter((c) => c.type === "FieldManagerConflict" || c.message.startsWith("conflict with"))
    .map((c) => `${c.message}${c.field ? ` on ${c.field}` : ""}`);
  return fields.length > 0 ? fields.join("; ") : error.message;
}

/** One line naming why the server refused an object. */
export function refusalReason(error: unknown): string {
  if (error instanceof ClusterError) {
    if (error.status === 409 && error.reason === "Conflict" && error.causes.length > 0) {
      return `field conflict: ${describeConflict(error)} (set forceConflicts: true on the target to take ownership)`;
    }
    return error.message.replace(/^[^:]*: /, "");
  }
  return error instanceof Error ? error.message : String(error);
}

/** `manifests/app.yaml:3:1` */
export function sourceOf(planned: PlannedObject): string {
  return `${planned.source.file}:${planned.source.line}:${planned.source.column}`;
}

/** One dry-run's object and how it settled (undefined: never sent); only failures are read. */
export type DryRunAnswer = {
  planned: PlannedObject;
  settled: Settled<unknown> | undefined;
};

/**
 * Throws a SyncRefusedError naming the first refused object (and how many more) after a dry-run
 * pass; rethrows a transient or unknown failure as is, so the job retries. `when` qualifies a
 * deferred pass ("after creating the CustomResourceDefinitions / Namespaces it depends on"); that
 * pass runs after writes began, so its caller says what was written instead of "nothing was applied".
 */
export function throwIfRefused(answers: readonly DryRunAnswer[], when?: string): void {
  const failed = answers.filter((r) => r.settled && !r.settled.ok);
  const first = failed[0];
  if (!first?.settled || first.settled.ok) return;
  const error = first.settled.error;
  // Transient failures are not a verdict on the manifests: let the job retry.
  if (error instanceof ClusterError && error.retryable) throw error;
  if (!(error instanceof ClusterError)) throw error;
  const more = failed.length > 1 ? ` (and ${failed.length - 1} more)` : "";
  const object = describeObject(first.planned.object);
  const refusals = failed.flatMap((r) =>
    r.settled && !r.settled.ok && r.settled.error instanceof ClusterError
      ? [
          {
            object: describeObject(r.planned.object),
            source: r.planned.source,
            reason: refusalReason(r.settled.error),
          },
        ]
      : [],
  );
  throw new SyncRefusedError(
    `server-side dry-run refused ${object} (${sourceOf(first.planned)})${when ? ` ${when}` : ""}: ${refusalReason(error)}${more}${when ? "" : "; nothing was applied"}`,
    { object, source: first.planned.source, refusals, cause: error },
  );
}

/** A field conflict at write time (another applier got in after the dry-run): permanent, naming file and fields. */
export function conflictOnWrite(error: unknown, planned: PlannedObject): unknown {
  if (!(error instanceof ClusterError && error.status === 409 && error.reason === "Conflict")) return error;
  return new ClusterError(
    `${describeObject(planned.object)} (${sourceOf(planned)}): ${refusalReason(error)}`,
    {
      retryable: false,
      status: 409,
      object: describeObject(planned.object),
      reason: error.reason,
      causes: error.causes,
      cause: error,
    },
  );
}
