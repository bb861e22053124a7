/**
 * What a `pullbridge` command is: its help (usage, summary, flags, examples, exit codes) and one
 * function that takes a typed run context. Commands live in `commands/<name>.ts` and are listed
 * in command-registry.ts; run-cli.ts parses, dispatches and prints errors for all of them.
 */
import type { FlagTable, FlagValues } from "../../lib/cli/command-line.ts";
import type { HelpEntry } from "../../lib/cli/format-help.ts";
import type { Palette } from "../../lib/cli/palette.ts";
import type { TerminalEnv } from "../../lib/config/terminal-env.ts";
import type { ClusterConnection } from "./target-cluster.ts";

/** Exit codes, as `kubectl diff`: 0 success / no changes, 1 error, 2 changes found (or would be made). */
export const EXIT = { ok: 0, error: 1, changes: 2 } as const;

/** The terminal a command writes to, resolved once per run from the process, its environment and `--output`. */
export type Terminal = {
  readonly output: "text" | "json";
  /** Colours, or none: decided once (a TTY, NO_COLOR, FORCE_COLOR; never for JSON). */
  readonly p: Palette;
  readonly env: TerminalEnv;
  /** Progress lines are rewritten in place on a terminal, printed a line at a time otherwise. */
  readonly stderrIsTty: boolean;
  out(text: string): void;
  err(text: string): void;
  /** The one way the CLI prints JSON (results and errors): indented, one document, a final newline, on stdout. */
  json(value: unknown): void;
};

/** What a command runs with: only its own flags, typed, and the operands after its name. */
export type CommandContext<Flags> = {
  readonly flags: Flags;
  readonly operands: readonly string[];
  readonly terminal: Terminal;
  readonly cwd: string;
  readonly now: () => Date;
  /**
   * The command's cluster; once connected, errors name its server. With `--targets` and an EKS
   * cluster for the target, that cluster as the worker reaches it (its role assumed with the
   * caller's AWS credentials); otherwise — and always with `--kubeconfig` or `--context` — the
   * caller's kubeconfig context.
   */
  connect(options: {
    kubeconfig: string | undefined;
    context: string | undefined;
    targets?: string | undefined;
    target?: string | undefined;
  }): Promise<ClusterConnection>;
};

/** A command as the dispatcher sees it. */
export type CliCommand = HelpEntry & {
  /** Operand names after the command's name: `<dir>` required, `[dir]` optional. */
  readonly operands: readonly string[];
  readonly run: (context: CommandContext<unknown>) => Promise<number>;
};

/** Declares a command; its `run` sees exactly the flags of `flags`, typed. */
export function defineCommand<const F extends FlagTable>(
  command: Omit<HelpEntry, "flags" | "examples" | "about"> & {
    readonly about?: string;
    readonly examples?: readonly string[];
    readonly operands?: readonly string[];
    readonly flags: F;
    readonly run: (context: CommandContext<FlagValues<F>>) => Promise<number>;
  },
): CliCommand {
  return {
    ...command,
    about: command.about ?? command.summary,
    examples: command.examples ?? [],
    operands: command.operands ?? [],
    // The dispatcher builds the values from this same table (lib/cli/command-line.ts flagValues).
    run: command.run as (context: CommandContext<unknown>) => Promise<number>,
  };
}
