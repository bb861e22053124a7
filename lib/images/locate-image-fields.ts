/**
 * Finds the places in manifest text that image automation may edit, with exact source offsets
 * (from the `yaml` package's parse ranges), so an edit replaces only the tag/digest characters
 * and leaves every other byte of the file as it was.
 *
 * Two kinds of places, and each scalar belongs to at most one of them (one field, one rule):
 * - a scalar followed on its line by a marker comment, Flux-setter style:
 *     image: ghcr.io/acme/web:1.4.1 # {"$imagepolicy": "web"}
 *     tag: 1.4.1 # {"$imagepolicy": "web:tag"}
 *   or the shorter `# pullbridge:image web` / `# pullbridge:image web:tag`. The scope says what the
 *   scalar holds: the full reference (no suffix), only the tag (`:tag`, Helm-style values), only
 *   the repository (`:name`, never edited: the policy fixes it) or only the digest (`:digest`).
 *   Markers of one policy in one mapping form a group that is decided once;
 * - an `images:` entry of a `kustomization.yaml` (`name`/`newName`, `newTag`, `digest`), matched to
 *   policies by repository — unless its tag or digest carries a marker: then the markers own the
 *   entry, as in Flux, and the entry rule leaves it alone.
 */
import {
  type Document,
  isMap,
  isScalar,
  isSeq,
  type Node,
  parseAllDocuments,
  parseDocument,
  type Scalar,
  visit,
  type YAMLMap,
} from "yaml";

/** `[start, end)` offsets into the file text. */
export type TextRange = readonly [number, number];

/**
 * An editable scalar: its value text (without quotes) and where that text is; `outer` includes the
 * quotes (equal to `range` for a plain scalar, which a new value may need to be quoted in).
 */
export type EditableScalar = {
  range: TextRange;
  outer: TextRange;
  text: string;
  line: number;
  plain: boolean;
};

export type MarkerScope = "image" | "tag" | "name" | "digest";

export type MarkedField = {
  kind: "marker";
  file: string;
  line: number;
  /** Policy name from the marker. */
  policy: string;
  /** What the scalar holds: `repository:tag[@digest]`, `tag[@digest]`, the repository, or the digest. */
  scope: MarkerScope;
  scalar: EditableScalar;
  /** Fields with the same group and policy are decided together (offset of their mapping). */
  group: number;
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
  /** Where a missing key's line is inserted (a line start, or the end of a file without a final line break). */
  insertAt: number;
  /** Key indentation of the entry, and the line break to write (the file's own). */
  indent: string;
  eol: string;
  /** True when `insertAt` is the end of a file whose last line has no line break. */
  atEof: boolean;
};

export type ImageField = MarkedField | KustomizeField;

/** A marked place that cannot be edited safely, with the reason (block scalar, escapes, …). */
export type LocateProblem = { file: string; line: number; reason: string };

export type LocatedFields = { fields: ImageField[]; problems: LocateProblem[] };

const FLUX_MARKER = /^\{\s*"\$imagepolicy"\s*:\s*"([^"]+)"\s*\}\s*$/;
const PULLBRIDGE_MARKER = /^pullbridge:image\s+(\S+)\s*$/;
const SCOPES = ["tag", "name", "digest"] as const;

/** Parses the text of a marker comment (after `#`); undefined when it is not one. */
export function parseMarker(comment: string): { policy: string; scope: MarkerScope } | undefined {
  const text = comment.trim();
  const value = FLUX_MARKER.exec(text)?.[1] ?? PULLBRIDGE_MARKER.exec(text)?.[1];
  if (value === undefined) return undefined;
  for (const scope of SCOPES)
    if (value.endsWith(`:${scope}`)) return { policy: value.slice(0, -scope.length - 1), scope };
  return { policy: value, scope: "image" };
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf("\n"); i !== -1 && i < offset; i = text.indexOf("\n", i + 1)) line += 1;
  return line;
}

