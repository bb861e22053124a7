/**
 * Property-generated bad manifest trees for the reliability suite: a few valid files and one
 * file with exactly one defect of a known class, placed among valid documents, with the lines
 * the defective document occupies — so a test can check that the failure names that file and a
 * line inside that document.
 */
import fc from "fast-check";

/** The defect classes; each one makes loading fail for certain. */
export const DEFECTS = [
  "missing-field",
  "wrong-type",
  "invalid-name",
  "yaml-syntax",
  "unknown-alias",
  "alias-cycle",
  "alias-bomb",
  "non-json-value",
  "not-a-mapping",
  "duplicate-object",
  "invalid-utf8",
] as const;
export type Defect = (typeof DEFECTS)[number];

export type BadTree = {
  files: Record<string, string | Uint8Array>;
  /** The file the failure must name. */
  badFile: string;
  /** 1-based first and last line of the defective document in `badFile`. */
  badLines: readonly [number, number];
  defect: Defect;
};

const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}[a-z0-9]$/);
const value = fc.stringMatching(/^[A-Za-z0-9 ._-]{0,30}$/);

const configMapLines = (namespace: string, objectName: string, entries: ReadonlyArray<[string, string]>) => [
  "apiVersion: v1",
  "kind: ConfigMap",
  "metadata:",
  `  name: ${objectName}`,
  `  namespace: ${namespace}`,
  "data:",
  ...(entries.length === 0 ? ["  empty: ''"] : entries.map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`)),
];

const entries = fc.uniqueArray(fc.tuple(name, value), { maxLength: 3, selector: ([k]) => k });

/** The lines of one defective document (the defect decides them; the rest is a plausible object). */
function defectiveDocument(
  defect: Defect,
  namespace: string,
  objectName: string,
  data: ReadonlyArray<[string, string]>,
  pick: number,
): string[] {
  const base = configMapLines(namespace, objectName, data);
  switch (defect) {
    case "missing-field": {
      const drop = ["apiVersion: v1", "kind: ConfigMap", `  name: ${objectName}`][pick % 3];
      return base.filter((line) => line !== drop);
    }
    case "wrong-type":
      return [
        ["apiVersion: 5", ...base.slice(1)],
        ["apiVersion: v1", "kind: [ConfigMap]", ...base.slice(2)],
        [...base.slice(0, 3), `  name: [${objectName}]`, ...base.slice(4)],
        ["apiVersion: v1", "kind: ConfigMap", `metadata: ${objectName}`],
      ][pick % 4] as string[];
    case "invalid-name":
      return [
        ...base.slice(0, 3),
        `  name: ${["Upper", "under_score", "x".repeat(254), "-lead"][pick % 4]}${objectName}`,
        ...base.slice(4),
      ];
    case "yaml-syntax":
      return [
        [...base, '  broken: "unclosed'],
        [...base, "  list: [a, b"],
        [...base.slice(0, 6), "\tindented: with a tab"],
        [...base, "  key: value: another"],
      ][pick % 4] as string[];
    case "unknown-alias":
      return [...base, "  copied: *nowhere"];
    case "alias-cycle":
      return [...base.slice(0, 5), "data: &loop {self: *loop}"];
    case "alias-bomb":
      return [
        ...base.slice(0, 5),
        "x:",
        "  a: &a [x, x, x, x, x, x, x, x, x, x]",
        "  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]",
        "  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]",
        "  d: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]",
      ];
    case "non-json-value":
      return [...base, ["  ratio: .inf", "  blob: !!binary aGVsbG8=", "  nan: .nan"][pick % 3] as string];
    case "not-a-mapping":
      return [["- just", "- a list"], ["plain text"], ["42"]][pick % 3] as string[];
    case "duplicate-object":
    case "invalid-utf8":
      return base;
  }
}

/** A tree with one defect among valid documents; objects live in `namespace`. */
export function badManifestTree(namespace = "team-a"): fc.Arbitrary<BadTree> {
  return fc
    .record({
      defect: fc.constantFrom(...DEFECTS),
      pick: fc.nat({ max: 11 }),
      names: fc.uniqueArray(name, { minLength: 6, maxLength: 6 }),
      data: entries,
      before: fc.nat({ max: 2 }),
      after: fc.nat({ max: 2 }),
      dir: fc.constantFrom("deploy", "deploy/apps", "deploy/base/config"),
      ext: fc.constantFrom("yaml", "yml", "json"),
    })
    .map(({ defect, pick, names, data, before, after, dir, ext }) => {
      const [badName = "bad", ...others] = names;
      const valid = (i: number) => configMapLines(namespace, others[i] ?? `ok-${i}`, data);
      const docs: string[][] = [];
      for (let i = 0; i < before; i++) docs.push(valid(i));
      const badIndex = docs.length;
      // A duplicate repeats the first valid file's object; otherwise the defect is in this document.
      docs.push(
        defect === "duplicate-object"
          ? configMapLines(namespace, others[5] ?? "dup", data)
          : defectiveDocument(defect, namespace, badName, data, pick),
      );
      for (let i = 0; i < after; i++) docs.push(valid(before + i));
      // `---` before every document: line numbers are then easy to tell apart.
      const lines: string[] = [];
      let badLines: [number, number] = [1, 1];
      docs.forEach((doc, i) => {
        lines.push("---");
        const start = lines.length + 1;
        lines.push(...doc);
        if (i === badIndex) badLines = [start, lines.length];
      });
      const text = `${lines.join("\n")}\n`;
      // JSON extensions are parsed as YAML (JSON is YAML); the name only changes which file is picked.
      const badFile = `${dir}/bad-${badName}.${ext}`;
      const files: Record<string, string | Uint8Array> = {
        "deploy/00-valid.yaml": `${configMapLines(namespace, others[5] ?? "dup", [["k", "v"]]).join("\n")}\n`,
        [badFile]:
          defect === "invalid-utf8"
            ? Uint8Array.from([...new TextEncoder().encode(text), 0xff, 0xfe, 0x0a])
            : text,
      };
      return { files, badFile, badLines, defect };
    });
}
