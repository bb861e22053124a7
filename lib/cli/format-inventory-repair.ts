/** How `pullbridge inventory repair` prints what it found and did: text, or the `--output json` document. */
import type { InventoryRepair } from "../app/repair-inventory-command.ts";
import type { Palette } from "./palette.ts";

const STATE = {
  missing: "missing (deleted, or never synced)",
  sound: "sound",
  damaged: "damaged",
} as const;

/** What was found, the members, what was (or would be) written, and what is left to do. */
export function formatInventoryRepair(repair: InventoryRepair, p: Palette): string {
  const state = repair.state === "sound" ? p.green(STATE.sound) : p.yellow(STATE[repair.state]);
  const { members } = repair;
  const lines = [
    `Inventory of target ${repair.target}: ApplySet parent ${repair.parent} (${repair.applySetId})`,
    `  found:    ${state}`,
    ...repair.problems.map((problem) => `            - ${problem}`),
    `  members:  ${members.count} labelled applyset.kubernetes.io/part-of=${repair.applySetId}` +
      (members.count === 0
        ? ""
        : ` (${members.groupKinds.join(", ")}; namespace(s) ${members.namespaces.join(", ") || "-"})`),
    ...(repair.unreadable.length === 0
      ? []
      : [
          `  ${p.yellow("unread:")}   ${repair.unreadable.length} kind(s) could not be listed; members of them, if any, stay unlisted:`,
          ...repair.unreadable.map((u) => `            - ${u}`),
        ]),
  ];
  const kinds = members.groupKinds.join(", ") || "no group-kinds";
  if (repair.action === "none") {
    lines.push(
      repair.state === "sound" ? "  Nothing to repair." : "  Nothing to repair: no parent and no members.",
    );
  } else if (repair.action === "would-write") {
    lines.push(`  Would write the parent listing ${kinds} (dry run: nothing was changed).`);
  } else {
    lines.push(
      `  ${p.green("Repaired:")} the parent lists ${kinds}. The next sync adopts the members still in Git and prunes the rest.`,
    );
  }
  lines.push(...repair.notes.map((note) => `  ${p.yellow("note:")} ${note}`));
  return lines.join("\n");
}
