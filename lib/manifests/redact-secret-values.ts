/**
 * Secret values out of messages. The API server echoes what it refuses — `stringData: {pin:
 * 98765432}` comes back as `.stringData.pin: expected string, got …{Value:98765432}` — and that
 * text would reach a commit status, a check run, an annotation and the log. The client that
 * wrote the Secret knows its values, so it redacts every form in which they can be printed before
 * the error leaves it. Pure.
 */
import type { KubeObject } from "./kube-object.ts";
import { isSecret, SECRET_MASK } from "./mask-secret-data.ts";
import { isRecord } from "./validate-object.ts";

/**
 * What a value is replaced with: the diff's Secret mask. It has no letters or digits, so it can
 * neither contain a value nor form one with the text around it.
 */
export const REDACTED = SECRET_MASK;

/** Values shorter than this are redacted only where they stand alone (a `1` inside `v1` is not the PIN). */
const STANDALONE_BELOW = 4;
/** A multi-line value (a key, a certificate) may be echoed line by line; lines this long are redacted on their own too. */
const MIN_LINE_LENGTH = 8;

/** Every string in which a value of the Secret may appear in a message. Empty for other kinds. */
export function secretValueForms(object: KubeObject): string[] {
  if (!isSecret(object)) return [];
  const forms = new Set<string>();
  const add = (text: string) => {
    if (text.length === 0) return;
    forms.add(text);
    // Go's %q and JSON escape quotes, backslashes and control characters.
    const escaped = JSON.stringify(text).slice(1, -1);
    if (escaped !== text) forms.add(escaped);
    const lines = text.split(/\r?\n/);
    if (lines.length > 1)
      for (const line of lines) if (line.trim().length >= MIN_LINE_LENGTH) forms.add(line);
  };
  const addLeaves = (value: unknown) => {
    if (typeof value === "string") add(value);
    else if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") {
      // As the server prints what it received: the JSON text of the number or boolean.
      add(String(value));
      add(JSON.stringify(value));
    } else if (Array.isArray(value)) for (const item of value) addLeaves(item);
    else if (isRecord(value)) for (const item of Object.values(value)) addLeaves(item);
  };
  const { data, stringData } = object;
  if (isRecord(data)) {
    for (const value of Object.values(data)) {
      addLeaves(value);
      if (typeof value === "string") {
        const decoded = decodeBase64(value);
        if (decoded !== undefined) add(decoded);
      }
    }
  } else addLeaves(data);
  addLeaves(stringData);
  return [...forms];
}

/** A function that replaces every form of the given values in a text with `REDACTED`. */
export function createRedactor(forms: readonly string[]): (text: string) => string {
  const unique = [...new Set(forms.filter((f) => f.length > 0))].sort((a, b) => b.length - a.length);
  if (unique.length === 0) return (text) => text;
  const alternatives = unique.map((form) => {
    const escaped = form.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    return form.length < STANDALONE_BELOW ? `(?<![\\p{L}\\p{N}])${escaped}(?![\\p{L}\\p{N}])` : escaped;
  });
  // One pass over the text, longest form first, so a replacement is never matched again.
  const pattern = new RegExp(alternatives.join("|"), "gu");
  return (text) => text.replace(pattern, REDACTED);
}

/** The redactor for messages about writing `object`, or undefined when it is not a Secret with values. */
export function secretRedactor(object: KubeObject): ((text: string) => string) | undefined {
  const forms = secretValueForms(object);
  return forms.length === 0 ? undefined : createRedactor(forms);
}

/** The UTF-8 text of a base64 value, or undefined when it is not valid base64 (the server refuses it anyway). */
function decodeBase64(value: string): string | undefined {
  const compact = value.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 === 1) return undefined;
  const text = Buffer.from(compact, "base64").toString("utf8");
  return text.length > 0 ? text : undefined;
}
