import { describe, expect, it } from "vitest";
import { MAX_ALIAS_COUNT, parseYamlDocuments } from "../../../lib/manifests/parse-yaml-documents.ts";
import { loadTree, loadTreeErrors } from "../../factories/manifests.ts";

const BILLION_LAUGHS = [
  "apiVersion: v1",
  "kind: ConfigMap",
  "metadata: {name: lol}",
  'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]",
  "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]",
  "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]",
  "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]",
  "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]",
  "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]",
  "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]",
  "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]",
  "",
].join("\n");

describe("parseYamlDocuments", () => {
  it("refuses a billion-laughs alias bomb at its first alias instead of expanding it", () => {
    // Act
    const { documents, errors } = parseYamlDocuments("deploy/lol.yaml", BILLION_LAUGHS);

    // Assess
    expect(documents).toEqual([]);
    expect(errors.map((e) => ({ ...e.location, reason: e.reason }))).toEqual([
      {
        file: "deploy/lol.yaml",
        document: 0,
        line: 5,
        column: 8,
        reason: `YAML aliases expand too much (more than ${MAX_ALIAS_COUNT} alias resolutions): refusing a possible alias bomb`,
      },
    ]);
  });

  it("reports an alias bomb as part of the manifest set, with the other files' errors", () => {
    // Act
    const error = loadTreeErrors({
      "lol.yaml": BILLION_LAUGHS,
      "z.yaml": "kind: ConfigMap\nmetadata: {name: z}\n",
    });

    // Assess
    expect(error.errors.map((e) => e.location.file)).toEqual(["lol.yaml", "z.yaml"]);
  });

  it("accepts the modest anchors and merge keys people use to share labels", () => {
    // Prepare
    const text = [
      "apiVersion: v1",
      "kind: ConfigMap",
      "metadata:",
      "  name: shared",
      "  labels: &labels {app: web, tier: front}",
      "  annotations:",
      "    <<: *labels",
      "    note: merged",
      "",
    ].join("\n");

    // Act
    const [loaded] = loadTree({ "a.yaml": text });

    // Assess
    expect(loaded?.object.metadata.annotations).toEqual({ app: "web", tier: "front", note: "merged" });
  });

  it("reports the first syntax error of a document at its line:column and still parses the other documents", () => {
    // Prepare
    const text = [
      "apiVersion: v1",
      "kind: ConfigMap",
      "metadata: {name: ok}",
      "---",
      "data:",
      "  key: [unclosed",
      "---",
      "a: 1",
      "",
    ].join("\n");

    // Act
    const { documents, errors } = parseYamlDocuments("broken.yaml", text);

    // Assess
    expect(documents.map((d) => d.index)).toEqual([0, 2]);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.location).toMatchObject({ file: "broken.yaml", document: 1 });
    expect(errors[0]?.reason).toMatch(/^invalid YAML: /);
    expect(errors[0]?.location.line).toBeGreaterThanOrEqual(6);
  });

  it("refuses duplicate keys rather than silently keeping the last one", () => {
    // Prepare
    const text = [
      "apiVersion: v1",
      "kind: ConfigMap",
      "metadata: {name: dup}",
      "data:",
      "  a: one",
      "  a: two",
      "",
    ].join("\n");

    // Act
    const { errors } = parseYamlDocuments("dup.yaml", text);

    // Assess
    expect(errors.map((e) => [e.location.line, e.location.column])).toEqual([[6, 3]]);
    expect(errors[0]?.reason).toContain("unique");
  });

  it("refuses values that JSON cannot carry (.inf, !!binary) where they are written", () => {
    // Prepare
    const text = ["replicas: .inf", "---", "data:", "  blob: !!binary aGVsbG8=", ""].join("\n");

    // Act
    const { errors } = parseYamlDocuments("odd.yaml", text);

    // Assess
    expect(errors.map((e) => ({ ...e.location, reason: e.reason }))).toEqual([
      { file: "odd.yaml", document: 0, line: 1, column: 1, reason: "Infinity is not a JSON number" },
      {
        file: "odd.yaml",
        document: 1,
        line: 4,
        column: 3,
        reason: "value is not representable in JSON (binary, set or other YAML-only type)",
      },
    ]);
  });

  it("counts lines from 1 for single-line input and for CRLF files with a byte-order mark", () => {
    // Prepare
    const crlf = "\uFEFFapiVersion: v1\r\nkind: ConfigMap\r\nmetadata:\r\n  name: 7\r\n";

    // Act
    const single = parseYamlDocuments("one.yaml", "{a: 1}").documents[0]?.locate(["a"]);
    const located = parseYamlDocuments("crlf.yaml", crlf).documents[0]?.locate(["metadata", "name"]);

    // Assess
    expect(single).toEqual({ line: 1, column: 2 });
    expect(located).toEqual({ line: 4, column: 3 });
  });

  it("locates a missing field at the deepest field that exists", () => {
    // Prepare
    const text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  labels: {}\n";

    // Act
    const [document] = parseYamlDocuments("x.yaml", text).documents;

    // Assess
    expect(document?.locate(["metadata", "name"])).toEqual({ line: 3, column: 1 });
    expect(document?.locate([])).toEqual({ line: 1, column: 1 });
  });
});
