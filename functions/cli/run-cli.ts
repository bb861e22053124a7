/**
 * The CLI's dispatcher: argv is read once against every command's flags, the terminal (output
 * format, colour, TTY, environment) is resolved once, the command named by the first words runs
 * with exactly its own flags, and whatever it throws becomes error lines on stderr (and the JSON
 * error on stdout with `-o json`) and exit code 1. The commands are in commands/, listed in
 * command-registry.ts.
 */
import {
  type CommandLine,
  type FlagValues,
  flagValues,
  readCommandLine,
} from "../../lib/cli/command-line.ts";
import { adHocFlagHints, cliErrorJson, formatCliError } from "../../lib/cli/format-cli-error.ts";
import { formatCommandHelp, formatProgramHelp } from "../../lib/cli/format-help.ts";
import { createPalette, shouldUseColour } from "../../lib/cli/palette.ts";
import type { TerminalEnv } from "../../lib/config/terminal-env.ts";
import { ConfigError } from "../../lib/errors.ts";
import { PULLBRIDGE_VERSION } from "../../lib/sync/tooling-version.ts";
import { type CliCommand, EXIT, type Terminal } from "./cli-command.ts";
import { GLOBAL_FLAGS } from "./cli-flags.ts";
import { COMMANDS, PROGRAM_FOOTER, PROGRAM_TITLE } from "./command-registry.ts";
import { connectKubeconfig } from "./kube-connection.ts";
import { type ClusterConnection, connectTargetCluster, reachesThroughTargetsFile } from "./target-cluster.ts";
import { targetOfFile } from "./targets-file.ts";

/** Where the CLI reads and writes; `main.ts` passes the process's. */
export type CliIo = {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  stdoutIsTty: boolean;
  stderrIsTty: boolean;
  env: TerminalEnv;
  cwd: string;
  now: () => Date;
};

const PROGRAM = "pullbridge";

/** Runs one CLI invocation and returns its exit code; never throws. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let line: CommandLine;
  let global: FlagValues<typeof GLOBAL_FLAGS>;
  try {
    line = readCommandLine(argv, [GLOBAL_FLAGS, ...COMMANDS.map((c) => c.flags)]);
    global = flagValues(line, GLOBAL_FLAGS);
  } catch (error) {
    // Before the output format is known: a usage line on stderr only.
    io.stderr(
      `error: ${error instanceof Error ? error.message : String(error)}\nRun "${PROGRAM} --help" for usage.\n`,
    );
    return EXIT.error;
  }
  const terminal = resolveTerminal(io, global.output);
  if (global.version) {
    terminal.out(`${PROGRAM} ${PULLBRIDGE_VERSION}\n`);
    return EXIT.ok;
  }
  const [first, ...rest] = line.positionals;
  const asksHelp = global.help || first === "help";
  const words = first === "help" ? rest : line.positionals;
  let connection: ClusterConnection | undefined;
  let command: CliCommand | undefined;
  try {
    if (words.length === 0) {
      terminal.out(programHelp());
      return asksHelp ? EXIT.ok : EXIT.error;
    }
    const named = commandsNamed(words);
    if (asksHelp && named.length > 0) {
      // A group's help (`pullbridge images --help`) is that of each of its commands.
      terminal.out(
        named
          .map((entry) => formatCommandHelp({ program: PROGRAM, entry, globalFlags: GLOBAL_FLAGS }))
          .join("\n"),
      );
      return EXIT.ok;
    }
    command = findCommand(words, named);
    const name = command.name;
    const flags = flagValues(line, command.flags, {
      besides: GLOBAL_FLAGS,
      misplaced: (flag) => misplacedFlag(flag, name),
    });
    const operands = words.slice(name.split(" ").length);
    checkOperands(command, operands);
    return await command.run({
      flags,
      operands,
      terminal,
      cwd: io.cwd,
      now: io.now,
      async connect(options) {
        const fileTarget =
          options.targets === undefined || options.kubeconfig !== undefined || options.context !== undefined
            ? undefined
            : await targetOfFile(options.targets, options.target, io.cwd);
        connection =
          fileTarget !== undefined && reachesThroughTargetsFile(fileTarget.file, fileTarget.target)
            ? await connectTargetCluster({ ...fileTarget, region: io.env.awsRegion, now: io.now })
            : await connectKubeconfig({
                kubeconfig: options.kubeconfig,
                context: options.context,
                env: io.env,
              });
        return connection;
      },
    });
  } catch (error) {
    printError(terminal, error, {
      server: connection?.server,
      // The refusals a flag lifts name the targets-file setting: name the flag too, where there is one.
      hints: command?.flags["cluster-scoped"] !== undefined && line.values.targets === undefined,
    });
    return EXIT.error;
  }
}

/** Output format, colour and TTY, decided once for the whole run. */
function resolveTerminal(io: CliIo, output: "text" | "json"): Terminal {
  const colour = output === "text" && shouldUseColour({ isTty: io.stdoutIsTty, env: io.env });
  return {
    output,
    p: createPalette(colour),
    env: io.env,
    stderrIsTty: io.stderrIsTty,
    out: io.stdout,
    err: io.stderr,
    json: (value) => io.stdout(`${JSON.stringify(value, null, 2)}\n`),
  };
}