/** The marker comment that follows a scalar on its own line, if any. */
function markerAfter(text: string, node: Scalar): { policy: string; scope: MarkerScope } | undefined {
  const end = node.range?.[1];
  if (end === undefined) return undefined;
  const eol = text.indexOf("\n", end);
  const rest = text.slice(end, eol === -1 ? text.length : eol).replace(/\r$/, "");
  const comment = /^[ \t]+#(.*)$/.exec(rest)?.[1];
  return comment === undefined ? undefined : parseMarker(comment);
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
    return { range: [start, valueEnd], outer: [start, valueEnd], text: raw, line, plain: true };
  }
  if (node.type === "QUOTE_DOUBLE" || node.type === "QUOTE_SINGLE") {
    const inner = raw.slice(1, -1);
    // An escape or a fold would make text offsets and value differ: refuse rather than guess.
    if (inner !== String(node.value) || inner.includes("\\") || inner.includes("'"))
      return "quoted scalar with escapes";
    return { range: [start + 1, valueEnd - 1], outer: [start, valueEnd], text: inner, line, plain: false };
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

/** The file's line break: CRLF when its first line ends so, else LF. */
function lineBreakOf(text: string): string {
  const lf = text.indexOf("\n");
  return lf > 0 && text[lf - 1] === "\r" ? "\r\n" : "\n";
}

/**
 * Where a new key line goes after a value ending at `end`: the start of the next line, so a
 * trailing comment stays on its own line; that line's own break is reused.
 */
function lineAfter(text: string, end: number): { at: number; eol: string; atEof: boolean } {
  let last = end;
  while (last > 0 && /\s/.test(text[last - 1] ?? "")) last -= 1;
  const lf = text.indexOf("\n", last);
  if (lf === -1) return { at: text.length, eol: lineBreakOf(text), atEof: true };
  return { at: lf + 1, eol: text[lf - 1] === "\r" ? "\r\n" : "\n", atEof: false };
}

function locateKustomize(
  file: string,
  text: string,
  root: Node,
  out: LocatedFields,
  owned: Set<Scalar>,
): void {
  if (!isMap(root)) return;
  const images = root.get("images", true);
  if (!isSeq(images)) return;
  images.items.forEach((entry, index) => {
    if (!isMap(entry)) return;
    const nameNode = scalarAt(entry, "newName") ?? scalarAt(entry, "name");
    const first = entry.items[0]?.key;
    if (nameNode === undefined || !isScalar(first) || !first.range) return;
    const line = lineOf(text, first.range[0]);
    const values = entry.items.map((pair) => pair.value).filter((v): v is Scalar => isScalar(v));
    // A marker that writes the tag or digest makes the entry its markers' (one field, one rule); a
    // `:name` marker alone writes nothing, so the entry rule keeps the entry.
    if (values.some((v) => (markerAfter(text, v)?.scope ?? "name") !== "name")) {
      // A digest the markers do not write would still override the tag they write: refuse rather
      // than commit an edit with no effect.
      const digest = scalarAt(entry, "digest");
      if (digest !== undefined && markerAfter(text, digest) === undefined) {
        for (const v of values) owned.add(v);
        out.problems.push({
          file,
          line,
          reason: `images[${index}] has markers but its digest has none, and the digest overrides the tag they write: mark it (\`# {"$imagepolicy": "<policy>:digest"}\`) or remove it`,
        });
      }
      return;
    }
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
    const lastNode = last?.value ?? last?.key;
    const lastEnd =
      (isScalar(lastNode) || isMap(lastNode) || isSeq(lastNode) ? lastNode.range?.[1] : undefined) ??
      first.range[1];
    const after = lineAfter(text, lastEnd);
    out.fields.push({
      kind: "kustomize",
      file,
      line,
      repository: String(nameNode.value),
      index,
      newTag,
      digest,
      insertAt: after.at,
      indent: " ".repeat(first.range[0] - lineStart),
      eol: after.eol,
      atEof: after.atEof,
    });
  });
}

/** A document the parser refused: reported when it is one image automation would read. */
function brokenDocument(file: string, text: string, doc: Document.Parsed): LocateProblem | undefined {
  const [start, , end] = doc.range;
  const source = text.slice(start, end);
  if (!isKustomization(file) && !/\$imagepolicy|pullbridge:image/.test(source)) return undefined;
  const error = doc.errors[0];
  const line = error?.linePos?.[0].line ?? lineOf(text, start);
  const message = (error?.message ?? "not valid YAML")
    .split("\n")[0]
    ?.replace(/ at line \d+, column \d+:?$/, "");
  return { file, line, reason: `not valid YAML (${message}); image fields in it are not edited` };
}

/** Locates the editable image fields of one YAML file (all its documents). */
export function locateImageFields(file: string, text: string): LocatedFields {
  const out: LocatedFields = { fields: [], problems: [] };
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) return out;
  for (const doc of docs) {
    if (doc.errors.length > 0) {
      const problem = brokenDocument(file, text, doc);
      if (problem !== undefined) out.problems.push(problem);
      continue;
    }
    if (doc.contents === null) continue;
    const owned = new Set<Scalar>();
    if (isKustomization(file)) locateKustomize(file, text, doc.contents, out, owned);
    visit(doc, {
      Scalar(key, node, path) {
        if (key === "key" || owned.has(node) || node.range === undefined || node.range === null) return;
        const marker = markerAfter(text, node);
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
        // A mapping value groups with its siblings; a sequence item stands alone.
        const parent = path[path.length - 2];
        const group = isMap(parent) ? (parent.range?.[0] ?? node.range[0]) : node.range[0];
        out.fields.push({
          kind: "marker",
          file,
          line: scalar.line,
          policy: marker.policy,
          scope: marker.scope,
          scalar,
          group,
        });
      },
    });
  }
  return out;
}

/** True when `value`, written as a plain scalar, reads back as that same string in YAML 1.2 and 1.1 (Helm's parser). */
export function readsAsString(value: string): boolean {
  for (const version of ["1.2", "1.1"] as const) {
    const doc = parseDocument(value, { version });
    if (doc.errors.length > 0 || !isScalar(doc.contents) || doc.contents.value !== value) return false;
  }
  return true;
}
