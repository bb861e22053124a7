/**
 * The directory adapter: a checkout on disk read into the same tree the git sources produce
 * (repository-relative `/`-separated paths → bytes), with the same selection and limits as a
 * commit's tarball (extract-tree.ts): only the files inside the target's directories (its path
 * and watch paths) are read and counted toward `maxFiles` / `maxBytes`; regular files are read,
 * symbolic links recorded as an archive records them (the render phase follows those that stay
 * inside the files read: follow-symlinks.ts). `pullbridge diff/sync/render` read through here, so
 * they load what the worker would load from those directories at a commit — an unrelated large
 * file elsewhere in the repository is never read, by either.
 */
import type { Dirent } from "node:fs";
import { readdir, readFile, readlink } from "node:fs/promises";
import { join } from "node:path";
import {
  DEFAULT_SOURCE_LIMITS,
  type SourceLimits,
  type SourceTree,
  type SymbolicLink,
  sourceTreeOf,
} from "../git-source.ts";
import { assertWithinLimits, inAnyDirectory, leadsToAnyDirectory } from "../tree-selection.ts";

/**
 * Directories never walked: a checkout's git metadata and installed packages are in no commit's
 * archive (`.git` cannot be; `node_modules` is ignored by every repository that has one), and
 * counting them would trip the file limits on a directory the worker reads without trouble.
 */
const NOT_IN_ANY_COMMIT: ReadonlySet<string> = new Set([".git", "node_modules"]);

export type ReadDirectoryOptions = {
  /** Repository-relative directories to read (`.` for all), e.g. a target's path and watch paths. */
  paths: readonly string[];
  limits?: SourceLimits;
};

/** Reads the regular files of `root` inside `paths`, keyed relative to `root`, within `limits` (the worker's by default). */
export async function readDirectoryTree(root: string, options: ReadDirectoryOptions): Promise<SourceTree> {
  const limits = options.limits ?? DEFAULT_SOURCE_LIMITS;
  const { paths } = options;
  const files = new Map<string, Uint8Array>();
  const links: SymbolicLink[] = [];
  const kept = { files: 0, bytes: 0 };

  const walk = async (dir: string, prefix: string): Promise<void> => {
    const entries: Dirent[] = await readdir(dir, { withFileTypes: true }).catch((error: unknown) => {
      // A watch path that does not exist selects nothing, as in a commit's archive.
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    });
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const path = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
      const selected = inAnyDirectory(paths, path);
      if (entry.isDirectory()) {
        if (!NOT_IN_ANY_COMMIT.has(entry.name) && (selected || leadsToAnyDirectory(paths, path))) {
          await walk(join(dir, entry.name), path);
        }
      } else if (!selected) {
        // Outside the target's directories: neither read nor counted, as extract-tree skips it.
      } else if (entry.isFile()) {
        const content = await readFile(join(dir, entry.name));
        kept.files += 1;
        kept.bytes += content.byteLength;
        assertWithinLimits(kept, limits, root, paths);
        files.set(path, new Uint8Array(content));
      } else if (entry.isSymbolicLink()) {
        links.push({ path, target: await readlink(join(dir, entry.name)) });
      }
      // Anything else (sockets, devices) is skipped, as extract-tree skips non-regular entries.
    }
  };
  await walk(root, "");
  return sourceTreeOf(files, { links });
}
