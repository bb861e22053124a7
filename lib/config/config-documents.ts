/**
 * The files of the config repository: every `*.yaml` / `*.yml` under its path is one document
 * with `version: 1`, `targets:` (as in the stack file) and `generators:`. Parsing keeps each
 * document's YAML nodes, so every later problem — a schema error, an unknown project, a target
 * beyond its project, a generated target that does not validate — points at `file:line`. Pure.
 */
import { type Document, LineCounter, parseAllDocuments } from "yaml";
import * as z from "zod";
import type { ConfigProblem, SourceLocation } from "../errors.ts";
import { lineColumnAt, locateOffset, type ValuePath } from "../manifests/locate-yaml-node.ts";
import { configProblems, describeConfigIssue } from "./config-issues.ts";
import { generatorSchema } from "./generators.ts";
import { type Target, targetSchema } from "./targets.ts";

/** Sections that live in the deployed stack file only: a config repository cannot define them. */
const STACK_ONLY = ["clusters", "projects", "keys", "configRepository"] as const;

/** One file of the config repository, as written (for the JSON Schema of the docs). */
const configDocumentSchema = z
  .strictObject({
    version: z.literal(1).describe("Format version of a config repository file; always 1."),
    targets: z
      .array(targetSchema)
      .default([])
      .describe("Targets, as in the stack file; each names a `project`."),
    generators: z.array(generatorSchema).default([]).describe("Generators: targets made from a template."),
  })
  .describe("One file of the config repository.");

/**
 * The same document checked in two steps: its shape first, then each target and generator on its
 * own, so one bad entry does not hide the problems of the others (every error is reported).
 */
const documentShape = z.strictObject({
  version: z.literal(1),
  targets: z.array(z.unknown()).default([]),
  generators: z.array(z.unknown()).default([]),
});

type ConfigDocument = z.infer<typeof configDocumentSchema>;
export type Generator = ConfigDocument["generators"][number];

/** A parsed file: its valid entries (with their index in the file) and how to turn a value path into a line. */
export type ParsedFile = {
  /** Repository-relative path (`pullbridge/apps.yaml`): what check-run annotations name. */
  file: string;
  document: {
    targets: { index: number; target: Target }[];
    generators: { index: number; spec: Generator }[];
    /** Targets the schema refused, as written: their references are still checked, so every problem shows at once. */
    refused: { index: number; raw: unknown }[];
  };
  locate: (path: ValuePath) => SourceLocation;
};

/** Validates each entry of a list with `schema`; problems are located under `[field, index]`. */
function entries<T>(
  items: readonly unknown[],
  field: string,
  schema: z.ZodType<T>,
  locate: (path: ValuePath) => SourceLocation,
  problems: ConfigProblem[],
): { index: number; value: T }[] {
  return items.flatMap((item, index) => {
    const result = schema.safeParse(item, { error: describeConfigIssue });
    if (result.success) return [{ index, value: result.data }];
    const issues = result.error.issues.map((issue) => ({ ...issue, path: [field, index, ...issue.path] }));
    problems.push(...configProblems(issues, locate));
    return [];
  });
}

/** Every file that parsed and validated, and every problem of those that did not. */
export type ParsedConfig = { files: ParsedFile[]; problems: ConfigProblem[] };

const isYaml = (path: string) => /\.ya?ml$/i.test(path);

/** Parses and validates the YAML files among `files` (path → text); problems name `file:line`. */
export function parseConfigDocuments(files: ReadonlyMap<string, string>): ParsedConfig {
  const parsed: ParsedFile[] = [];
  const problems: ConfigProblem[] = [];
  for (const [file, text] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
    if (!isYaml(file)) continue;
    const lineCounter = new LineCounter();
    const docs = parseAllDocuments(text, { prettyErrors: true, lineCounter });
    const nonEmpty = (Array.isArray(docs) ? docs : []).filter((d) => d.contents !== null);
    const at = (offset: number): SourceLocation => ({ file, ...lineColumnAt(lineCounter, offset) });
    if (nonEmpty.length === 0) continue;
    const [doc, second] = nonEmpty as [Document.Parsed, ...Document.Parsed[]];
    if (second !== undefined) {
      problems.push({
        location: at(second.range[0]),
        reason: "one document per file: split the `---` documents into files of their own",
      });
      continue;
    }
    if (doc.errors.length > 0) {
      for (const error of doc.errors) {
        problems.push({
          location: error.linePos?.[0]
            ? { file, line: error.linePos[0].line, column: error.linePos[0].col }
            : { file },
          reason: (error.message.split("\n")[0] ?? "invalid YAML").replace(/ at line \d+, column \d+:?$/, ""),
        });
      }
      continue;
    }
    const locate = (path: ValuePath) => at(locateOffset(doc.contents, path, 0));
    const raw: unknown = doc.toJS({ maxAliasCount: 100 });
    const stackOnly = typeof raw === "object" && raw !== null ? STACK_ONLY.filter((key) => key in raw) : [];
    for (const key of stackOnly) {
      problems.push({
        location: locate([key]),
        field: key,
        reason: `\`${key}\` live in the deployed stack file (infra/targets.yaml), not in the config repository: refer to them by name`,
      });
    }
    const cleaned =
      stackOnly.length > 0
        ? Object.fromEntries(Object.entries(raw as object).filter(([k]) => !stackOnly.includes(k as never)))
        : raw;
    const result = documentShape.safeParse(cleaned, { error: describeConfigIssue });
    if (!result.success) {
      problems.push(...configProblems(result.error.issues, locate));
      continue;
    }
    const targets = entries(result.data.targets, "targets", targetSchema, locate, problems);
    const generators = entries(result.data.generators, "generators", generatorSchema, locate, problems);
    parsed.push({
      file,
      document: {
        targets: targets.map(({ index, value }) => ({ index, target: value })),
        generators: generators.map(({ index, value }) => ({ index, spec: value })),
        refused: result.data.targets.flatMap((raw, index) =>
          targets.some((t) => t.index === index) ? [] : [{ index, raw }],
        ),
      },
      locate,
    });
  }
  return { files: parsed, problems };
}

/** A target written by hand in the config repository, with where it is written. */
export type WrittenTarget = { target: Target; file: ParsedFile; index: number };

/** Hand-written targets of every parsed file, in file order. */
export function writtenTargets(config: ParsedConfig): WrittenTarget[] {
  return config.files.flatMap((file) =>
    file.document.targets.map(({ target, index }) => ({ target, file, index })),
  );
}
