/**
 * Schema issues of a configuration file in words a user can act on: a missing field is called
 * missing and named ("required field \"repo\" is missing", not "expected string, received
 * undefined"), a wrong type says what was written, an unknown key suggests the field it is
 * closest to. Messages the schema states itself (`must be a lowercase DNS label`) are kept.
 */
import type * as z from "zod";
import type { ConfigProblem, SourceLocation } from "../errors.ts";

type Issue = z.core.$ZodRawIssue;
type Path = readonly PropertyKey[];

/** `targets[2].policy.kinds[0]` — the field a config error points at; "" for the document itself. */
function fieldPath(path: Path): string {
  return path.reduce<string>(
    (acc, part) =>
      typeof part === "number" ? `${acc}[${part}]` : acc ? `${acc}.${String(part)}` : String(part),
    "",
  );
}

const quote = (value: unknown) => JSON.stringify(value) ?? String(value);

/** "a string", "a number (3)", "empty" — what a user wrote, as a type. */
function describeValue(value: unknown): string {
  if (value === null) return "empty";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return `a string (${quote(value)})`;
  return `${typeof value === "number" ? "a number" : `a ${typeof value}`} (${String(value)})`;
}

const TYPE_WORDS: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "an integer",
  boolean: "true or false",
  object: "a mapping",
  array: "a list",
  record: "a mapping",
};

/** Levenshtein distance, for "did you mean": field names are short, so the quadratic table is fine. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** The known key a typo most likely meant, if one is close enough. */
function closestKey(key: string, known: readonly string[]): string | undefined {
  let best: { key: string; score: number } | undefined;
  for (const candidate of known) {
    const score = distance(key.toLowerCase(), candidate.toLowerCase());
    if (
      score <= Math.max(1, Math.floor(candidate.length / 3)) &&
      (best === undefined || score < best.score)
    ) {
      best = { key: candidate, score };
    }
  }
  return best?.key;
}

function knownKeys(issue: Issue): string[] {
  const shape: unknown = (issue.inst as { _zod?: { def?: { shape?: unknown } } } | undefined)?._zod?.def
    ?.shape;
  return typeof shape === "object" && shape !== null ? Object.keys(shape) : [];
}

function sizeWords(issue: { origin?: string | undefined }, bound: number | bigint): string {
  if (issue.origin === "string") return `${bound} character${bound === 1 ? "" : "s"}`;
  if (issue.origin === "array" || issue.origin === "set") return `${bound} item${bound === 1 ? "" : "s"}`;
  return String(bound);
}

/**
 * The zod error map for configuration files: used for issues the schema gives no message of its
 * own. Returns undefined to keep zod's message where ours would say no more.
 */
export const describeConfigIssue: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case "invalid_type": {
      const name = issue.path?.at(-1);
      if (issue.input === undefined) {
        return name === undefined
          ? "a value is required"
          : `required field ${quote(String(name))} is missing`;
      }
      const expected = TYPE_WORDS[issue.expected] ?? issue.expected;
      return `must be ${expected}, not ${describeValue(issue.input)}`;
    }
    case "invalid_value": {
      const values = issue.values.map(quote);
      const got = issue.input === undefined ? "" : ` (got ${quote(issue.input)})`;
      return values.length === 1 ? `must be ${values[0]}${got}` : `must be one of ${values.join(", ")}${got}`;
    }
    case "invalid_union": {
      if (!("discriminator" in issue) || !Array.isArray(issue.options)) return undefined;
      const options = (issue.options as unknown[]).map(quote).join(", ");
      const value = (issue.input as Record<string, unknown> | undefined)?.[String(issue.discriminator)];
      if (value === undefined)
        return `required field ${quote(String(issue.discriminator))} is missing (one of ${options})`;
      return `must be one of ${options} (got ${quote(value)})`;
    }
    case "too_small": {
      if (issue.origin === "string" && Number(issue.minimum) === 1) return "must not be empty";
      if (issue.origin === "array" && Number(issue.minimum) === 1) return "must list at least one item";
      return `must be at least ${sizeWords(issue, issue.minimum)}${issue.inclusive ? "" : " (exclusive)"}`;
    }
    case "too_big":
      return `must be at most ${sizeWords(issue, issue.maximum)}${issue.inclusive ? "" : " (exclusive)"}`;
    case "unrecognized_keys": {
      const [first] = issue.keys;
      if (issue.keys.length > 1) return `unknown fields ${issue.keys.map(quote).join(", ")}`;
      const meant = first === undefined ? undefined : closestKey(first, knownKeys(issue));
      return `unknown field ${quote(first)}${meant === undefined ? "" : ` (did you mean ${quote(meant)}?)`}`;
    }
    case "invalid_format":
      return issue.format === "url" ? "must be an http(s) URL" : undefined;
    default:
      return undefined;
  }
};

/**
 * One problem per issue (duplicates dropped), each at `locate(path)` when the caller can map a
 * path to the file. A missing field is reported on the mapping that lacks it (that is where the
 * line is), and an unknown key on the key itself.
 */
export function configProblems(
  issues: readonly z.core.$ZodIssue[],
  locate?: (path: readonly (string | number)[]) => SourceLocation | undefined,
): ConfigProblem[] {
  const seen = new Set<string>();
  const problems: ConfigProblem[] = [];
  for (const issue of issues) {
    const path = issue.path.filter((p): p is string | number => typeof p !== "symbol");
    // Our error map's wording (above): the field is named in the reason, the line is its mapping's.
    const missing = issue.message.startsWith("required field ");
    const at =
      issue.code === "unrecognized_keys" && issue.keys[0] !== undefined ? [...path, issue.keys[0]] : path;
    const field = fieldPath(missing ? path.slice(0, -1) : path);
    const key = `${field}\u0000${issue.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push({ location: locate?.(at), field: field || undefined, reason: issue.message });
  }
  // In the order they are written in the file (the schema reports fields in its own order).
  return problems.sort(
    (a, b) =>
      (a.location?.line ?? 0) - (b.location?.line ?? 0) ||
      (a.location?.column ?? 0) - (b.location?.column ?? 0),
  );
}
