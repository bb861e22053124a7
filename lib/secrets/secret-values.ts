/**
 * The decrypted values of one job, kept so that no text leaving the job can carry them: every
 * report, log line and error message is passed through `redact` (the same forms as Secret
 * values: as written, JSON-escaped, line by line, base64). Built fresh per job and dropped with it.
 * Pure.
 */
import { createRedactor } from "../manifests/redact-secret-values.ts";

/** Values shorter than this are not collected on their own (a decrypted `true` or `3` would redact every `3`). */
const MIN_VALUE_LENGTH = 4;
/** Lines of a multi-line value at least this long are redacted on their own (an echoed PEM line). */
const MIN_LINE_LENGTH = 8;

export type SecretValues = {
  /** Records a decrypted value. */
  add(value: string | Uint8Array): void;
  /** True once any value was recorded. */
  readonly size: number;
  /** The text with every recorded value replaced by `***`. */
  redact(text: string): string;
  /** A copy of `value` with `redact` applied to every string in it (reports, log attributes). */
  redactDeep<T>(value: T): T;
  /** Whether `text` contains a recorded value (for marking fields of rendered objects). */
  contains(text: string): boolean;
};

/** A fresh, empty set of values for one job. */
export function createSecretValues(): SecretValues {
  const forms = new Set<string>();
  let redactor: ((text: string) => string) | undefined;
  const addForm = (form: string) => {
    if (form.length < MIN_VALUE_LENGTH || forms.has(form)) return;
    forms.add(form);
    redactor = undefined;
  };
  const redact = (text: string) => {
    if (forms.size === 0) return text;
    redactor ??= createRedactor([...forms]);
    return redactor(text);
  };
  const redactDeep = <T>(value: T): T => {
    if (forms.size === 0) return value;
    return deep(value, redact) as T;
  };
  return {
    add(value) {
      const text = typeof value === "string" ? value : Buffer.from(value).toString("utf8");
      const trimmed = text.trim();
      addForm(text);
      addForm(trimmed);
      const escaped = JSON.stringify(text).slice(1, -1);
      if (escaped !== text) addForm(escaped);
      for (const line of text.split(/\r?\n/)) if (line.trim().length >= MIN_LINE_LENGTH) addForm(line.trim());
      if (trimmed.length >= MIN_VALUE_LENGTH) addForm(Buffer.from(text, "utf8").toString("base64"));
    },
    get size() {
      return forms.size;
    },
    redact,
    redactDeep,
    contains(text) {
      if (forms.size === 0 || text.length < MIN_VALUE_LENGTH) return false;
      return redact(text) !== text;
    },
  };
}

function deep(value: unknown, redact: (text: string) => string): unknown {
  if (typeof value === "string") return redact(value);
  if (Array.isArray(value)) return value.map((item) => deep(item, redact));
  if (value instanceof Error) {
    // Errors keep their class (retryable, file…): only their texts are rewritten, in place.
    value.message = redact(value.message);
    if (value.stack !== undefined) value.stack = redact(value.stack);
    const fields = value as unknown as Record<string, unknown>;
    for (const key of Object.keys(fields)) fields[key] = deep(fields[key], redact);
    if (value.cause !== undefined) deep(value.cause, redact);
    return value;
  }
  if (typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, deep(v, redact)]));
  }
  return value;
}
