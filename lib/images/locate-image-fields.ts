/**
 * Finds the places in manifest text that image automation may edit, with exact source offsets
 * (from the `yaml` package's parse ranges), so an edit replaces only the tag/digest characters
 * and leaves every other byte of the file as it was.
 *
 * Two kinds of places:
 * - a scalar followed on its line by a marker comment, Flux-setter style:
 *     image: ghcr.io/acme/web:1.4.1 # {"$imagepolicy": "web"}
 *     tag: 1.4.1 # {"$imagepolicy": "web:tag"}
 *   or the shorter `# pullbridge:image web` / `# pullbridge:image web:tag`;
 *   `:tag` says the scalar holds only the tag (Helm-style values), otherwise it holds a full reference;
 * - an `images:` entry of a `kustomization.yaml` (`name`/`newName`, `newTag`, `digest`), matched to
 *   policies by repository.
 */
import { isMap, isScalar, isSeq, type Node, parseAllDocuments, type Scalar, visit, type YAMLMap } from "yaml";

/** `[start, end)` offsets into the file text. */
export type TextRange = readonly [number, number];

/** An editable scalar: where its text is, and that text (the value, without quotes). */
export type EditableScalar = { range: TextRange; text: string; line: number };

export type MarkedField = {
  kind: "marker";
  file: string;
  line: number;
  /** Policy name from the marker. */
  policy: string;
  /** `image`: the scalar is `repository:tag[@digest]`; `tag`: it is `tag[@digest]`. */
  scope: "image" | "tag";
  scalar: EditableScalar;
};

export type KustomizeField = {
  kind: "kustomize";
  file: string;
  line: number;
  /** `newName` when set (what the cluster pulls), else `name`. */
  repository: string;
  /** Index in the `images:` list, for messages. */
  index: number;
  newTag: EditableScalar | undefined;
  digest: EditableScalar | undefined;
  /** Where a missing key is inserted: end of the entry's last value, and the entry's key indentation. */
  insertAt: number;
  indent: string;
};

export type ImageField = MarkedField | KustomizeField;

/** A marked place that cannot be edited safely, with the reason (block scalar, escapes, …). */
export type LocateProblem = { file: string; line: number; reason: string };

export type LocatedFields = { fields: ImageField[]; problems: LocateProblem[] };

const FLUX_MARKER = /^\{\s*"\$imagepolicy"\s*:\s*"([^"]+)"\s*\}\s*$/;
const PULLBRIDGE_MARKER = /^pullbridge:image\s+(\S+)\s*$/;

/** Parses the text of a marker comment (after `#`); undefined when it is not one. */
export function parseMarker(comment: string): { policy: string; scope: "image" | "tag" } | undefined {
  const text = comment.trim();
  const value = FLUX_MARKER.exec(text)?.[1] ?? PULLBRIDGE_MARKER.exec(text)?.[1];
  if (value === undefined) return undefined;
  if (value.endsWith(":tag")) return { policy: value.slice(0, -":tag".length), scope: "tag" };
  return { policy: value, scope: "image" };
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf("\n"); i !== -1 && i < offset; i = text.indexOf("\n", i + 1)) line += 1;
  return line;
}

/** The scalar's value text and its range, or a reason it cannot be edited in place. */
function editable(text: string, node: Scalar): EditableScalar | string {
  const range = node.range;
  if (range === undefined || range === null) return "scalar has no source range";
  const [start, valueEnd] = range;
  const raw = text.slice(start, valueEnd);
  const line = lineOf(text, start);
  if (node.type === "PLAIN") {
    if (raw.includes("\n")) return "multi-line plain scalar";
    return { range: [start, valueEnd], text: raw, line };
  }
  if (node.type === "QUOTE_DOUBLE" || node.type === "QUOTE_SINGLE") {
    const inner = raw.slice(1, -1);
    // An escape or a fold would make text offsets and value differ: refuse rather than guess.
    if (inner !== String(node.value) || inner.includes("\\") || inner.includes("'"))
      return "quoted scalar with escapes";
    return { range: [start + 1, valueEnd - 1], text: inner, line };
  }
  return `${node.type ?? "block"} scalar cannot be edited in place`;
}

function isKustomization(file: string): boolean {
  const base = file.slice(file.lastIndexOf("/") + 1);
  return base === "kustomization.yaml" || base === "kustomization.yml" || base === "Kustomization";
}

function scalarAt(map: YAMLMap, key: string): Scalar | undefined {
  const node = map.get(key, true);
  return isScalar(node) ? node : undefined;
}

function locateKustomize(file: string, text: string, root: Node, out: LocatedFields): void {
  if (!isMap(root)) return;
  const images = root.get("images", true);
  if (!isSeq(images)) return;
  images.items.forEach((entry, index) => {
    if (!isMap(entry)) return;
    const nameNode = scalarAt(entry, "newName") ?? scalarAt(entry, "name");
    const first = entry.items[0]?.key;
    if (nameNode === undefined || !isScalar(first) || !first.range) return;
    const line = lineOf(text, first.range[0]);
    if (entry.flow) {
      out.problems.push({
        file,
        line,
        reason: `images[${index}] is a flow mapping; write it as a block mapping`,
      });
      return;
    }
    const pick = (key: string): EditableScalar | undefined | string => {
      const node = scalarAt(entry, key);
      return node === undefined ? undefined : editable(text, node);
    };
    const [newTag, digest] = [pick("newTag"), pick("digest")];
    if (typeof newTag === "string" || typeof digest === "string") {
      out.problems.push({
        file,
        line,
        reason: `images[${index}]: ${typeof newTag === "string" ? newTag : digest}`,
      });
      return;
    }
    const lineStart = text.lastIndexOf("\n", first.range[0]) + 1;
    const last = entry.items[entry.items.length - 1];
    const lastEnd =
      (isScalar(last?.value) || isMap(last?.value) || isSeq(last?.value)
        ? last.value.range?.[1]
        : undefined) ?? first.range[1];
    out.fields.push({
      kind: "kustomize",
      file,
      line,
      repository: String(nameNode.value),
      index,
      newTag,
      digest,
      insertAt: lastEnd,
      indent: " ".repeat(first.range[0] - lineStart),
    });
  });
}

/** Locates the editable image fields of one YAML file (all its documents). */
export function locateImageFields(file: string, text: string): LocatedFields {
  const out: LocatedFields = { fields: [], problems: [] };
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) return out;
  for (const doc of docs) {
    if (doc.errors.length > 0 || doc.contents === null) continue;
    if (isKustomization(file)) locateKustomize(file, text, doc.contents, out);
    visit(doc, {
      Scalar(key, node) {
        if (key === "key" || node.range === undefined || node.range === null) return;
        const valueEnd = node.range[1];
        const eol = text.indexOf("\n", valueEnd);
        const rest = text.slice(valueEnd, eol === -1 ? text.length : eol).replace(/\r$/, "");
        const comment = /^[ \t]+#(.*)$/.exec(rest)?.[1];
        const marker = comment === undefined ? undefined : parseMarker(comment);
        if (marker === undefined) return;
        const scalar = editable(text, node);
        if (typeof scalar === "string") {
          out.problems.push({
            file,
            line: lineOf(text, node.range[0]),
            reason: `marker for ${marker.policy}: ${scalar}`,
          });
          return;
        }
        out.fields.push({
          kind: "marker",
          file,
          line: scalar.line,
          policy: marker.policy,
          scope: marker.scope,
          scalar,
        });
      },
    });
  }
  return out;
}
