/** A digest of the desired set, recorded on the ApplySet parent to tell drift from a Git change. Pure. */
import { createHash } from "node:crypto";
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

/** `sha256:<hex>` over every desired object (as applied, in identity order); independent of file layout. */
export function computeDesiredDigest(planned: readonly PlannedObject[]): string {
  const hash = createHash("sha256");
  for (const p of [...planned].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))) {
    hash.update(canonicalJson(p.object));
    hash.update("\n");
  }
  return `sha256:${hash.digest("hex")}`;
}
