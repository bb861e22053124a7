/** Builds tar archives in memory (as GitHub and `git archive` would), for source unit tests. */
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { pack } from "tar-stream";

export type TarEntryInput = {
  name: string;
  content?: string | Uint8Array;
  type?: "file" | "directory" | "symlink" | "link";
  linkname?: string;
};

/** A tar (gzip when asked) holding `entries` in order. (Real `git archive` output, with its pax global header, is covered by the integration tests.) */
export async function buildTarball(
  entries: readonly TarEntryInput[],
  options: { gzip?: boolean } = {},
): Promise<Buffer> {
  const archive = pack();
  const chunks: Buffer[] = [];
  archive.on("data", (chunk: unknown) => {
    chunks.push(Buffer.from(chunk as Uint8Array));
  });
  const ended = new Promise<void>((resolve, reject) => {
    archive.on("end", resolve);
    archive.on("error", reject);
  });
  for (const entry of entries) {
    const type = entry.type ?? "file";
    if (type === "file") {
      archive.entry({ name: entry.name, type }, Buffer.from(entry.content ?? ""));
    } else {
      archive.entry({
        name: entry.name,
        type,
        ...(entry.linkname === undefined ? {} : { linkname: entry.linkname }),
      });
    }
  }
  archive.finalize();
  await ended;
  const tar = Buffer.concat(chunks);
  return options.gzip ? gzipSync(tar) : tar;
}

/** A GitHub-style tarball: every entry under `<owner>-<repo>-<shortsha>/`. */
export function githubTarballEntries(
  prefix: string,
  files: Readonly<Record<string, string>>,
): TarEntryInput[] {
  return [
    { name: `${prefix}/`, type: "directory" },
    ...Object.entries(files).map(([name, content]) => ({ name: `${prefix}/${name}`, content })),
  ];
}

/** A readable stream over a buffer, in small chunks (so streaming code sees several). */
export function streamOf(buffer: Buffer, chunkSize = 512): Readable {
  const chunks: Buffer[] = [];
  for (let i = 0; i < buffer.length; i += chunkSize) chunks.push(buffer.subarray(i, i + chunkSize));
  return Readable.from(chunks);
}
