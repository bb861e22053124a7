/**
 * Secret values never reach a diff, a log or a check run. The mask still tells a reviewer
 * whether a value changes; it carries no hash, because a hash of a short value (a PIN, a port,
 * `true`) can be brute-forced by anyone who reads the check run.
 */

import { valueAt, withValueAt } from "./json-pointer.ts";
import type { KubeObject } from "./kube-object.ts";
import { parseApiVersion } from "./kube-object.ts";
import { isRecord } from "./validate-object.ts";

/** Shown for a Secret value that is the same on both sides, or exists on one side only. */
export const SECRET_MASK = "***";
/** Shown on the new side for a Secret value that differs from the old side. */
export const SECRET_MASK_CHANGED = "*** (changed)";

/** kubectl stores the whole applied object, Secret data included, in this annotation. */
const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

/**
 * On every object pullbridge decrypted from SOPS (of any kind: a ConfigMap too): which fields held
 * encrypted values, as JSON pointers, each with a digest of its ciphertext (never of the value).
 */
export const ENCRYPTED_VALUES_ANNOTATION = "pullbridge.dev/encrypted-values";

/** The fields an object's `pullbridge.dev/encrypted-values` annotation names (a live object's, too). */
export function encryptedFieldsOf(object: KubeObject | undefined): Record<string, string> {
  const text = object?.metadata.annotations?.[ENCRYPTED_VALUES_ANNOTATION];
  if (text === undefined) return {};
  try {
    const parsed: unknown = JSON.parse(text);
    return isRecord(parsed)
      ? Object.fromEntries(
          Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === "string"),
        )
      : {};
  } catch {
    return {};
  }
}

/** True for a core-group Secret, the one kind whose `data`/`stringData` are masked. */
export function isSecret(object: Pick<KubeObject, "apiVersion" | "kind">): boolean {
  return object.kind === "Secret" && parseApiVersion(object.apiVersion).group === "";
}

/**
 * Copies of both sides with Secret values replaced by masks; the new side's mask says
 * `(changed)` when the effective value (`stringData` over base64-decoded `data`) differs. Fields
 * that held decrypted values (`sensitive`, and those either side's encrypted-values annotation
 * names) are masked the same way, whatever the kind.
 */
export function maskSecretPair(
  before: KubeObject | undefined,
  after: KubeObject | undefined,
  sensitive: readonly string[] = [],
): { before: KubeObject | undefined; after: KubeObject | undefined } {
  const secrets = maskSecretsOnly(before, after);
  const pointers = new Set([
    ...sensitive,
    ...Object.keys(encryptedFieldsOf(before)),
    ...Object.keys(encryptedFieldsOf(after)),
  ]);
  if (pointers.size === 0) return secrets;
  let masked = secrets;
  for (const pointer of pointers) {
    const old = before === undefined ? undefined : valueAt(before, pointer);
    const now = after === undefined ? undefined : valueAt(after, pointer);
    const changed = old !== undefined && now !== undefined && JSON.stringify(old) !== JSON.stringify(now);
    masked = {
      before:
        masked.before && old !== undefined ? withValueAt(masked.before, pointer, SECRET_MASK) : masked.before,
      after:
        masked.after && now !== undefined
          ? withValueAt(masked.after, pointer, changed ? SECRET_MASK_CHANGED : SECRET_MASK)
          : masked.after,
    };
  }
  return masked;
}

function maskSecretsOnly(
  before: KubeObject | undefined,
  after: KubeObject | undefined,
): { before: KubeObject | undefined; after: KubeObject | undefined } {
  const beforeValues = before && isSecret(before) ? effectiveValues(before) : undefined;
  const afterValues = after && isSecret(after) ? effectiveValues(after) : undefined;
  const changed = (key: string): boolean => {
    const old = beforeValues?.get(key);
    const now = afterValues?.get(key);
    return old !== undefined && now !== undefined && !old.equals(now);
  };
  const lastApplied = (object: KubeObject | undefined) => object?.metadata.annotations?.[LAST_APPLIED];
  const lastAppliedChanged =
    lastApplied(before) !== undefined &&
    lastApplied(after) !== undefined &&
    lastApplied(before) !== lastApplied(after);
  return {
    before: before && isSecret(before) ? maskSecret(before, () => false, false) : before,
    after: after && isSecret(after) ? maskSecret(after, changed, lastAppliedChanged) : after,
  };
}

function maskSecret(
  secret: KubeObject,
  changed: (key: string) => boolean,
  lastAppliedChanged: boolean,
): KubeObject {
  const masked: KubeObject = { ...secret };
  for (const field of ["data", "stringData"] as const) {
    const values = secret[field];
    if (values === undefined) continue;
    masked[field] = isRecord(values)
      ? Object.fromEntries(
          Object.keys(values).map((key) => [key, changed(key) ? SECRET_MASK_CHANGED : SECRET_MASK]),
        )
      : SECRET_MASK;
  }
  const annotations = secret.metadata.annotations;
  if (annotations?.[LAST_APPLIED] !== undefined) {
    masked.metadata = {
      ...secret.metadata,
      annotations: { ...annotations, [LAST_APPLIED]: lastAppliedChanged ? SECRET_MASK_CHANGED : SECRET_MASK },
    };
  }
  return masked;
}

/** What the API server would store per key: `stringData` wins over `data`, as on write. */
function effectiveValues(secret: KubeObject): Map<string, Buffer> {
  const values = new Map<string, Buffer>();
  const { data, stringData } = secret;
  if (isRecord(data)) {
    for (const [key, value] of Object.entries(data)) {
      values.set(
        key,
        Buffer.from(typeof value === "string" ? value : (JSON.stringify(value) ?? ""), "base64"),
      );
    }
  }
  if (isRecord(stringData)) {
    for (const [key, value] of Object.entries(stringData)) {
      values.set(key, Buffer.from(typeof value === "string" ? value : (JSON.stringify(value) ?? ""), "utf8"));
    }
  }
  return values;
}
