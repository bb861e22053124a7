/**
 * SOPS's value cipher and MAC (its `aes` package and `Tree.Decrypt`): each encrypted value is
 * `ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]`, AES-256-GCM under the file's data key with the
 * value's key path (`data:password:`) as additional data; the MAC is SHA-512 over every value
 * (or, with `mac_only_encrypted`, every encrypted one) in file order, stored encrypted with the
 * `lastmodified` time as additional data. Verification is a constant-time comparison. Pure
 * (node:crypto only).
 */
import { createDecipheriv, createHash, type Hash, timingSafeEqual } from "node:crypto";
import { type GoScalar, macText, parseGoInt } from "./go-values.ts";
import { isEncryptedPath, macAdditionalData, type SopsMetadata } from "./sops-metadata.ts";
import { SopsFormatError, type SopsMap, type SopsNode } from "./sops-tree.ts";

const ENCRYPTED = /^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]/;

/** `sha256("sops")`: SOPS starts a `mac_only_encrypted` MAC with it, so the two kinds never collide. */
const MAC_ONLY_ENCRYPTED_INITIALIZATION = Buffer.from(
  "8a3fd2ad54ce66527b1034f3d147be0b0b975b3bf44f72c6fdadec8176f27d69",
  "hex",
);

/** The value type recorded in an encrypted value (`type:str`, …). */
export type SopsValueType = "str" | "int" | "float" | "bool" | "bytes" | "time" | "comment";

/** True for a SOPS-encrypted value string. */
export function isEncryptedValue(value: unknown): value is string {
  return typeof value === "string" && ENCRYPTED.test(value);
}

/** The type an encrypted value records, without decrypting it (previews use it for a placeholder). */
export function encryptedValueType(value: string): SopsValueType | undefined {
  const type = ENCRYPTED.exec(value)?.[4];
  return isValueType(type) ? type : undefined;
}

function isValueType(type: string | undefined): type is SopsValueType {
  return (
    type === "str" ||
    type === "int" ||
    type === "float" ||
    type === "bool" ||
    type === "bytes" ||
    type === "time" ||
    type === "comment"
  );
}

/** A value that does not decrypt under the data key (a wrong key, a changed value, a value moved to another key). */
export class SopsDecryptError extends Error {
  override readonly name = "SopsDecryptError";
}

/** A decrypted value: its type and exact bytes (what the MAC hashes), and its value as the store decodes it. */
export type DecryptedValue = { type: SopsValueType; bytes: Buffer; scalar: GoScalar };

/** Decrypts one value with its key path as additional data (`data:password:`); throws SopsDecryptError. */
export function decryptValue(value: string, dataKey: Uint8Array, additionalData: string): DecryptedValue {
  const match = ENCRYPTED.exec(value);
  const type = match?.[4];
  if (!match || !isValueType(type)) throw new SopsDecryptError("not a SOPS-encrypted value");
  let bytes: Buffer;
  try {
    const decipher = createDecipheriv("aes-256-gcm", dataKey, Buffer.from(match[2] ?? "", "base64"));
    decipher.setAuthTag(Buffer.from(match[3] ?? "", "base64"));
    decipher.setAAD(Buffer.from(additionalData, "utf8"));
    bytes = Buffer.concat([decipher.update(Buffer.from(match[1] ?? "", "base64")), decipher.final()]);
  } catch (cause) {
    throw new SopsDecryptError("does not decrypt with the file's data key", { cause });
  }
  const text = bytes.toString("utf8");
  return { type, bytes, scalar: scalarOf(type, text) };
}

/** Go's strconv.ParseBool. */
const GO_BOOLS: Record<string, boolean> = {
  "1": true,
  t: true,
  T: true,
  TRUE: true,
  true: true,
  True: true,
  "0": false,
  f: false,
  F: false,
  FALSE: false,
  false: false,
  False: false,
};

function scalarOf(type: SopsValueType, text: string): GoScalar {
  switch (type) {
    case "int": {
      // strconv.Atoi: decimal only.
      const int = /^[+-]?\d+$/.test(text) ? parseGoInt(text.replace(/^([+-]?)0+(?=\d)/, "$1")) : undefined;
      if (int === undefined) throw new SopsDecryptError("holds an int that does not parse");
      return { type: "int", value: int };
    }
    case "float": {
      const float = Number(text);
      if (text.trim() === "" || Number.isNaN(float))
        throw new SopsDecryptError("holds a float that does not parse");
      return { type: "float", value: float };
    }
    case "bool": {
      const bool = GO_BOOLS[text];
      if (bool === undefined) throw new SopsDecryptError("holds a bool that does not parse");
      return { type: "bool", value: bool };
    }
    default:
      return { type: "str", value: text };
  }
}

