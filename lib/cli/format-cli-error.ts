/**
 * Errors as the CLI prints them: `error: <where>: <reason>`, one line per problem (a manifest
 * set with three mistakes prints three `file:line:col: reason` lines), never a stack trace.
 */
import {
  ClusterError,
  ConfigError,
  formatConfigProblem,
  ManifestSetError,
  PullbridgeError,
} from "../errors.ts";

/** Lines to print on stderr for `error` (each already prefixed with `error: `). */
export function formatCliError(error: unknown, context: { server?: string | undefined } = {}): string[] {
  if (error instanceof ManifestSetError) return error.errors.map((e) => `error: ${e.message}`);
  if (error instanceof ConfigError && error.problems.length > 0) {
    return error.problems.map((problem) => `error: ${formatConfigProblem(problem)}`);
  }
  if (error instanceof ClusterError) {
    const where = context.server ? ` at ${context.server}` : "";
    if (error.status === undefined) {
      // No HTTP answer at all: the cluster is down, the address is wrong, or TLS failed.
      return [`error: cannot reach the cluster${where}: ${error.message}`];
    }
    if (error.status === 401)
      return [`error: the cluster${where} rejected the credentials (401): ${error.message}`];
    return [`error: ${error.message}`];
  }
  if (error instanceof PullbridgeError) return [`error: ${error.message}`];
  if (error instanceof Error) return [`error: ${error.message}`];
  return [`error: ${String(error)}`];
}

/** The `--output json` form of an error. */
export function cliErrorJson(error: unknown, context: { server?: string | undefined } = {}) {
  const lines = formatCliError(error, context).map((line) => line.replace(/^error: /, ""));
  return {
    error: {
      kind: error instanceof Error ? error.name : "Error",
      message: lines[0] ?? "",
      ...(error instanceof ManifestSetError
        ? {
            problems: error.errors.map((e) => ({
              file: e.location.file,
              line: e.location.line ?? null,
              column: e.location.column ?? null,
              reason: e.reason,
            })),
          }
        : error instanceof ConfigError && error.problems.length > 0
          ? {
              problems: error.problems.map((p) => ({
                file: p.location?.file ?? null,
                line: p.location?.line ?? null,
                column: p.location?.column ?? null,
                field: p.field ?? null,
                reason: p.reason,
              })),
            }
          : {}),
    },
  };
}

/** Refusals a one-off sync can lift with a flag, and the flag (the targets-file setting named in the refusal). */
const FLAG_HINTS: readonly (readonly [RegExp, string])[] = [
  [/policy\.clusterScoped is false/, "--cluster-scoped allows cluster-scoped objects (policy.clusterScoped)"],
  [
    /is not allowed for this target \(allowed: |is not one this target may use/,
    "--allow-namespace <ns> allows objects in another namespace (policy.namespaces)",
  ],
  [/set adopt: true/, "--adopt takes over objects that are in no ApplySet yet (adopt)"],
  [/set forceConflicts: true/, "--force-conflicts takes fields another field manager owns (forceConflicts)"],
];

/**
 * For a target without a targets file: `hint:` lines naming the flag that lifts a refusal the
 * error reports, since its text names the targets-file setting.
 */
export function adHocFlagHints(error: unknown): string[] {
  const texts =
    error instanceof ManifestSetError
      ? error.errors.map((e) => e.message)
      : [error instanceof Error ? error.message : String(error)];
  const refusals =
    error instanceof Error && "refusals" in error && Array.isArray(error.refusals) ? error.refusals : [];
  const all = [...texts, ...refusals.map((r: { reason?: unknown }) => String(r.reason ?? ""))].join("\n");
  return FLAG_HINTS.filter(([pattern]) => pattern.test(all)).map(([, hint]) => `hint: ${hint}`);
}