/** The one error printer: a line per problem on stderr (red on a terminal), hints, and the JSON form on stdout with `-o json`. */
function printError(
  terminal: Terminal,
  error: unknown,
  context: { server: string | undefined; hints: boolean },
): void {
  const { p } = terminal;
  for (const line of formatCliError(error, context)) terminal.err(`${p.enabled ? p.red(line) : line}\n`);
  if (context.hints) for (const hint of adHocFlagHints(error)) terminal.err(`${p.dim(hint)}\n`);
  if (terminal.output === "json") terminal.json(cliErrorJson(error, context));
}

function programHelp(): string {
  return formatProgramHelp({
    program: PROGRAM,
    title: PROGRAM_TITLE,
    commands: COMMANDS,
    globalFlags: GLOBAL_FLAGS,
    footer: PROGRAM_FOOTER,
  });
}

/** Whether `words` start with `command`'s name. */
const names = (command: CliCommand, words: readonly string[]) =>
  command.name.split(" ").every((word, i) => words[i] === word);

/** The command the first words name, else the commands of the group the first word names (`images`), else none. */
function commandsNamed(words: readonly string[]): CliCommand[] {
  const exact = COMMANDS.find((c) => names(c, words));
  return exact ? [exact] : COMMANDS.filter((c) => c.name.startsWith(`${words[0]} `));
}

/** The command `words` name; ConfigError listing the commands (or a group's subcommands) otherwise. */
function findCommand(words: readonly string[], named: readonly CliCommand[]): CliCommand {
  const found = named.find((c) => names(c, words));
  if (found) return found;
  const [group = "", sub] = words;
  if (named.length > 0) {
    const tries = named.map((c) => `${PROGRAM} ${c.name} ${c.usage}`).join("; ");
    const problem = sub === undefined ? "needs a subcommand" : `unknown subcommand "${sub}"`;
    throw new ConfigError(group, `${problem} (try: ${tries})`);
  }
  throw new ConfigError(
    group,
    `unknown command (commands: ${COMMANDS.map((c) => c.name).join(", ")}; see "${PROGRAM} --help")`,
  );
}

/** Why a flag another command defines is refused here. */
function misplacedFlag(flag: string, command: string): string {
  const takers = COMMANDS.filter((c) => c.flags[flag] !== undefined).map((c) => c.name);
  return `applies to ${takers.join(", ")} only, not ${command} (see "${PROGRAM} ${command} --help")`;
}

/** Operands after the command's name: as many as it declares (`<x>` required, `[x]` optional). */
function checkOperands(command: CliCommand, operands: readonly string[]): void {
  const allowed = command.operands.length;
  const required = command.operands.filter((o) => o.startsWith("<")).length;
  if (operands.length >= required && operands.length <= allowed) return;
  const count = allowed === 1 ? "one argument" : `${allowed} arguments`;
  const expected =
    allowed === 0
      ? "takes no arguments"
      : `expects ${required === allowed ? "" : "at most "}${count} (${command.operands.join(" ")})`;
  const got = operands.length === 0 ? "none" : operands.map((o) => `"${o}"`).join(" ");
  throw new ConfigError(
    command.name,
    `${expected}, got ${got} (usage: ${PROGRAM} ${command.name} ${command.usage})`,
  );
}
