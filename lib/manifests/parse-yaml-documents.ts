/**
 * YAML/JSON text → plain JSON documents, each able to say where a path inside it was written.
 * Parsing follows what kubectl accepts (sigs.k8s.io/yaml, a YAML 1.1 reader), not YAML 1.2:
 * `mode: 0644` is the octal 420 a volume `defaultMode` expects, `yes`/`on` are booleans.
 */
import type { Document, Node, ScalarTag, Tags } from "yaml";
import { Composer, isAlias, LineCounter, Parser, visit } from "yaml";
import { ManifestError } from "../errors.ts";
import type { LineColumn, ValuePath } from "./locate-yaml-node.ts";
import { lineColumnAt, locateOffset } from "./locate-yaml-node.ts";

/**
 * Aliases one document may resolve (yaml weighs each by the size of what it copies). Plain
 * manifests rarely use anchors; a "billion laughs" document trips this long before memory does.
 */
export const MAX_ALIAS_COUNT = 100;

const TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp";
const FLOAT_TAG = "tag:yaml.org,2002:float";

/**
 * YAML 1.1 floats as sigs.k8s.io/yaml reads them: a mantissa with at least one digit. The `yaml`
 * package's 1.1 schema also takes `e0`, `E5` and `.` as floats (`e0: x` became the key `NaN`),
 * where kubectl keeps them as strings.
 */
const FLOAT_EXP = /^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9][0-9_]*)[eE][-+]?[0-9]+$/;
const FLOAT_DECIMAL = /^[-+]?(?:[0-9][0-9_]*\.[0-9_]*|\.[0-9][0-9_]*)$/;

/** The schema's tags with kubectl's reading: timestamps stay text, floats need a digit. */
function kubectlTags(tags: Tags): Tags {
  return tags
    .filter((tag) => typeof tag === "string" || tag.tag !== TIMESTAMP_TAG)
    .map((tag) => {
      if (typeof tag === "string" || tag.tag !== FLOAT_TAG || !("test" in tag) || !tag.test) return tag;
      if (!tag.test.test("e0") && !tag.test.test(".")) return tag;
      const strict: ScalarTag = { ...tag, test: tag.format === "EXP" ? FLOAT_EXP : FLOAT_DECIMAL };
      return strict;
    });
}

/** One non-empty document of a manifest file. */
export type ParsedDocument = {
  /** 0-based position in the file, counting empty documents too. */
  index: number;
  value: unknown;
  /** Where `path` (relative to the document root) is written. */
  locate: (path: ValuePath) => LineColumn;
};

/** Parses every document of one file; a document with errors contributes an error instead of a value. */
export function parseYamlDocuments(
  file: string,
  text: string,
): { documents: ParsedDocument[]; errors: ManifestError[] } {
  const documents: ParsedDocument[] = [];
  const errors: ManifestError[] = [];
  eachYamlDocument(file, text, (document) => documents.push(document), errors);
  return { documents, errors };
}

/**
 * Streams the documents of one file to `onDocument`, in order, and pushes onto `errors` (in the
 * same order) why a document could not be read. Only one document's syntax tree is alive at a
 * time (a bundle file of CRDs is megabytes of YAML), and each value is detached from the file's
 * text: V8 keeps a long string sliced out of another alive through its parent, so one retained
 * description would keep the whole file resident for the rest of the sync.
 */
export function eachYamlDocument(
  file: string,
  text: string,
  onDocument: (document: ParsedDocument) => void,
  errors: ManifestError[],
): void {
  const lineCounter = new LineCounter();
  const composer = new Composer({
    version: "1.1",
    // sigs.k8s.io/yaml keeps timestamp-looking scalars as strings (a Date would change the value)
    // and reads `e0` as a string.
    customTags: kubectlTags,
  });
  let index = 0;
  for (const doc of composer.compose(new Parser(lineCounter.addNewLine).parse(text))) {
    const value = documentValue(file, index, doc, lineCounter, errors);
    if (value !== undefined) onDocument({ index, ...value });
    index += 1;
  }
}

