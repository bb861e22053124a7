import { stripVTControlCharacters } from "node:util";
import { describe, expect, it } from "vitest";
import { formatTable } from "../../../lib/cli/format-table.ts";
import { createPalette } from "../../../lib/cli/palette.ts";

describe("formatTable", () => {
  it("aligns columns by visible width, so coloured cells line up with plain ones", () => {
    // Prepare
    const p = createPalette(true);

    // Act
    const table = formatTable(
      ["TARGET", "STATE", "AGE"],
      [
        ["web", p.green("synced"), "5s"],
        ["api-server", p.red("error"), "1m"],
      ],
    );

    // Assess
    const visible = stripVTControlCharacters(table).split("\n");
    expect(visible).toEqual(["TARGET      STATE   AGE", "web         synced  5s", "api-server  error   1m"]);
  });
});