/** Where a value sits: its key path from the document root. */
export type ValuePath = readonly string[];

/** A failure while decrypting a tree, with the key path of the value (never the value). */
export class SopsValueError extends Error {
  override readonly name = "SopsValueError";
  readonly path: ValuePath;
  constructor(path: ValuePath, reason: string, options?: { cause?: unknown }) {
    super(`the value at ${path.join(".") || "(root)"} ${reason}`, options);
    this.path = path;
  }
}

/** The result of decrypting a whole file: its plaintext tree, whether the MAC matched, and what was encrypted. */
export type DecryptedTree = {
  branches: SopsMap[];
  /** Whether the stored MAC matches the one computed over the plaintext. */
  macMatches: boolean;
  /** Key paths of the values that were encrypted, per branch (document), in file order. */
  encryptedPaths: ValuePath[][];
  /** The plaintext of every encrypted value (for redaction: they must never be shown). */
  plaintexts: Buffer[];
};

/**
 * Decrypts every encrypted value of the file with `dataKey` and checks the MAC, exactly as
 * `sops decrypt` does. Throws SopsValueError for a value that does not decrypt (the file was
 * changed, or the key is not this file's) and SopsFormatError for a file without a MAC.
 */
export function decryptTree(
  branches: readonly SopsMap[],
  metadata: SopsMetadata,
  dataKey: Uint8Array,
): DecryptedTree {
  if (metadata.mac === undefined) throw new SopsFormatError("it has no MAC (sops.mac)");
  const hash = createHash("sha512");
  if (metadata.macOnlyEncrypted) hash.update(MAC_ONLY_ENCRYPTED_INITIALIZATION);
  const encryptedPaths: ValuePath[][] = [];
  const plaintexts: Buffer[] = [];
  const plainBranches = branches.map((branch) => {
    const paths: ValuePath[] = [];
    encryptedPaths.push(paths);
    return walk(branch, [], { metadata, dataKey, hash, paths, plaintexts }) as SopsMap;
  });
  let stored: DecryptedValue;
  try {
    stored = decryptValue(metadata.mac, dataKey, macAdditionalData(metadata.lastModified));
  } catch (cause) {
    throw new SopsValueError(["sops", "mac"], "does not decrypt with the file's data key", { cause });
  }
  const computed = Buffer.from(hash.digest("hex").toUpperCase(), "utf8");
  const expected = stored.bytes;
  const macMatches = computed.length === expected.length && timingSafeEqual(computed, expected);
  return { branches: plainBranches, macMatches, encryptedPaths, plaintexts };
}

type WalkState = {
  metadata: SopsMetadata;
  dataKey: Uint8Array;
  hash: Hash;
  paths: ValuePath[];
  plaintexts: Buffer[];
};

function walk(node: SopsNode, path: string[], state: WalkState): SopsNode {
  if (node.kind === "map") {
    return {
      kind: "map",
      entries: node.entries.map((e) => ({ key: e.key, value: walk(e.value, [...path, e.key], state) })),
    };
  }
  // SOPS walks list items with their list's key path: indices are not part of it.
  if (node.kind === "list") return { kind: "list", items: node.items.map((item) => walk(item, path, state)) };
  if (node.type === "null") return node;
  const encrypted = isEncryptedPath(state.metadata.rules, path);
  let plain: SopsNode = node;
  let bytes: Buffer | undefined;
  if (encrypted) {
    if (node.type !== "str") throw new SopsValueError(path, "should be encrypted but is not a string");
    if (node.value !== "") {
      if (!isEncryptedValue(node.value)) throw new SopsValueError(path, "should be encrypted but is not");
      let decrypted: DecryptedValue;
      try {
        decrypted = decryptValue(node.value, state.dataKey, `${path.join(":")}:`);
      } catch (cause) {
        throw new SopsValueError(path, "does not decrypt with the file's data key", { cause });
      }
      if (decrypted.type === "comment") return node;
      plain = { kind: "scalar", ...decrypted.scalar, raw: decrypted.bytes };
      bytes = decrypted.bytes;
      state.plaintexts.push(decrypted.bytes);
    }
    state.paths.push(path);
  }
  if (!state.metadata.macOnlyEncrypted || encrypted) {
    // A decrypted string is hashed as its exact bytes (SOPS's string is bytes), never re-encoded.
    if (bytes !== undefined && plain.kind === "scalar" && plain.type === "str") state.hash.update(bytes);
    else if (plain.kind === "scalar" && plain.type !== "null") state.hash.update(macText(plain), "utf8");
  }
  return plain;
}
