/**
 * Fitting many object diffs into a size limit, such as a GitHub check run's 65,535-character
 * summary/text, without cutting an object in half when that can be avoided.
 */

/** `… 3 more objects not shown`. */
export function moreObjectsNote(count: number): string {
  return `… ${count} more object${count === 1 ? "" : "s"} not shown`;
}

const TRUNCATED_NOTE = "… (diff truncated)";

/**
 * Joins per-object diffs with a blank line and keeps the result within `maxChars` (UTF-16
 * code units, which never undercounts characters): whole objects first, then a note naming
 * how many were left out. Only when not even the first object fits is it cut at a line end.
 */
export function capDiffText(diffs: readonly string[], maxChars: number): string {
  const parts = diffs.filter((diff) => diff !== "").map((diff) => (diff.endsWith("\n") ? diff : `${diff}\n`));
  const separator = "\n";
  const withNote = (text: string, hidden: number) =>
    hidden === 0 ? text : `${text}${moreObjectsNote(hidden)}\n`;

  // Largest number of whole objects that fits together with the note about the rest. Every
  // count is tried: a short last object can fit where the note about it would not.
  let shown = 0;
  let joinedLength = -separator.length;
  for (let count = 1; count <= parts.length; count++) {
    joinedLength += separator.length + (parts[count - 1]?.length ?? 0);
    const hidden = parts.length - count;
    const total =
      hidden === 0 ? joinedLength : joinedLength + separator.length + moreObjectsNote(hidden).length + 1;
    if (total <= maxChars) shown = count;
  }
  const text = parts.slice(0, shown).join(separator);
  if (shown === parts.length) return text;
  if (shown > 0) return withNote(`${text}${separator}`, parts.length - shown);

  const note = withNote(`${TRUNCATED_NOTE}\n`, parts.length - 1);
  const first = parts[0] ?? "";
  const room = maxChars - note.length;
  const cut = room > 0 ? first.lastIndexOf("\n", room - 1) : -1;
  if (cut <= 0) return withNote("", parts.length).slice(0, Math.max(maxChars, 0));
  return `${first.slice(0, cut + 1)}${note}`;
}