function documentValue(
  file: string,
  index: number,
  doc: Document.Parsed,
  lineCounter: LineCounter,
  errors: ManifestError[],
): Omit<ParsedDocument, "index"> | undefined {
  const root = doc.contents;
  const docStart = root?.range?.[0] ?? doc.range[0];
  const at = (offset: number, reason: string, cause?: unknown) => {
    const location = { file, document: index, ...lineColumnAt(lineCounter, offset) };
    errors.push(new ManifestError(location, reason, cause === undefined ? {} : { cause }));
  };
  // The first syntax error is the one to fix; the parser's follow-up errors are mostly noise.
  const syntaxError = doc.errors[0];
  if (syntaxError) {
    at(syntaxErrorOffset(doc, syntaxError), `invalid YAML: ${syntaxError.message}`, syntaxError);
    return undefined;
  }
  if (root === null) return undefined;
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    at(
      firstAliasOffset(doc) ?? docStart,
      `YAML aliases expand too much (more than ${MAX_ALIAS_COUNT} alias resolutions): refusing a possible alias bomb`,
      error,
    );
    return undefined;
  }
  if (value === null || value === undefined) return undefined;
  const locate = (path: ValuePath) => lineColumnAt(lineCounter, locateOffset(root, path, docStart));
  const nonJson = findNonJsonValue(value, []);
  if (nonJson) {
    const { line, column } = locate(nonJson.path);
    errors.push(new ManifestError({ file, document: index, line, column }, nonJson.reason));
    return undefined;
  }
  // A JSON round trip copies every string into a flat one of its own (see eachYamlDocument).
  return { value: JSON.parse(JSON.stringify(value)), locate };
}

/**
 * Where to point for a syntax error. An unclosed quote runs to the end of the file (swallowing
 * the documents after it) and the parser reports the end; the quote that opened it is what to fix.
 */
function syntaxErrorOffset(doc: Document, error: { code: string; pos: [number, number] }): number {
  if (error.code !== "MISSING_CHAR") return error.pos[0];
  let opened: number | undefined;
  visit(doc, {
    Scalar(_key, node) {
      const quoted = node.type === "QUOTE_DOUBLE" || node.type === "QUOTE_SINGLE";
      if (quoted && node.range && node.range[1] >= error.pos[0]) opened ??= node.range[0];
    },
  });
  return opened ?? error.pos[0];
}

function firstAliasOffset(doc: Document): number | undefined {
  let offset: number | undefined;
  visit(doc, {
    Alias(_key, node: Node) {
      if (isAlias(node)) offset = node.range?.[0];
      return visit.BREAK;
    },
  });
  return offset;
}

/**
 * Kubernetes objects are JSON: YAML-only values (`.inf`, `!!binary`, `!!set`) would change
 * meaning or vanish when serialised, so they are refused where they are written.
 */
function findNonJsonValue(
  value: unknown,
  path: ValuePath,
  ancestors: ReadonlySet<object> = new Set(),
): { path: ValuePath; reason: string } | undefined {
  switch (typeof value) {
    case "string":
    case "boolean":
      return undefined;
    case "number":
      return Number.isFinite(value) ? undefined : { path, reason: `${value} is not a JSON number` };
    case "object": {
      if (value === null) return undefined;
      // `data: &x {self: *x}` resolves to an object that contains itself; JSON cannot hold it.
      if (ancestors.has(value)) {
        return {
          path,
          reason: "YAML alias refers to a node that contains it: a recursive value is not JSON",
        };
      }
      const inner = new Set(ancestors).add(value);
      if (Array.isArray(value)) {
        for (const [i, item] of value.entries()) {
          const found = findNonJsonValue(item, [...path, i], inner);
          if (found) return found;
        }
        return undefined;
      }
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        return { path, reason: "value is not representable in JSON (binary, set or other YAML-only type)" };
      }
      for (const [key, item] of Object.entries(value)) {
        const found = findNonJsonValue(item, [...path, key], inner);
        if (found) return found;
      }
      return undefined;
    }
    default:
      return { path, reason: `a ${typeof value} is not representable in JSON` };
  }
}
