/**
 * Writes the generated reference pages from their sources, so they cannot drift from the code:
 *
 * - `docs/schema/targets.schema.json` and `docs/reference/targets.md` from the targets file's zod
 *   schema (`z.toJSONSchema`, descriptions from its `.describe()` texts);
 * - `docs/reference/cli.md` from the commands' own `--help` output (each command is run).
 *
 * `npm run docs:generate` writes them; `test/unit/docs/generated-reference.test.ts` regenerates them
 * in memory and fails when a committed copy differs.
 */
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import * as z from "zod";
import { targetsFileSchema } from "../../lib/config/targets.ts";
import { githubSlug } from "./markdown-anchors.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Generated files, repository-relative. */
export const GENERATED = {
  schema: "docs/schema/targets.schema.json",
  targets: "docs/reference/targets.md",
  cli: "docs/reference/cli.md",
} as const;

type JsonSchema = {
  type?: string | string[];
  description?: string;
  default?: unknown;
  const?: unknown;
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: JsonSchema | boolean;
  propertyNames?: JsonSchema;
  items?: JsonSchema;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minItems?: number;
  [key: string]: unknown;
};

/** The targets file as a JSON Schema (draft 2020-12): what a file may contain, as written (defaults optional). */
export function targetsJsonSchema(): JsonSchema {
  const schema = z.toJSONSchema(targetsFileSchema, { io: "input", target: "draft-2020-12" }) as JsonSchema;
  const { $schema, ...rest } = schema;
  return {
    $schema,
    title: "pullbridge targets file",
    description:
      "Which repository directory syncs to which cluster namespace, with what policy. Generated from lib/config/targets.ts by docs/tools/generate-reference.ts. Cross-field rules (a target's cluster must be a key of `clusters`, unique names, CEL syntax) are checked by `pullbridge targets validate`.",
    ...rest,
  };
}

/** A value in backticks for a table cell. */
function code(value: unknown): string {
  return `\`${typeof value === "string" ? value : JSON.stringify(value)}\``;
}

/** Table cells may not contain raw pipes or newlines. */
function cell(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll("\n", " ");
}

/** Limits and formats a person needs, in words. */
function constraints(schema: JsonSchema): string[] {
  const out: string[] = [];
  if (schema.minLength !== undefined && schema.maxLength !== undefined)
    out.push(`${schema.minLength}–${schema.maxLength} characters`);
  else if (schema.maxLength !== undefined) out.push(`at most ${schema.maxLength} characters`);
  else if (schema.minLength !== undefined && schema.minLength > 1)
    out.push(`at least ${schema.minLength} characters`);
  if (schema.minimum !== undefined && schema.maximum !== undefined)
    out.push(`${schema.minimum}–${schema.maximum}`);
  else if (schema.exclusiveMinimum !== undefined) out.push(`> ${schema.exclusiveMinimum}`);
  if (schema.minItems !== undefined && schema.minItems > 0) out.push(`at least ${schema.minItems}`);
  if (schema.format !== undefined) out.push(`format ${schema.format}`);
  if (schema.pattern !== undefined) out.push(`pattern ${code(schema.pattern)}`);
  return out;
}

/** The root section's heading key (rendered as "Top level"). */
const TOP = "";

type Section = { heading: string; schema: JsonSchema; intro?: string };

/** A nested object worth its own section (it has named fields). */
function isObjectWithFields(schema: JsonSchema): boolean {
  return schema.properties !== undefined;
}

