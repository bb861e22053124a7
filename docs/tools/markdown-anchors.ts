/**
 * Markdown headings and the anchors GitHub gives them, for the generated pages' links and the
 * link checker (`test/unit/docs/links.test.ts`). GitHub's rule (github-slugger): the heading's
 * text, lower-cased, without punctuation or symbols, spaces turned into `-`; a repeated slug gets
 * `-1`, `-2`, … in order of appearance.
 */

/** The anchor GitHub gives a heading with this text (before de-duplication). */
export function githubSlug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
    .replaceAll(" ", "-");
}

/** The visible text of a heading's inline markdown: code spans, links, images and emphasis unwrapped. */
function headingText(markdown: string): string {
  // Odd pieces are code spans: their text is literal (`<name>` stays), the rest is markdown.
  return markdown
    .split("`")
    .map((piece, i) =>
      i % 2 === 1
        ? piece
        : piece
            .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
            .replace(/<[^>]+>/g, "")
            .replace(/(\*\*|__|\*|_)(\S(?:.*?\S)?)\1/g, "$2"),
    )
    .join("")
    .trim();
}

/** Lines of a markdown document outside fenced code blocks, with their 1-based line numbers. */
export function proseLines(markdown: string): Array<{ line: number; text: string }> {
  const out: Array<{ line: number; text: string }> = [];
  let fence: string | undefined;
  markdown.split("\n").forEach((text, i) => {
    const marker = /^\s*(`{3,}|~{3,})/.exec(text)?.[1];
    if (marker !== undefined) {
      if (fence === undefined) fence = marker;
      else if (marker.startsWith(fence)) fence = undefined;
      return;
    }
    if (fence === undefined) out.push({ line: i + 1, text });
  });
  return out;
}

/** Every anchor a document defines: its headings' slugs (de-duplicated as GitHub does) and explicit `id`s. */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const { text } of proseLines(markdown)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(text)?.[1];
    if (heading !== undefined) {
      const slug = githubSlug(headingText(heading));
      const count = seen.get(slug) ?? 0;
      seen.set(slug, count + 1);
      anchors.add(count === 0 ? slug : `${slug}-${count}`);
    }
    for (const match of text.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) if (match[1]) anchors.add(match[1]);
  }
  return anchors;
}
