/**
 * A SOPS-encrypted file read the way SOPS's own stores read it (stores/yaml, stores/json,
 * stores/dotenv; the binary store is JSON with one `data` value): an ordered tree of branches —
 * one per YAML document — whose key order, value types and value text are exactly what the MAC
 * covers, and the `sops` metadata taken out of it. Comments are left out: SOPS never hashes them.
 * Pure.
 */
import { type Document, isAlias, isMap, isScalar, isSeq, type Node, parseAllDocuments } from "yaml";
import { type GoScalar, parseGoInt, resolvePlainYamlScalar } from "./go-values.ts";
import { readSopsMetadata, type SopsMetadata } from "./sops-metadata.ts";
import { SopsFormatError, type SopsMap, type SopsNode } from "./sops-tree.ts";

/** The formats SOPS writes (its `--input-type`), chosen by file extension as SOPS does. */
export type SopsFormat = "yaml" | "json" | "dotenv" | "binary";

/** A SOPS file: its data branches (the `sops` entries removed) and its metadata. */
export type SopsDocument = { format: SopsFormat; branches: SopsMap[]; metadata: SopsMetadata };

/** The format SOPS would use for this path (its `formats.FormatForPath`). */
export function sopsFormatOf(path: string): SopsFormat | "ini" {
  const lower = path.toLowerCase();
  if (lower.endsWith(".yaml") || lower.endsWith(".yml")) return "yaml";
  if (lower.endsWith(".json")) return "json";
  if (lower.endsWith(".env")) return "dotenv";
  if (lower.endsWith(".ini")) return "ini";
  return "binary";
}

/**
 * A cheap test before parsing: every SOPS file holds its metadata's `lastmodified` under a `sops`
 * key (`sops_lastmodified=` in dotenv). Files without it are not parsed.
 */
export function mayBeSopsFile(text: string): boolean {
  return text.includes("sops") && text.includes("lastmodified");
}

/** True when a text holds a SOPS-encrypted value (with or without metadata). */
export function holdsEncryptedValues(text: string): boolean {
  return text.includes("ENC[AES256_GCM,");
}

/**
 * Reads `text` as the SOPS file at `path`: undefined when it is not SOPS-encrypted (no `sops`
 * metadata), a SopsFormatError when it is but cannot be read.
 */
export function parseSopsFile(path: string, text: string): SopsDocument | undefined {
  const format = sopsFormatOf(path);
  if (!mayBeSopsFile(text)) return undefined;
  if (format === "ini") {
    if (/^\[sops\]\s*$/m.test(text)) throw new SopsFormatError("SOPS INI files are not supported");
    return undefined;
  }
  let branches: SopsMap[];
  if (format === "yaml") branches = parseYamlBranches(text);
  else if (format === "dotenv") branches = parseDotenvBranches(text);
  else {
    let root: SopsNode;
    try {
      root = parseOrderedJson(text);
    } catch (error) {
      // A binary file is SOPS's only if it is SOPS's JSON; anything else is someone else's binary.
      if (format === "binary") return undefined;
      throw error;
    }
    if (root.kind !== "map") return undefined;
    branches = [root];
  }
  if (format === "dotenv") {
    const [first] = branches;
    if (!first?.entries.some((e) => e.key.startsWith("sops_"))) return undefined;
    const metadataEntries = first.entries.filter((e) => e.key.startsWith("sops_"));
    first.entries = first.entries.filter((e) => !e.key.startsWith("sops_"));
    return { format, branches, metadata: readSopsMetadata(unflatten(metadataEntries), { flat: true }) };
  }
  const metadataNode = branches[0]?.entries.find((e) => e.key === "sops")?.value;
  if (metadataNode === undefined) return undefined;
  if (metadataNode.kind !== "map") throw new SopsFormatError("its `sops` entry is not a mapping");
  for (const branch of branches) branch.entries = branch.entries.filter((e) => e.key !== "sops");
  if (format === "binary") {
    const [data] = branches[0]?.entries ?? [];
    if (branches[0]?.entries.length !== 1 || data?.key !== "data" || data.value.kind !== "scalar") {
      throw new SopsFormatError("a SOPS binary file holds exactly one `data` value");
    }
  }
  return { format, branches, metadata: readSopsMetadata(metadataNode) };
}