/** The type column; nested objects link to their section and are queued for rendering. */
function typeOf(schema: JsonSchema, path: string, queue: Section[]): string {
  if (schema.const !== undefined) return code(schema.const);
  if (schema.enum !== undefined) return schema.enum.map(code).join(" | ");
  const variants = schema.oneOf ?? schema.anyOf;
  if (variants !== undefined) {
    if (variants.every(isObjectWithFields)) {
      queue.push({ heading: path, schema });
      return `object, see [${code(path)}](#${githubSlug(path)})`;
    }
    return variants.map((v) => typeOf(v, path, queue)).join(" or ");
  }
  if (isObjectWithFields(schema)) {
    queue.push({ heading: path, schema });
    return `object, see [${code(path)}](#${githubSlug(path)})`;
  }
  if (schema.type === "array" && schema.items !== undefined)
    return `list of ${typeOf(schema.items, `${path}[]`, queue)}`;
  if (schema.type === "object" && typeof schema.additionalProperties === "object") {
    const value = schema.additionalProperties;
    const key = schema.propertyNames;
    const keyText =
      key !== undefined && constraints(key).length > 0 ? ` (${constraints(key).join(", ")})` : "";
    const valueType = Object.keys(value).length === 0 ? "any value" : typeOf(value, `${path}.<name>`, queue);
    return `map: name${keyText} → ${valueType}`;
  }
  if (schema.type === "integer") return "integer";
  if (typeof schema.type === "string") return schema.type;
  return "any";
}

/** One section: a table of the object's fields, then the sections of its nested objects. */
function renderSection(section: Section, level: number, out: string[]): void {
  const { heading, schema } = section;
  out.push(`${"#".repeat(level)} ${heading === TOP ? "Top level" : code(heading)}`, "");
  const variants = schema.oneOf ?? schema.anyOf;
  if (variants !== undefined) {
    if (schema.description) out.push(schema.description, "");
    out.push("One of:", "");
    for (const variant of variants) {
      const discriminator = Object.entries(variant.properties ?? {}).find(([, p]) => p.const !== undefined);
      const name = discriminator ? `${discriminator[0]}: ${String(discriminator[1].const)}` : "variant";
      renderSection({ heading: `${heading} (${name})`, schema: variant }, level + 1, out);
    }
    return;
  }
  if (schema.description && heading !== TOP) out.push(schema.description, "");
  const queue: Section[] = [];
  const required = new Set(schema.required ?? []);
  out.push("| field | type | required | default | description |", "| --- | --- | --- | --- | --- |");
  for (const [name, field] of Object.entries(schema.properties ?? {})) {
    const path = `${heading === TOP ? "" : `${heading}.`}${name}`;
    const type = typeOf(field, path, queue);
    const limits = constraints(field.type === "array" && field.items ? field.items : field);
    if (field.type === "array" && field.minItems)
      limits.unshift(`at least ${field.minItems} ${field.minItems === 1 ? "item" : "items"}`);
    const description = [field.description ?? "", limits.length > 0 ? `(${limits.join("; ")})` : ""]
      .filter((t) => t !== "")
      .join(" ");
    out.push(
      `| ${code(name)} | ${cell(type)} | ${required.has(name) ? "yes" : ""} | ${
        field.default === undefined ? "" : cell(code(field.default))
      } | ${cell(description)} |`,
    );
  }
  out.push("");
  for (const nested of queue) renderSection(nested, level + 1, out);
}

/** `docs/reference/targets.md`: every field of the targets file, from the JSON Schema. */
export function targetsReferenceMarkdown(schema: JsonSchema): string {
  const out = [
    "# Targets file reference",
    "",
    "_Generated from the schema in `lib/config/targets.ts` by `npm run docs:generate`; do not edit by hand._",
    "The same schema is published as a JSON Schema, [`docs/schema/targets.schema.json`](../schema/targets.schema.json):",
    "editors that speak the YAML language server validate and complete a targets file that starts with",
    "",
    "```yaml",
    "# yaml-language-server: $schema=../docs/schema/targets.schema.json",
    "```",
    "",
    "(a path relative to the targets file, or the file's URL). A guide with examples is in",
    "[Configuration](../configuration.md). Rules that span fields — a target's `cluster` must be a key of",
    "`clusters`, target names are unique, CEL expressions compile, an image policy sets exactly one of",
    "`semver` or `regex` — are checked by `pullbridge targets validate` and when the stack is packaged, not",
    "by the JSON Schema.",
    "",
  ];
  renderSection({ heading: TOP, schema }, 2, out);
  return `${out.join("\n").trimEnd()}\n`;
}

