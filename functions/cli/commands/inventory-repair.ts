/** `pullbridge inventory repair`: rebuilds a target's damaged ApplySet parent (lib/app/repair-inventory-command.ts). */
import { adHocTarget, selectTarget } from "../../../lib/app/cli-target.ts";
import { repairInventory } from "../../../lib/app/repair-inventory-command.ts";
import { formatInventoryRepair } from "../../../lib/cli/format-inventory-repair.ts";
import { ConfigError } from "../../../lib/errors.ts";
import { PULLBRIDGE_VERSION } from "../../../lib/sync/tooling-version.ts";
import { defineCommand, EXIT } from "../cli-command.ts";
import { CLUSTER_FLAGS, FLAGS } from "../cli-flags.ts";
import { loadTargetsFile } from "../targets-file.ts";

export const inventoryRepairCommand = defineCommand({
  name: "inventory repair",
  usage: "--target <name> [--targets <file> | -n <ns>] [--dry-run]",
  summary:
    "rebuild a target's damaged or deleted ApplySet parent from the objects labelled part-of its set; never takes over another tool's parent",
  about:
    "Finds the objects labelled applyset.kubernetes.io/part-of the target's ApplySet and rewrites its parent Secret to list their kinds and namespaces — after the parent was deleted or edited by hand, so that prune works again. Kinds your identity cannot list are named, not fatal. A parent another tool manages is never taken over.",
  flags: {
    ...CLUSTER_FLAGS,
    targets: { ...FLAGS.targets, help: "a targets file holding the target (its namespace applies)" },
    target: {
      ...FLAGS.target,
      help: "the target to repair (required): its parent is the Secret pullbridge-<name>",
    },
    namespace: FLAGS.namespace,
    "dry-run": FLAGS["dry-run"],
  },
  examples: ["pullbridge inventory repair --target web -n apps --dry-run"],
  exitCodes: "0 repaired or nothing to repair, 2 with --dry-run: would write, 1 error.",
  run: async ({ flags, terminal, cwd, connect }) => {
    if (flags.target === undefined)
      throw new ConfigError("--target", "inventory repair needs the target to repair");
    const connection = await connect(flags);
    const target =
      flags.targets === undefined
        ? adHocTarget({ name: flags.target, namespace: flags.namespace ?? connection.namespace ?? "default" })
        : selectTarget(await loadTargetsFile(flags.targets, cwd), flags.target, flags.targets);
    const repair = await repairInventory(
      { cluster: connection.cluster, toolingVersion: PULLBRIDGE_VERSION },
      { target, dryRun: flags.dryRun },
    );
    if (terminal.output === "json") terminal.json(repair);
    else terminal.out(`${formatInventoryRepair(repair, terminal.p)}\n`);
    return repair.action === "would-write" ? EXIT.changes : EXIT.ok;
  },
});
