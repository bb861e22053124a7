import { describe, expect, it } from "vitest";
import { createPalette, shouldUseColour, stripAnsi } from "../../../lib/cli/palette.ts";

describe("shouldUseColour", () => {
  it.each([
    { isTty: true, env: {}, expected: true },
    { isTty: false, env: {}, expected: false },
    { isTty: true, env: { NO_COLOR: "1" }, expected: false },
    { isTty: true, env: { NO_COLOR: "" }, expected: true },
    { isTty: false, env: { FORCE_COLOR: "1" }, expected: true },
    { isTty: false, env: { FORCE_COLOR: "0" }, expected: false },
    { isTty: true, env: { FORCE_COLOR: "1", NO_COLOR: "1" }, expected: false },
  ])("is $expected for a TTY=$isTty with $env", ({ isTty, env, expected }) => {
    // Act
    const colour = shouldUseColour({ isTty, env });

    // Assess
    expect(colour).toBe(expected);
  });
});

describe("createPalette", () => {
  it("wraps text in ANSI codes only when enabled, and stripAnsi removes them", () => {
    // Prepare
    const on = createPalette(true);
    const off = createPalette(false);

    // Act
    const coloured = on.green("+ added");
    const plain = off.green("+ added");

    // Assess
    expect(coloured).toBe("\u001b[32m+ added\u001b[39m");
    expect(plain).toBe("+ added");
    expect(stripAnsi(coloured)).toBe("+ added");
  });
});
