/**
 * How a preview plans an encrypted object without decrypting it. Its encrypted fields hold typed
 * placeholders (a dry-run of the object with its `sops` field would fail strict field
 * validation); a field whose ciphertext is the one the live object was applied from (the live
 * `pullbridge.dev/encrypted-values` annotation records it) takes the live value, so the plan sees
 * it unchanged; every other field keeps its placeholder and is reported as changed. The preview
 * holds the live value only as the read any plan does, and shows it masked like a Secret's. Pure.
 */
import { fromPointer, toPointer, valueAt, withValueAt } from "../manifests/json-pointer.ts";
import type { DesiredObject, KubeObject } from "../manifests/kube-object.ts";
import { encryptedFieldsOf, isSecret } from "../manifests/mask-secret-data.ts";

/** The live value at `pointer`; for a Secret's `stringData`, the decoded `data` the server stored it as. */
function liveValueAt(live: KubeObject, pointer: string): unknown {
  const direct = valueAt(live, pointer);
  if (direct !== undefined || !isSecret(live) || !pointer.startsWith("/stringData/")) return direct;
  const stored = valueAt(live, toPointer(["data", ...pointer.slice("/stringData/".length).split("/")]));
  return typeof stored === "string" ? Buffer.from(stored, "base64").toString("utf8") : undefined;
}

/** A sealed object planned against its live version: unchanged fields take the live value; `changed` lists the others. */
export function unsealAgainstLive(
  item: DesiredObject,
  live: KubeObject | undefined,
): { item: DesiredObject; changed: string[] } {
  const pointers = item.sensitive?.pointers ?? [];
  if (!item.sensitive?.sealed || pointers.length === 0) return { item, changed: [] };
  const desired = encryptedFieldsOf(item.object);
  const applied = encryptedFieldsOf(live);
  let object = item.object;
  const changed: string[] = [];
  for (const pointer of pointers) {
    const value = live === undefined ? undefined : liveValueAt(live, pointer);
    if (
      live !== undefined &&
      value !== undefined &&
      desired[pointer] !== undefined &&
      desired[pointer] === applied[pointer]
    ) {
      object = withValueAt(object, pointer, value);
    } else {
      changed.push(pointer);
    }
  }
  return { item: { ...item, object }, changed };
}

/** `/stringData/password` → `password`; `/spec/config/token` → `spec.config.token`: how a report names a field. */
export function fieldName(pointer: string): string {
  const parts = fromPointer(pointer);
  return parts.length === 2 && (parts[0] === "data" || parts[0] === "stringData")
    ? (parts[1] ?? pointer)
    : parts.join(".");
}
