/** Plain column tables for CLI output (kubectl style: upper-case headers, two-space gaps). */
import { stripVTControlCharacters } from "node:util";

/** Renders rows under headers, each column as wide as its widest cell; cells may be coloured. */
export function formatTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = headers.map((h, i) =>
    Math.max(h.length, ...rows.map((row) => stripVTControlCharacters(row[i] ?? "").length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => {
        const last = i === cells.length - 1;
        return last ? cell : cell + " ".repeat((widths[i] ?? 0) - stripVTControlCharacters(cell).length);
      })
      .join("  ")
      .trimEnd();
  return [line(headers), ...rows.map(line)].join("\n");
}
