/**
 * Streams a tar archive and keeps, in memory, only the regular files under one directory,
 * enforcing the fetch limits as it goes (the download stops at the first exceeded limit).
 */
import { type Duplex, pipeline, type Readable, Transform } from "node:stream";
import { extract } from "tar-stream";
import { SourceError } from "../../errors.ts";
import {
  type CommitEntry,
  HARD_LINK_REASON,
  type SkippedFile,
  type SourceLimits,
  type SourceTree,
  type SymbolicLink,
  sourceTreeOf,
} from "../git-source.ts";
import { assertWithinLimits, inAnyDirectory } from "../tree-selection.ts";

export type TreeSelection = {
  /** Directories inside the repository whose files are kept (`.` for all): a target's path and watch paths. */
  paths: readonly string[];
  /** Leading path components to drop first: 1 for GitHub's `<owner>-<repo>-<sha>/` top directory. */
  stripComponents: number;
};

/**
 * The repo-root-relative path an archive entry stands for, or `undefined` when it is outside
 * the selected directories or is not a safe relative path (absolute, `..`, empty).
 */
export function selectEntryPath(entryName: string, selection: TreeSelection): string | undefined {
  const parts = entryName.split("/").filter((part) => part !== "" && part !== ".");
  if (entryName.startsWith("/") || parts.includes("..")) return undefined;
  const relative = parts.slice(selection.stripComponents);
  if (relative.length === 0 || parts.length < selection.stripComponents) return undefined;
  const path = relative.join("/");
  return inAnyDirectory(selection.paths, path) ? path : undefined;
}

/** Entry types we keep; symbolic links are recorded, hard links reported, the rest (directories, pax headers, devices) skipped. */
const REGULAR_FILE_TYPES: ReadonlySet<string> = new Set(["file", "contiguous-file"]);

/**
 * Reads an (uncompressed) tar stream into a map of the selected regular files.
 *
 * Symbolic links are recorded (path and target as written), never read through here: whether
 * one may be followed depends on what else was fetched (follow-symlinks.ts decides, after the
 * target's directories are selected). Hard links are reported as skipped.
 * `what` names the source in error messages (e.g. `acme/deploy@abc1234`).
 */
export async function extractTree(
  tar: Readable,
  options: TreeSelection & { limits: SourceLimits; what: string },
): Promise<SourceTree> {
  const files = new Map<string, Uint8Array>();
  const skipped: SkippedFile[] = [];
  const links: SymbolicLink[] = [];
  const kept = { files: 0, bytes: 0 };
  const extractor = extract();
  const consumed = (async () => {
    for await (const entry of extractor) {
      const type = entry.header.type ?? "file";
      const path = REGULAR_FILE_TYPES.has(type) ? selectEntryPath(entry.header.name, options) : undefined;
      if (path === undefined) {
        const link =
          type === "symlink" || type === "link" ? selectEntryPath(entry.header.name, options) : undefined;
        if (link !== undefined && type === "symlink")
          links.push({ path: link, target: entry.header.linkname ?? "" });
        else if (link !== undefined) skipped.push({ path: link, reason: HARD_LINK_REASON });
        entry.resume();
        continue;
      }
      kept.files += 1;
      kept.bytes += entry.header.size ?? 0;
      assertWithinLimits(kept, options.limits, options.what, options.paths);
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of entry as AsyncIterable<Buffer>) {
        size += chunk.length;
        chunks.push(chunk);
      }
      // The header size is what the archive claims; count what was actually read as well.
      kept.bytes += size - (entry.header.size ?? 0);
      assertWithinLimits(kept, options.limits, options.what, options.paths);
      files.set(path, new Uint8Array(Buffer.concat(chunks, size)));
    }
  })();
  tar.on("error", (error: unknown) => extractor.destroy(error instanceof Error ? error : undefined));
  tar.pipe(extractor);
  try {
    await consumed;
  } finally {
    tar.unpipe(extractor);
    tar.destroy();
  }
  return sourceTreeOf(files, { skipped, links });
}

/**
 * Walks an (uncompressed) tar stream entry by entry: regular files with their content, symbolic
 * links with their target, hard links by path; directories and headers are skipped. `visit` is
 * awaited before the next entry is read, so the archive is never held in memory.
 */
export async function walkArchive(
  tar: Readable,
  options: { stripComponents: number },
  visit: (entry: CommitEntry) => Promise<void>,
): Promise<void> {
  const extractor = extract();
  const selection = { paths: ["."], stripComponents: options.stripComponents };
  const consumed = (async () => {
    for await (const entry of extractor) {
      const type = entry.header.type ?? "file";
      const path = selectEntryPath(entry.header.name, selection);
      if (path === undefined || !(REGULAR_FILE_TYPES.has(type) || type === "symlink" || type === "link")) {
        entry.resume();
        continue;
      }
      if (type === "symlink") {
        entry.resume();
        await visit({ kind: "symlink", path, target: entry.header.linkname ?? "" });
        continue;
      }
      if (type === "link") {
        entry.resume();
        await visit({ kind: "hardlink", path });
        continue;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of entry as AsyncIterable<Buffer>) {
        size += chunk.length;
        chunks.push(chunk);
      }
      await visit({ kind: "file", path, content: new Uint8Array(Buffer.concat(chunks, size)) });
    }
  })();
  tar.on("error", (error: unknown) => extractor.destroy(error instanceof Error ? error : undefined));
  tar.pipe(extractor);
  try {
    await consumed;
  } finally {
    tar.unpipe(extractor);
    tar.destroy();
  }
}

/**
 * A pass-through that fails with a permanent SourceError once more than `maxBytes` went
 * through it: caps the download of an archive whose kept part may be small but whose whole is not.
 */
export function limitArchiveBytes(maxBytes: number, what: string): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      if (seen > maxBytes) {
        callback(
          new SourceError(
            `${what}: archive larger than ${maxBytes} bytes (limit maxArchiveBytes=${maxBytes})`,
            { retryable: false },
          ),
        );
        return;
      }
      callback(null, chunk);
    },
  });
}

/**
 * Pipes `source` through `transforms` and returns the last stream. Errors anywhere destroy the
 * whole chain and surface on the returned stream; destroying the returned stream (a limit hit
 * early) also stops the source, so the download is abandoned rather than drained.
 */
export function chainStreams(streams: readonly [Readable, ...Duplex[]]): Readable {
  const [source, ...transforms] = streams;
  if (transforms.length === 0) return source;
  // The callback is required by pipeline; its error is also emitted by the last stream.
  return pipeline(
    [source, ...transforms] as unknown as [Readable, Duplex],
    () => undefined,
  ) as unknown as Readable;
}