// --- YAML (stores/yaml: go.yaml.in/yaml/v3 nodes) ---

const STR_TAG = "tag:yaml.org,2002:str";
const RESOLVING_TAGS: Record<string, GoScalar["type"]> = {
  "tag:yaml.org,2002:int": "int",
  "tag:yaml.org,2002:float": "float",
  "tag:yaml.org,2002:bool": "bool",
  "tag:yaml.org,2002:null": "null",
};

function parseYamlBranches(text: string): SopsMap[] {
  // failsafe: every scalar stays the text as written; yaml.v3's own resolution is applied below.
  const documents = parseAllDocuments(text, { schema: "failsafe", uniqueKeys: false, strict: false });
  if (!Array.isArray(documents)) return [];
  const branches: SopsMap[] = [];
  for (const doc of documents) {
    const [error] = doc.errors;
    if (error) throw new SopsFormatError(`invalid YAML: ${error.message.split("\n")[0]}`);
    if (doc.contents === null) {
      branches.push({ kind: "map", entries: [] });
      continue;
    }
    const root = yamlNode(doc, doc.contents, 0);
    if (root.kind === "scalar" && root.type === "null") branches.push({ kind: "map", entries: [] });
    else if (root.kind !== "map") throw new SopsFormatError("a SOPS YAML document must be a mapping");
    else branches.push(root);
  }
  return branches;
}

/** Anchors may nest; SOPS copies an alias's target where it stands. Bounded against alias bombs. */
const MAX_YAML_DEPTH = 200;

function yamlNode(doc: Document, node: Node | null, depth: number): SopsNode {
  if (depth > MAX_YAML_DEPTH) throw new SopsFormatError("YAML nested too deeply");
  if (node === null) return { kind: "scalar", type: "null" };
  if (isAlias(node)) {
    const target = node.resolve(doc);
    if (target === undefined) throw new SopsFormatError(`unknown YAML alias *${node.source}`);
    return yamlNode(doc, target as Node, depth + 1);
  }
  if (isMap(node)) {
    const entries: SopsMap["entries"] = [];
    for (const pair of node.items) {
      const key = yamlNode(doc, pair.key as Node | null, depth + 1);
      if (key.kind !== "scalar" || key.type !== "str") {
        throw new SopsFormatError("SOPS supports only string keys (quote keys such as 1, true or null)");
      }
      entries.push({ key: key.value, value: yamlNode(doc, pair.value as Node | null, depth + 1) });
    }
    return { kind: "map", entries };
  }
  if (isSeq(node)) {
    return { kind: "list", items: node.items.map((item) => yamlNode(doc, item as Node | null, depth + 1)) };
  }
  if (isScalar(node)) {
    const text = String(node.value ?? "");
    const tag = node.tag;
    if (tag === STR_TAG) return { kind: "scalar", type: "str", value: text };
    if (tag !== undefined) {
      const wanted = RESOLVING_TAGS[tag];
      const resolved = resolvePlainYamlScalar(text);
      if (wanted === undefined || resolved.type !== wanted) {
        throw new SopsFormatError(`unsupported YAML tag ${tag} on "${text.slice(0, 20)}"`);
      }
      return { kind: "scalar", ...resolved };
    }
    if (node.type === "PLAIN") return { kind: "scalar", ...resolvePlainYamlScalar(text) };
    return { kind: "scalar", type: "str", value: text };
  }
  throw new SopsFormatError("unsupported YAML node");
}

// --- JSON (stores/json: encoding/json tokens with UseNumber, keys in file order) ---

/**
 * JSON with object keys in file order (JavaScript objects put integer-like keys first, which
 * would change what the MAC covers) and numbers as SOPS normalises them: an integer within int64
 * is an int, anything else a float.
 */
