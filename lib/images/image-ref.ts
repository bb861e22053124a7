/**
 * Image references as written in manifests: `repository[:tag][@sha256:…]`. Pure string work;
 * the parts are exact slices of the input so an edit can replace only the tag/digest text.
 */

/** A parsed reference. `tag`/`digest` are undefined when absent. */
export type ImageRef = {
  /** Everything before `:tag` / `@digest`, e.g. `ghcr.io/acme/web`. */
  repository: string;
  tag: string | undefined;
  /** `algorithm:hex`, as {@link DIGEST_PATTERN} accepts. */
  digest: string | undefined;
};

/** A tag as the registry allows it (OCI distribution spec). */
const TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
/**
 * The one digest grammar of image automation: what registry events may carry, what image jobs
 * accept, and what the manifest reader reads back — so a digest pullbridge pinned can always be
 * updated again. OCI's `algorithm:encoded` with hex encodings of 32–128 digits: sha256 (64),
 * sha512 (128), and the shortened placeholders of AWS's and GitHub's documented samples.
 */
export const DIGEST_PATTERN = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[0-9a-f]{32,128}$/;

/** Splits `repository[:tag][@digest]`; undefined when the text is not an image reference. */
export function parseImageRef(text: string): ImageRef | undefined {
  if (text.length === 0 || /\s/.test(text)) return undefined;
  const at = text.indexOf("@");
  const beforeDigest = at === -1 ? text : text.slice(0, at);
  const digest = at === -1 ? undefined : text.slice(at + 1);
  if (digest !== undefined && !DIGEST_PATTERN.test(digest)) return undefined;
  const lastSlash = beforeDigest.lastIndexOf("/");
  const colon = beforeDigest.indexOf(":", lastSlash + 1);
  const repository = colon === -1 ? beforeDigest : beforeDigest.slice(0, colon);
  const tag = colon === -1 ? undefined : beforeDigest.slice(colon + 1);
  if (repository.length === 0 || (tag !== undefined && !TAG_PATTERN.test(tag))) return undefined;
  return { repository, tag, digest };
}

/** Joins the parts back: `repository:tag@digest`. */
export function formatImageRef(ref: ImageRef): string {
  return `${ref.repository}${ref.tag === undefined ? "" : `:${ref.tag}`}${ref.digest === undefined ? "" : `@${ref.digest}`}`;
}

/** Docker Hub's short forms are not normalised: policies name the repository exactly as manifests write it. */
export function sameRepository(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