/** Runs a command of this repository with the current Node and returns its stdout. */
function runForHelp(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [...args], { cwd: ROOT, timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${args.join(" ")} failed: ${error.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

type HelpEntry = { title: string; invocation: string; script: string; intro: string };

/** Every command a user runs, by the way they run it. */
const HELP_ENTRIES: readonly HelpEntry[] = [
  {
    title: "pullbridge",
    invocation: "pullbridge --help",
    script: "functions/cli/main.ts",
    intro:
      "The CLI: in this repository `npm run pullbridge -- <command> …`; installed from `npm pack`, `pullbridge <command> …`.",
  },
  {
    title: "npm start (local mode)",
    invocation: "npm start -- --help",
    script: "functions/local/main.ts",
    intro: "The whole bridge on one machine; see [Local mode](../local-mode.md).",
  },
  {
    title: "npm run send-push",
    invocation: "npm run send-push -- --help",
    script: "functions/local/send-push.ts",
    intro: "Delivers a signed push for a local repository to the running local bridge.",
  },
  {
    title: "npm run send-image-event",
    invocation: "npm run send-image-event -- --help",
    script: "functions/local/send-image-event.ts",
    intro: "Announces a pushed ECR image to the running local bridge (image automation).",
  },
];

/** `pullbridge <command>` words from the usage lines of the CLI's help (`diff`, `targets validate`, …). */
export function commandsInHelp(help: string): string[] {
  const commands: string[] = [];
  for (const line of help.split("\n")) {
    const match = /^\s+pullbridge ([a-z][a-z-]*)(?: ([a-z][a-z-]*))?(?=\s|$)/.exec(line);
    if (!match?.[1]) continue;
    const command = match[2] ? `${match[1]} ${match[2]}` : match[1];
    if (!commands.includes(command)) commands.push(command);
  }
  return commands;
}

function helpBlock(text: string): string[] {
  return ["```text", text.trimEnd(), "```", ""];
}

/** `docs/reference/cli.md`: each command's `--help`, and a command's own help where it has one. */
export async function cliReferenceMarkdown(): Promise<string> {
  const out = [
    "# CLI reference",
    "",
    "_Generated from each command's own `--help` output by `npm run docs:generate`; do not edit by hand._",
    "How to use the commands, with real output, is in [Using the CLI](../cli.md).",
    "",
  ];
  for (const entry of HELP_ENTRIES) {
    const help = await runForHelp([entry.script, "--help"]);
    out.push(`## ${entry.title}`, "", entry.intro, "", `\`${entry.invocation}\`:`, "", ...helpBlock(help));
    if (entry.script !== "functions/cli/main.ts") continue;
    const commands = commandsInHelp(help);
    const perCommand = await Promise.all(
      commands.map(async (command) => ({
        command,
        help: await runForHelp([entry.script, ...command.split(" "), "--help"]),
      })),
    );
    // A command with help of its own gets a section; while every command prints the global help, none does.
    for (const { command, help: own } of perCommand) {
      if (own === help) continue;
      out.push(`### pullbridge ${command}`, "", `\`pullbridge ${command} --help\`:`, "", ...helpBlock(own));
    }
  }
  return `${out.join("\n").trimEnd()}\n`;
}

/** Every generated file's expected content, keyed by repository-relative path. */
export async function generatedDocs(): Promise<Record<string, string>> {
  const schema = targetsJsonSchema();
  return {
    [GENERATED.schema]: `${JSON.stringify(schema, null, 2)}\n`,
    [GENERATED.targets]: targetsReferenceMarkdown(schema),
    [GENERATED.cli]: await cliReferenceMarkdown(),
  };
}

if (import.meta.main) {
  for (const [path, content] of Object.entries(await generatedDocs())) {
    await writeFile(new URL(path, new URL("../../", import.meta.url)), content);
    process.stdout.write(`wrote ${path}\n`);
  }
}
