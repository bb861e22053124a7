/** A digest of the desired set, recorded on the ApplySet parent to tell drift from a Git change. Pure. */
import { createHash } from "node:crypto";
import { withValueAt } from "../manifests/json-pointer.ts";
import type { PlannedObject } from "./compute-desired-set.ts";

/** JSON with object keys sorted, so key order in YAML does not change the digest. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/**
 * `sha256:<hex>` over every desired object (as applied, in identity order); independent of file
 * layout. Decrypted fields are left out: the digest is recorded on the ApplySet parent, and a
 * digest over a short plaintext (a PIN) could be brute-forced by anyone who knows the rest of the
 * set. Their ciphertext digests (the `pullbridge.dev/encrypted-values` annotation) stand for them,
 * so a sync and a preview (which decrypts nothing) compute the same digest.
 */
export function computeDesiredDigest(planned: readonly PlannedObject[]): string {
  const hash = createHash("sha256");
  for (const p of [...planned].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))) {
    let object = p.object;
    for (const pointer of p.sensitive?.pointers ?? []) object = withValueAt(object, pointer, null);
    hash.update(canonicalJson(object));
    hash.update("\n");
  }
  return `sha256:${hash.digest("hex")}`;
}
