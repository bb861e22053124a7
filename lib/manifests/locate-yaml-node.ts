/**
 * Maps a path in the parsed JavaScript value back to the YAML node it came from, so errors can
 * point at the exact `field:` a user has to fix.
 */
import type { LineCounter, Node } from "yaml";
import { isAlias, isMap, isPair, isScalar, isSeq } from "yaml";

/** A path into a parsed document: map keys and sequence indexes. */
export type ValuePath = readonly (string | number)[];

/** 1-based line and column. */
export type LineColumn = { line: number; column: number };

/**
 * Offset where `path` is written: the key of a map entry, the item of a sequence. Stops at the
 * deepest node that exists (e.g. the `metadata:` key when `metadata.name` is missing), because
 * values produced by aliases or merge keys have no node of their own.
 */
export function locateOffset(root: Node | null | undefined, path: ValuePath, fallback: number): number {
  let node: unknown = root;
  let offset = startOf(root) ?? fallback;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && keyText(item.key) === String(segment));
      if (!pair) break;
      offset = startOf(pair.key) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === "number") {
      const item = node.items[segment];
      if (item === undefined) break;
      offset = startOf(item) ?? offset;
      node = item;
    } else {
      break;
    }
    if (isAlias(node)) break;
  }
  return offset;
}

/** 1-based line:column of an offset, as editors and GitHub annotations count. */
export function lineColumnAt(lineCounter: LineCounter, offset: number): LineColumn {
  const { line, col } = lineCounter.linePos(offset);
  // linePos reports line 0 before the first newline has been registered (single-line input).
  return { line: Math.max(line, 1), column: Math.max(col, 1) };
}

function keyText(key: unknown): string | undefined {
  return isScalar(key) ? String(key.value) : undefined;
}

function startOf(node: unknown): number | undefined {
  if (node === null || typeof node !== "object" || !("range" in node)) return undefined;
  const range: unknown = node.range;
  return Array.isArray(range) && typeof range[0] === "number" ? range[0] : undefined;
}
