/**
 * The directory adapter: a directory on disk read into the same tree the git sources produce
 * (`/`-separated paths → bytes), with the same rules and limits as a commit's tarball
 * (extract-tree.ts): regular files, symbolic links recorded as an archive records them (the render
 * phase follows those that stay inside the files read: follow-symlinks.ts), every file
 * under the path counts toward `maxFiles` / `maxBytes`, and the manifest loader then selects the
 * target's manifests from it exactly as it does in the worker. `pullbridge diff/sync <dir>` reads
 * through here, so it loads what the worker would load from that path at a commit.
 */
import type { Dirent } from "node:fs";
import { readdir, readFile, readlink, stat } from "node:fs/promises";
import { join, relative, resolve, sep } from "node:path";
import { ConfigError } from "../errors.ts";
import { assertWithinLimits } from "./extract-tree.ts";
import {
  DEFAULT_SOURCE_LIMITS,
  type SourceLimits,
  type SourceTree,
  type SymbolicLink,
  sourceTreeOf,
} from "./git-source.ts";

/**
 * Directories never walked: a checkout's git metadata and installed packages are in no commit's
 * archive (`.git` cannot be; `node_modules` is ignored by every repository that has one), and
 * counting them would trip the file limits on a directory the worker reads without trouble.
 */
const NOT_IN_ANY_COMMIT: ReadonlySet<string> = new Set([".git", "node_modules"]);

export type DirectoryTree = {
  files: SourceTree;
  /** The directory as a tree path (relative to the base), `.` for the base itself. */
  targetPath: string;
};

export type ReadDirectoryOptions = {
  /** Paths inside it are keyed relative to it, so errors name files the way the user typed them. */
  cwd: string;
  limits?: SourceLimits;
};

const toTreePath = (path: string) => path.split(sep).join("/");

/** Reads the regular files under `directory` within `limits` (the worker's defaults unless given). */
export async function readDirectoryTree(
  directory: string,
  options: ReadDirectoryOptions,
): Promise<DirectoryTree> {
  const limits = options.limits ?? DEFAULT_SOURCE_LIMITS;
  const absolute = resolve(options.cwd, directory);
  const info = await stat(absolute).catch(() => undefined);
  if (!info?.isDirectory()) throw new ConfigError(directory, "no such directory");
  const fromCwd = relative(options.cwd, absolute);
  const inside = !fromCwd.startsWith("..") && !fromCwd.startsWith(sep) && fromCwd !== absolute;
  const base = inside ? options.cwd : absolute;
  const targetPath = toTreePath(relative(base, absolute)) || ".";
  const files = new Map<string, Uint8Array>();
  const links: SymbolicLink[] = [];
  const kept = { files: 0, bytes: 0 };

  const keep = async (path: string) => {
    const content = await readFile(path);
    kept.files += 1;
    kept.bytes += content.byteLength;
    assertWithinLimits(kept, limits, directory, targetPath);
    files.set(toTreePath(relative(base, path)), new Uint8Array(content));
  };
  const walk = async (dir: string): Promise<void> => {
    const entries: Dirent[] = await readdir(dir, { withFileTypes: true });
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!NOT_IN_ANY_COMMIT.has(entry.name)) await walk(path);
      } else if (entry.isFile()) {
        await keep(path);
      } else if (entry.isSymbolicLink()) {
        links.push({ path: toTreePath(relative(base, path)), target: await readlink(path) });
      }
      // Anything else (sockets, devices) is skipped, as extract-tree skips non-regular entries.
    }
  };
  await walk(absolute);
  return { files: sourceTreeOf(files, { links }), targetPath };
}
