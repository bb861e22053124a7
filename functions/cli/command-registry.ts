/**
 * Every `pullbridge` command, in the order the program's help lists them. A new command is a file
 * `commands/<name>.ts` exporting one `defineCommand({...})` (its flags, help and run function), plus
 * one line here; run-cli.ts parses, dispatches and prints help and errors for it.
 */
import type { CliCommand } from "./cli-command.ts";
import { diffCommand, syncCommand } from "./commands/diff-sync.ts";
import { imagesPlanCommand } from "./commands/images-plan.ts";
import { inventoryRepairCommand } from "./commands/inventory-repair.ts";
import { renderCommand } from "./commands/render.ts";
import { statusCommand } from "./commands/status.ts";
import { targetsExpandCommand } from "./commands/targets-expand.ts";
import { targetsValidateCommand } from "./commands/targets-validate.ts";

export const COMMANDS: readonly CliCommand[] = [
  diffCommand,
  syncCommand,
  renderCommand,
  statusCommand,
  targetsValidateCommand,
  targetsExpandCommand,
  inventoryRepairCommand,
  imagesPlanCommand,
];

/** The first lines of `pullbridge --help`. */
export const PROGRAM_TITLE =
  "pullbridge — plan, apply and inspect GitOps syncs with the engine the bridge runs.";

/** The last lines of `pullbridge --help`. */
export const PROGRAM_FOOTER =
  "Exit codes (as kubectl diff): 0 success / no changes, 1 error (sync --wait: also not healthy), 2 changes.\nColour is used when stdout is a terminal and NO_COLOR is not set (FORCE_COLOR=1 forces it).";
