/**
 * `pullbridge targets expand`: the config repository's targets as the worker would install them —
 * generators expanded, every target validated against the stack file and bounded by its project —
 * from a checkout, with each target's generator and source. The caller reads the files and lists
 * the directories `directories` generators need (`needs`), from local checkouts.
 */
import { parseConfigDocuments } from "../config/config-documents.ts";
import {
  type DirectoryListing,
  directoriesToList,
  type ExpandedConfig,
  expandConfig,
} from "../config/expand-config.ts";
import type { TargetsFile } from "../config/targets.ts";

export type ExpandCommand = {
  /** The repository branches `directories` generators list (each needs a checkout). */
  needs: { repo: string; branch: string }[];
  /** Expands with the listings of `needs` (a missing one is a problem naming the generator). */
  expand(listings: ReadonlyMap<string, DirectoryListing>): ExpandedConfig;
};

/** Parses the config files (path → text) once; expansion follows when the directories are listed. */
export function expandTargetsCommand(files: ReadonlyMap<string, string>, stack: TargetsFile): ExpandCommand {
  const parsed = parseConfigDocuments(files);
  const seen = new Set<string>();
  const needs = directoriesToList(parsed).flatMap(({ repo, branch }) => {
    const key = `${repo.toLowerCase()}@${branch}`;
    if (seen.has(key)) return [];
    seen.add(key);
    return [{ repo, branch }];
  });
  return { needs, expand: (directories) => expandConfig({ parsed, stack, directories }) };
}
