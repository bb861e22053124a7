/**
 * `--help` text, printed from the same tables the command line is parsed with (command-line.ts):
 * the program's help lists its commands, a command's help its usage, what it does, every flag it
 * takes, examples and exit codes.
 */
import type { FlagSpec, FlagTable } from "./command-line.ts";

/** What help needs to know about a command. */
export type HelpEntry = {
  /** `diff`, `targets validate`. */
  readonly name: string;
  /** What follows the name in a usage line: `<dir> [options]`. */
  readonly usage: string;
  /** One sentence for the program's command list. */
  readonly summary: string;
  /** Paragraphs (separated by blank lines) for the command's own help. */
  readonly about: string;
  readonly flags: FlagTable;
  readonly examples: readonly string[];
  readonly exitCodes: string;
};

const WIDTH = 110;
/** Where a flag's description starts: two spaces, a 22-column label, two spaces. */
const FLAG_COLUMN = 26;
/** Where a command's summary starts in the program's help. */
const COMMAND_COLUMN = 42;

/** `text`'s paragraphs wrapped at `width`, each line after `indent` spaces; blank lines kept. */
function wrap(text: string, width: number, indent = 0): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split("\n")) {
    let line = "";
    for (const word of paragraph.split(" ").filter((w) => w !== "")) {
      if (line !== "" && indent + line.length + 1 + word.length > width) {
        lines.push(`${" ".repeat(indent)}${line}`);
        line = word;
      } else line = line === "" ? word : `${line} ${word}`;
    }
    lines.push(line === "" ? "" : `${" ".repeat(indent)}${line}`);
  }
  return lines;
}

/** `label` in the left column, `text` wrapped beside it from `column` (below it when the label is too wide). */
function row(label: string, text: string, column: number): string[] {
  const [first = "", ...rest] = wrap(text, WIDTH, column);
  const head = `  ${label}`;
  if (head.length + 2 > column) return [head, first, ...rest];
  return [`${head.padEnd(column)}${first.trimStart()}`, ...rest];
}

/** How help names a flag: `-n, --namespace <ns>`, `--no-prune` for a switch that is on by default. */
function flagLabel(name: string, spec: FlagSpec): string {
  const long =
    spec.type === "boolean"
      ? spec.default === true
        ? `--no-${name}`
        : `--${name}`
      : `--${name} ${spec.arg}`;
  return spec.short === undefined ? long : `-${spec.short}, ${long}`;
}

/** The flags of `table`, grouped by section in the order sections first appear. */
function flagSections(table: FlagTable): string[] {
  const sections = new Map<string, string[]>();
  for (const [name, spec] of Object.entries(table)) {
    const section = spec.section ?? "Options";
    const lines = sections.get(section) ?? [];
    lines.push(...row(flagLabel(name, spec), spec.help, FLAG_COLUMN));
    sections.set(section, lines);
  }
  return [...sections].flatMap(([section, lines]) => [`${section}:`, ...lines, ""]);
}

/** A command's usage line: `pullbridge diff <dir> [options]`. */
function usageLine(program: string, entry: HelpEntry): string {
  return `${program} ${entry.name}${entry.usage === "" ? "" : ` ${entry.usage}`}`;
}

/** The program's `--help`: its commands (one usage line and summary each), the flags every command takes, examples. */
export function formatProgramHelp(options: {
  program: string;
  title: string;
  commands: readonly HelpEntry[];
  globalFlags: FlagTable;
  footer: string;
}): string {
  const { program, commands } = options;
  return [
    options.title,
    "",
    "Usage:",
    ...commands.flatMap((entry) => row(usageLine(program, entry), entry.summary, COMMAND_COLUMN)),
    "",
    ...wrap(`Run "${program} <command> --help" for what a command does, its flags and exit codes.`, WIDTH),
    "",
    ...flagSections(options.globalFlags),
    "Examples:",
    ...commands.flatMap((entry) => entry.examples.map((example) => `  ${example}`)),
    "",
    ...wrap(options.footer, WIDTH),
  ]
    .join("\n")
    .concat("\n");
}

/** One command's `--help`. */
export function formatCommandHelp(options: {
  program: string;
  entry: HelpEntry;
  globalFlags: FlagTable;
}): string {
  const { program, entry } = options;
  return [
    ...wrap(`${program} ${entry.name} — ${entry.summary}`, WIDTH),
    "",
    "Usage:",
    `  ${usageLine(program, entry)}`,
    "",
    ...wrap(entry.about, WIDTH),
    "",
    ...flagSections(entry.flags),
    ...flagSections(options.globalFlags),
    ...(entry.examples.length > 0 ? ["Examples:", ...entry.examples.map((e) => `  ${e}`), ""] : []),
    ...wrap(`Exit codes: ${entry.exitCodes}`, WIDTH),
  ]
    .join("\n")
    .concat("\n");
}
