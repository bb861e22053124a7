/** JSON pointers (RFC 6901) into plain objects: addressing single fields of a Kubernetes object. Pure. */

/** `["data", "tls.crt"]` → `/data/tls.crt` (`~` and `/` escaped). */
export function toPointer(path: readonly (string | number)[]): string {
  return path.map((part) => `/${String(part).replaceAll("~", "~0").replaceAll("/", "~1")}`).join("");
}

/** `/data/tls.crt` → `["data", "tls.crt"]`. */
export function fromPointer(pointer: string): string[] {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((part) => part.replaceAll("~1", "/").replaceAll("~0", "~"));
}

/** The value at `pointer`, or undefined. */
export function valueAt(root: unknown, pointer: string): unknown {
  let node: unknown = root;
  for (const part of fromPointer(pointer)) {
    if (Array.isArray(node)) node = node[Number(part)];
    else if (typeof node === "object" && node !== null) node = (node as Record<string, unknown>)[part];
    else return undefined;
  }
  return node;
}

/** A copy of `root` with the value at `pointer` replaced (nothing happens when the path does not exist). */
export function withValueAt<T>(root: T, pointer: string, value: unknown): T {
  const parts = fromPointer(pointer);
  const replace = (node: unknown, depth: number): unknown => {
    if (depth === parts.length) return value;
    const part = parts[depth] ?? "";
    if (Array.isArray(node)) {
      const index = Number(part);
      if (!(index in node)) return node;
      return node.map((item, i) => (i === index ? replace(item, depth + 1) : item));
    }
    if (typeof node === "object" && node !== null && part in node) {
      const record = node as Record<string, unknown>;
      return { ...record, [part]: replace(record[part], depth + 1) };
    }
    return node;
  };
  return replace(root, 0) as T;
}
