/** The tree SOPS works on: ordered maps, lists and typed scalars, as its stores decode a file. Pure. */
import type { GoScalar } from "./go-values.ts";

/** `raw`: a decrypted string's exact bytes (binary files need not be UTF-8). */
export type SopsScalar = { kind: "scalar"; raw?: Buffer | undefined } & GoScalar;
export type SopsMap = { kind: "map"; entries: Array<{ key: string; value: SopsNode }> };
export type SopsList = { kind: "list"; items: SopsNode[] };
export type SopsNode = SopsScalar | SopsMap | SopsList;

/** A file that looks like SOPS output but cannot be read as such; the message says why. */
export class SopsFormatError extends Error {
  override readonly name = "SopsFormatError";
}