export function parseOrderedJson(text: string): SopsNode {
  let at = 0;
  const fail = (what: string): never => {
    throw new SopsFormatError(`invalid JSON at offset ${at}: ${what}`);
  };
  const space = () => {
    while (at < text.length && /[ \t\n\r]/.test(text[at] ?? "")) at += 1;
  };
  const value = (depth: number): SopsNode => {
    if (depth > MAX_YAML_DEPTH) fail("nested too deeply");
    space();
    const c = text[at];
    if (c === "{") {
      at += 1;
      const entries: SopsMap["entries"] = [];
      space();
      if (text[at] === "}") {
        at += 1;
        return { kind: "map", entries };
      }
      for (;;) {
        space();
        if (text[at] !== '"') fail("expected a string key");
        const key = string();
        space();
        if (text[at] !== ":") fail("expected ':'");
        at += 1;
        entries.push({ key, value: value(depth + 1) });
        space();
        if (text[at] === ",") {
          at += 1;
          continue;
        }
        if (text[at] === "}") {
          at += 1;
          return { kind: "map", entries };
        }
        fail("expected ',' or '}'");
      }
    }
    if (c === "[") {
      at += 1;
      const items: SopsNode[] = [];
      space();
      if (text[at] === "]") {
        at += 1;
        return { kind: "list", items };
      }
      for (;;) {
        items.push(value(depth + 1));
        space();
        if (text[at] === ",") {
          at += 1;
          continue;
        }
        if (text[at] === "]") {
          at += 1;
          return { kind: "list", items };
        }
        fail("expected ',' or ']'");
      }
    }
    if (c === '"') return { kind: "scalar", type: "str", value: string() };
    for (const [word, node] of [
      ["true", { kind: "scalar", type: "bool", value: true }],
      ["false", { kind: "scalar", type: "bool", value: false }],
      ["null", { kind: "scalar", type: "null" }],
    ] as const) {
      if (text.startsWith(word, at)) {
        at += word.length;
        return node;
      }
    }
    const number = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(at, at + 400));
    if (!number) return fail("unexpected character");
    at += number[0].length;
    const int = number[2] === undefined && number[3] === undefined ? parseGoInt(number[0]) : undefined;
    return int === undefined
      ? { kind: "scalar", type: "float", value: Number(number[0]) }
      : { kind: "scalar", type: "int", value: int };
  };
  const string = (): string => {
    const start = at;
    at += 1;
    while (at < text.length && text[at] !== '"') at += text[at] === "\\" ? 2 : 1;
    if (at >= text.length) fail("unterminated string");
    at += 1;
    try {
      return JSON.parse(text.slice(start, at)) as string;
    } catch {
      return fail("invalid string");
    }
  };
  const root = value(0);
  space();
  if (at !== text.length) fail("trailing characters");
  return root;
}

// --- dotenv (stores/dotenv: KEY=value lines, `\n` escapes, metadata flattened under `sops_`) ---

function parseDotenvBranches(text: string): SopsMap[] {
  const entries: SopsMap["entries"] = [];
  for (const line of text.split("\n")) {
    if (line.length === 0 || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    if (eq === -1) throw new SopsFormatError(`invalid dotenv line "${line.slice(0, 40)}"`);
    entries.push({
      key: line.slice(0, eq),
      value: { kind: "scalar", type: "str", value: line.slice(eq + 1).replaceAll("\\n", "\n") },
    });
  }
  return [{ kind: "map", entries }];
}

/** `sops_kms__list_0__map_arn=…` → `{ kms: [{ arn: … }] }` (stores/flatten.go), as a node. */
function unflatten(entries: SopsMap["entries"]): SopsMap {
  const root: SopsMap = { kind: "map", entries: [] };
  for (const { key, value } of entries) {
    const tokens = key
      .slice("sops_".length)
      .split(/(?=__map_|__list_)/)
      .map((t) =>
        t.startsWith("__list_")
          ? { list: Number(t.slice(7)) }
          : { map: t.startsWith("__map_") ? t.slice(6) : t },
      );
    let node: SopsNode = root;
    tokens.forEach((token, i) => {
      const last = i === tokens.length - 1;
      const next = (): SopsNode =>
        last
          ? value
          : "list" in (tokens[i + 1] ?? {})
            ? { kind: "list", items: [] }
            : { kind: "map", entries: [] };
      if ("list" in token) {
        if (node.kind !== "list") throw new SopsFormatError(`malformed SOPS metadata key ${key}`);
        node.items[token.list] ??= next();
        node = node.items[token.list] as SopsNode;
      } else {
        if (node.kind !== "map") throw new SopsFormatError(`malformed SOPS metadata key ${key}`);
        let entry = node.entries.find((e) => e.key === token.map);
        if (!entry) {
          entry = { key: token.map, value: next() };
          node.entries.push(entry);
        }
        node = entry.value;
      }
    });
  }
  return root;
}
