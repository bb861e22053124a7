import { describe, expect, it } from "vitest";
import type { FlagTable } from "../../../lib/cli/command-line.ts";
import { formatCommandHelp, formatProgramHelp, type HelpEntry } from "../../../lib/cli/format-help.ts";

const GLOBAL = {
  output: { type: "string", short: "o", arg: "<format>", help: "text or json", section: "Every command" },
} as const satisfies FlagTable;

const deploy: HelpEntry = {
  name: "deploy",
  usage: "<dir> [options]",
  summary: "deploy <dir>",
  about: "Deploys <dir>.\n\nSecond paragraph.",
  flags: {
    namespace: { type: "string", short: "n", arg: "<ns>", help: "the namespace" },
    prune: { type: "boolean", default: true, help: "keep what left <dir>" },
    "allow-namespace-and-more": {
      type: "string",
      arg: "<ns>",
      section: "Policy",
      help: `${"word ".repeat(30)}end`,
    },
  },
  examples: ["tool deploy web/ -n apps"],
  exitCodes: "0 deployed, 1 error.",
};

const repair: HelpEntry = {
  name: "inventory repair",
  usage: "--target <name>",
  summary: "repair an inventory",
  about: "Repairs.",
  flags: {},
  examples: [],
  exitCodes: "0, 1.",
};

describe("formatCommandHelp", () => {
  it("prints usage, paragraphs, each flag under its section (negated when on by default), examples and exit codes", () => {
    // Act
    const help = formatCommandHelp({ program: "tool", entry: deploy, globalFlags: GLOBAL });

    // Assess
    expect(help).toBe(
      [
        "tool deploy — deploy <dir>",
        "",
        "Usage:",
        "  tool deploy <dir> [options]",
        "",
        "Deploys <dir>.",
        "",
        "Second paragraph.",
        "",
        "Options:",
        "  -n, --namespace <ns>    the namespace",
        "  --no-prune              keep what left <dir>",
        "",
        "Policy:",
        "  --allow-namespace-and-more <ns>",
        `                          ${"word ".repeat(17).trimEnd()}`,
        `                          ${"word ".repeat(13)}end`,
        "",
        "Every command:",
        "  -o, --output <format>   text or json",
        "",
        "Examples:",
        "  tool deploy web/ -n apps",
        "",
        "Exit codes: 0 deployed, 1 error.",
        "",
      ].join("\n"),
    );
    expect(Math.max(...help.split("\n").map((line) => line.length))).toBeLessThanOrEqual(110);
  });
});

describe("formatProgramHelp", () => {
  it("lists every command's usage with its summary beside it, or below a long usage, then the common flags and every example", () => {
    // Act
    const help = formatProgramHelp({
      program: "tool",
      title: "tool — does things.",
      commands: [deploy, { ...repair, usage: `--target <name> ${"[--flag <value>] ".repeat(2)}` }],
      globalFlags: GLOBAL,
      footer: "Exit codes: 0, 1.",
    });

    // Assess
    expect(help).toBe(
      [
        "tool — does things.",
        "",
        "Usage:",
        "  tool deploy <dir> [options]             deploy <dir>",
        "  tool inventory repair --target <name> [--flag <value>] [--flag <value>] ",
        "                                          repair an inventory",
        "",
        'Run "tool <command> --help" for what a command does, its flags and exit codes.',
        "",
        "Every command:",
        "  -o, --output <format>   text or json",
        "",
        "Examples:",
        "  tool deploy web/ -n apps",
        "",
        "Exit codes: 0, 1.",
        "",
      ].join("\n"),
    );
  });
});
