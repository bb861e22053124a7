/**
 * The digest of everything a target's render read, computed from a commit's tree index alone:
 * the files under the target's directories, the files it read elsewhere, the directories it
 * listed and what its existence checks find now. Two commits with the same digest render the
 * target identically, whatever else changed in the repository — so a push elsewhere does not
 * invalidate the target's cached render. Pure.
 */
import type { RoutingRecord } from "../routing/routing-record.ts";
import { sha256Hex, type TreeView } from "./tree-index.ts";

/** `sha256:<hex>` over the inputs `record` names (plus `dirs`, the target's path and watch paths) at the commit `view` indexes. */
export function inputsDigest(
  view: TreeView,
  dirs: readonly string[],
  record: Pick<RoutingRecord, "inputs" | "listed" | "probed">,
): string {
  const lines: string[] = [];
  const listedDirs = [...new Set([...dirs, ...record.listed])].sort();
  for (const dir of listedDirs) {
    lines.push(`D ${dir}`);
    for (const f of view.filesWithin([dir])) lines.push(`${f.path} ${f.digest}`);
    for (const l of view.linksWithin([dir])) lines.push(`${l.path} -> ${l.target}`);
    for (const h of view.hardLinksWithin([dir])) lines.push(`${h} hardlink`);
  }
  for (const input of [...new Set(record.inputs)].sort()) {
    lines.push(`F ${input} ${view.file(input)?.digest ?? view.probe(input)}`);
  }
  for (const probe of Object.keys(record.probed).sort()) lines.push(`P ${probe} ${view.probe(probe)}`);
  return `sha256:${sha256Hex(lines.join("\n"))}`;
}
