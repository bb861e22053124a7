/**
 * A SOPS tree written back as a plain file of its format (what `sops decrypt` prints, as far as a
 * generator or Helm reads it): YAML documents, JSON, dotenv lines, or the binary file's bytes.
 * Used for render inputs, in memory only. Also the typed placeholders previews put where a value
 * is encrypted, which name the ciphertext (never the value). Pure.
 */
import { createHash } from "node:crypto";
import { stringify } from "yaml";
import { formatGoFloat } from "./go-values.ts";
import { encryptedValueType, isEncryptedValue } from "./sops-cipher.ts";
import type { SopsFormat } from "./sops-document.ts";
import { isEncryptedPath, type SopsEncryptionRules } from "./sops-metadata.ts";
import type { SopsMap, SopsNode } from "./sops-tree.ts";

/** A short digest of one ciphertext: equal ciphertexts, equal digests; nothing about the plaintext. */
export function ciphertextDigest(ciphertext: string): string {
  return createHash("sha256").update(ciphertext, "utf8").digest("hex").slice(0, 16);
}

/** What a preview puts in place of an encrypted string: it names the ciphertext, so a change shows. */
export function sealedPlaceholder(ciphertext: string): string {
  return `sealed:${ciphertextDigest(ciphertext)}`;
}

/** The node as a JavaScript value (ints beyond 2^53 lose precision, as in any JSON reader). */
export function nodeToJs(node: SopsNode): unknown {
  if (node.kind === "map") return Object.fromEntries(node.entries.map((e) => [e.key, nodeToJs(e.value)]));
  if (node.kind === "list") return node.items.map(nodeToJs);
  switch (node.type) {
    case "null":
      return null;
    case "int":
      return Number(node.value);
    default:
      return node.value;
  }
}

/** The file's bytes in its own format. */
export function emitPlainFile(format: SopsFormat, branches: readonly SopsMap[]): Uint8Array {
  switch (format) {
    case "binary": {
      const data = branches[0]?.entries.find((e) => e.key === "data")?.value;
      if (data?.kind === "scalar" && data.type === "str") return data.raw ?? Buffer.from(data.value, "utf8");
      return new Uint8Array();
    }
    case "dotenv":
      return Buffer.from(
        (branches[0]?.entries ?? [])
          .map((e) => `${e.key}=${scalarText(e.value).replaceAll("\n", "\\n")}\n`)
          .join(""),
        "utf8",
      );
    case "json":
      return Buffer.from(`${orderedJson(branches[0] ?? { kind: "map", entries: [] }, "")}\n`, "utf8");
    case "yaml":
      return Buffer.from(branches.map((b) => stringify(nodeToJs(b), { lineWidth: 0 })).join("---\n"), "utf8");
  }
}

function scalarText(node: SopsNode): string {
  if (node.kind !== "scalar") return JSON.stringify(nodeToJs(node));
  switch (node.type) {
    case "null":
      return "";
    case "str":
      return node.value;
    case "int":
      return node.value.toString();
    case "float":
      return formatGoFloat(node.value);
    case "bool":
      return node.value ? "true" : "false";
  }
}

function orderedJson(node: SopsNode, indent: string): string {
  const inner = `${indent}  `;
  if (node.kind === "map") {
    if (node.entries.length === 0) return "{}";
    const items = node.entries.map((e) => `${inner}${JSON.stringify(e.key)}: ${orderedJson(e.value, inner)}`);
    return `{\n${items.join(",\n")}\n${indent}}`;
  }
  if (node.kind === "list") {
    if (node.items.length === 0) return "[]";
    return `[\n${node.items.map((item) => `${inner}${orderedJson(item, inner)}`).join(",\n")}\n${indent}]`;
  }
  if (node.type === "int") return node.value.toString();
  return JSON.stringify(nodeToJs(node)) ?? "null";
}

/**
 * The tree with every encrypted value replaced by a placeholder of its type (`sealed:<digest>`
 * for strings, 0 and false otherwise), without decrypting anything: what previews render with.
 */
export function sealTree(branches: readonly SopsMap[], rules: SopsEncryptionRules): SopsMap[] {
  const seal = (node: SopsNode, path: readonly string[]): SopsNode => {
    if (node.kind === "map") {
      return {
        kind: "map",
        entries: node.entries.map((e) => ({ key: e.key, value: seal(e.value, [...path, e.key]) })),
      };
    }
    if (node.kind === "list") return { kind: "list", items: node.items.map((item) => seal(item, path)) };
    if (node.type !== "str" || !isEncryptedValue(node.value) || !isEncryptedPath(rules, path)) return node;
    switch (encryptedValueType(node.value)) {
      case "int":
        return { kind: "scalar", type: "int", value: 0n };
      case "float":
        return { kind: "scalar", type: "float", value: 0 };
      case "bool":
        return { kind: "scalar", type: "bool", value: false };
      default:
        return { kind: "scalar", type: "str", value: sealedPlaceholder(node.value) };
    }
  };
  return branches.map((b) => seal(b, []) as SopsMap);
}
