import { describe, expect, it, vi } from "vitest";
import {
  fenceFor,
  truncateLine,
  truncateMarkdown,
  truncateToBytes,
  utf8Length,
} from "../../../lib/reporting/format-text.ts";

describe("truncateLine", () => {
  it("leaves a short line alone", () => {
    // Act
    const line = truncateLine("3 created in 1.2s");

    // Assess
    expect(line).toBe("3 created in 1.2s");
  });

  it("collapses newlines and runs of whitespace into single spaces", () => {
    // Act
    const line = truncateLine("apps/web.yaml:3:1:\n  bad   indentation\n");

    // Assess
    expect(line).toBe("apps/web.yaml:3:1: bad indentation");
  });

  it("cuts a long line to exactly 140 characters ending with an ellipsis", () => {
    // Act
    const line = truncateLine("x".repeat(500));

    // Assess
    expect(line).toHaveLength(140);
    expect(line.endsWith("…")).toBe(true);
  });

  it("never splits a surrogate pair at the cut", () => {
    // Prepare: an emoji straddles position 138/139.
    const input = `${"a".repeat(138)}😀${"b".repeat(10)}`;

    // Act
    const line = truncateLine(input);

    // Assess
    expect(line).toBe(`${"a".repeat(138)}…`);
    expect(line.length).toBeLessThanOrEqual(140);
    expect(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/.test(line)).toBe(false);
  });
});

describe("truncateToBytes", () => {
  it("keeps the longest prefix within the byte budget without breaking characters", () => {
    // Prepare: "é" is 2 bytes, "😀" is 4.
    const input = "éé😀é";

    // Act
    const cut = truncateToBytes(input, 7);

    // Assess
    expect(cut).toBe("éé");
    expect(utf8Length(truncateToBytes(input, 8))).toBe(8);
  });

  it("measures the text once, not once per candidate prefix (a 65 KB summary cost seconds of CPU)", () => {
    // Prepare: a check-run summary far over the limit, ASCII with some wider characters.
    const input = `${"+ line of a diff\n".repeat(10_000)}é😀`;
    const measure = vi.spyOn(Buffer, "byteLength");

    // Act
    const cut = truncateToBytes(input, 65_000);

    // Assess
    expect(measure.mock.calls.length).toBeLessThanOrEqual(1);
    measure.mockRestore();
    expect(cut).toBe(input.slice(0, 65_000));
  });

  it("counts lone surrogates as Buffer does (3 bytes each) and never splits a pair", () => {
    // Prepare: a lone high surrogate, then a pair.
    const input = "a\ud800b😀c";

    // Act / Assess: every budget gives a prefix within it, the longest one that fits.
    for (let max = 0; max <= utf8Length(input); max++) {
      const cut = truncateToBytes(input, max);
      expect(utf8Length(cut)).toBeLessThanOrEqual(max);
      expect(input.startsWith(cut)).toBe(true);
      expect(cut.endsWith("\ud83d")).toBe(false);
      const longer = input.slice(0, cut.length + ((input.codePointAt(cut.length) ?? 0) > 0xffff ? 2 : 1));
      if (cut.length < input.length) expect(utf8Length(longer)).toBeGreaterThan(max);
    }
  });
});

describe("truncateMarkdown", () => {
  it("cuts at a line boundary, closes an open fence and appends the note within the budget", () => {
    // Prepare
    const body = `intro\n\`\`\`diff\n${Array.from({ length: 200 }, (_, i) => `+line ${i}`).join("\n")}\n\`\`\``;

    // Act
    const cut = truncateMarkdown(body, 500, "_truncated_");

    // Assess
    expect(utf8Length(cut)).toBeLessThanOrEqual(500);
    expect(cut.endsWith("```\n\n_truncated_")).toBe(true);
    expect(cut.match(/```/g)).toHaveLength(2);
    expect(
      cut
        .split("\n")
        .filter((l) => l.startsWith("+"))
        .every((l) => /^\+line \d+$/.test(l)),
    ).toBe(true);
  });

  it("returns text within the budget unchanged", () => {
    // Act
    const cut = truncateMarkdown("short", 100, "_truncated_");

    // Assess
    expect(cut).toBe("short");
  });
});

describe("fenceFor", () => {
  it("is longer than any backtick run in the content", () => {
    // Act
    const fence = fenceFor("data: |\n  ````nested````\n");

    // Assess
    expect(fence).toBe("`````");
  });
});
