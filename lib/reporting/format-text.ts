/**
 * Length limits GitHub puts on what we post, and truncation that respects them without
 * breaking a character (never cuts a surrogate pair) or a Markdown fence.
 */

/** Commit status descriptions: GitHub refuses more than 140 characters. */
export const STATUS_DESCRIPTION_LIMIT = 140;

/**
 * Check run `output.summary` / `output.text`: documented as 65,535 characters, enforced by
 * GitHub as a byte size too; we stay under this many UTF-8 bytes, which satisfies both.
 */
export const CHECK_RUN_TEXT_LIMIT = 65_000;

/** GitHub accepts at most 50 annotations per check run request. */
export const ANNOTATIONS_PER_REQUEST = 50;

const ELLIPSIS = "…";

/** UTF-8 size of a string. */
export function utf8Length(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

/** The first `max` UTF-16 units of `text`, minus a dangling high surrogate. */
function sliceUnits(text: string, max: number): string {
  const cut = text.slice(0, Math.max(0, max));
  const last = cut.charCodeAt(cut.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut;
}

/**
 * One line of at most `max` characters (140 for statuses): whitespace runs collapse to one
 * space; a longer text ends with `…`.
 */
export function truncateLine(text: string, max: number = STATUS_DESCRIPTION_LIMIT): string {
  const line = text.replace(/\s+/g, " ").trim();
  if (line.length <= max) return line;
  return sliceUnits(line, max - ELLIPSIS.length).trimEnd() + ELLIPSIS;
}

/** UTF-8 bytes of one code point (a lone surrogate is written as U+FFFD: 3 bytes, as Buffer does). */
function utf8Width(codePoint: number): number {
  return codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
}

/** The longest prefix of `text` whose UTF-8 size is at most `maxBytes`, never splitting a character. */
export function truncateToBytes(text: string, maxBytes: number): string {
  if (utf8Length(text) <= maxBytes) return text;
  // One pass, summing each code point's width: measuring every candidate prefix instead made a
  // 65 KB check-run summary cost ~40,000 measurements of up to 65 KB (seconds of a worker's CPU).
  let bytes = 0;
  let end = 0;
  while (end < text.length) {
    const codePoint = text.codePointAt(end) ?? 0;
    const width = utf8Width(codePoint);
    if (bytes + width > maxBytes) break;
    bytes += width;
    end += codePoint > 0xffff ? 2 : 1;
  }
  return text.slice(0, end);
}

/**
 * Truncates Markdown to `maxBytes` UTF-8 bytes at a line boundary and appends `note` (which
 * counts toward the budget). Closes a code fence left open by the cut.
 */
export function truncateMarkdown(text: string, maxBytes: number, note: string): string {
  if (utf8Length(text) <= maxBytes) return text;
  const suffix = `\n\n${note}`;
  const closing = "\n```";
  const budget = Math.max(0, maxBytes - utf8Length(suffix) - utf8Length(closing));
  let cut = truncateToBytes(text, budget);
  const newline = cut.lastIndexOf("\n");
  if (newline > 0) cut = cut.slice(0, newline);
  const fences = cut.match(/^\s*```/gm)?.length ?? 0;
  return `${cut}${fences % 2 === 1 ? closing : ""}${suffix}`;
}

/** A fence longer than any backtick run inside `content`, so content cannot close it early. */
export function fenceFor(content: string): string {
  const longest = Math.max(0, ...Array.from(content.matchAll(/`+/g), (m) => m[0].length));
  return "`".repeat(Math.max(3, longest + 1));
}
