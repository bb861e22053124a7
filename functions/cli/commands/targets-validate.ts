/** `pullbridge targets validate [file]`: the targets-file parser the functions use at cold start, and its warnings. */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { validateTargets } from "../../../lib/app/validate-targets-command.ts";
import { formatTable } from "../../../lib/cli/format-table.ts";
import { ConfigError } from "../../../lib/errors.ts";
import { defineCommand, EXIT } from "../cli-command.ts";
import { FLAGS } from "../cli-flags.ts";
import { DEFAULT_TARGETS_FILE, readTargetsFile } from "../targets-file.ts";

export const targetsValidateCommand = defineCommand({
  name: "targets validate",
  operands: ["[file]"],
  usage: "[file]",
  summary: `check a targets file (default: ${DEFAULT_TARGETS_FILE})`,
  about:
    "Parses a targets file as the functions do at cold start: every problem once, a line each, at its file:line:col; then the cross-field rules (clusters, unique names, CEL) and warnings. Valid: a table of its targets.",
  flags: { targets: { ...FLAGS.targets, help: "the file to check, as [file]" } },
  examples: ["pullbridge targets validate infra/targets.yaml"],
  exitCodes: "0 valid, 1 invalid.",
  run: async ({ flags, operands, terminal, cwd }) => {
    const { p } = terminal;
    const file = operands[0] ?? flags.targets ?? DEFAULT_TARGETS_FILE;
    if (!existsSync(resolve(cwd, file))) throw new ConfigError(file, "no such file");
    const result = validateTargets({ text: await readTargetsFile(file, cwd), file });
    if (terminal.output === "json") {
      terminal.json({
        valid: true,
        file,
        targets: result.targets,
        clusters: result.clusters,
        warnings: result.warnings,
      });
      return EXIT.ok;
    }
    const clusters = Object.keys(result.clusters).length;
    const table = formatTable(
      ["TARGET", "REPO", "BRANCH", "PATH", "CLUSTER", "NAMESPACE", "PRUNE", "DRIFT", "SCHEDULED", "PREVIEW"],
      result.targets.map((t) => [
        t.name,
        t.repo,
        t.branch,
        t.path,
        t.cluster,
        t.namespace,
        String(t.prune),
        t.drift,
        String(t.scheduled),
        String(t.preview),
      ]),
    );
    terminal.out(
      `${p.green("valid")}: ${file} — ${result.targets.length} target(s), ${clusters} cluster(s)\n\n${table}\n`,
    );
    for (const warning of result.warnings) terminal.err(`${p.yellow(`warning: ${warning}`)}\n`);
    return EXIT.ok;
  },
});
