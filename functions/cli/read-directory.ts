/**
 * Reads a directory of manifests from disk into the same tree shape the git sources produce
 * (`/`-separated paths → bytes), with the same limits, so `pullbridge diff deploy/` loads exactly
 * what the worker would load from that path at a commit.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { join, relative, resolve, sep } from "node:path";
import { ConfigError } from "../../lib/errors.ts";
import { DEFAULT_SOURCE_LIMITS, type SourceLimits } from "../../lib/source/git-source.ts";

const MANIFEST = /\.(ya?ml|json)$/;

export type DirectoryTree = {
  files: Map<string, Uint8Array>;
  /** The directory as a tree path (relative to `base`), `.` for `base` itself. */
  targetPath: string;
};

/**
 * Reads manifest files under `directory`. Keys are relative to `base` (the working directory
 * when the directory is inside it), so errors name files the way the user typed them.
 */
export async function readDirectoryTree(
  directory: string,
  options: { cwd: string; limits?: SourceLimits },
): Promise<DirectoryTree> {
  const limits = options.limits ?? DEFAULT_SOURCE_LIMITS;
  const absolute = resolve(options.cwd, directory);
  const info = await stat(absolute).catch(() => undefined);
  if (!info?.isDirectory()) throw new ConfigError(directory, "no such directory");
  const fromCwd = relative(options.cwd, absolute);
  const inside = !fromCwd.startsWith("..") && !fromCwd.startsWith(sep) && fromCwd !== absolute;
  const base = inside ? options.cwd : absolute;
  const files = new Map<string, Uint8Array>();
  let bytes = 0;

  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      // Hidden files and directories (.git, .github) are never manifests, as in the git sources.
      if (entry.name.startsWith(".")) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name === "node_modules") continue;
        await walk(path);
      } else if (entry.isFile() && MANIFEST.test(entry.name)) {
        const content = await readFile(path);
        bytes += content.byteLength;
        if (files.size + 1 > limits.maxFiles) {
          throw new ConfigError(directory, `more than ${limits.maxFiles} manifest files`);
        }
        if (bytes > limits.maxBytes)
          throw new ConfigError(directory, `manifests exceed ${limits.maxBytes} bytes`);
        files.set(relative(base, path).split(sep).join("/"), content);
      }
    }
  };
  await walk(absolute);
  const targetPath = relative(base, absolute).split(sep).join("/") || ".";
  return { files, targetPath };
}
