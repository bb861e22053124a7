import { afterEach, describe, expect, it, vi } from "vitest";

afterEach(() => {
  vi.unstubAllEnvs();
});

import { createPalette, shouldUseColour } from "../../../lib/cli/palette.ts";

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
  it("wraps text in ANSI codes only when enabled", () => {
    // Prepare
    const on = createPalette(true);
    const off = createPalette(false);

    // Act
    const coloured = [on.red("x"), on.green("x"), on.yellow("x"), on.cyan("x"), on.bold("x"), on.dim("x")];
    const plain = [off.red("x"), off.green("x"), off.yellow("x"), off.cyan("x"), off.bold("x"), off.dim("x")];

    // Assess
    expect(coloured).toEqual([
      "\u001b[31mx\u001b[39m",
      "\u001b[32mx\u001b[39m",
      "\u001b[33mx\u001b[39m",
      "\u001b[36mx\u001b[39m",
      "\u001b[1mx\u001b[22m",
      "\u001b[2mx\u001b[22m",
    ]);
    expect(plain).toEqual(["x", "x", "x", "x", "x", "x"]);
  });

  it("colours once asked to, whatever this process's stdout and environment say", () => {
    // Prepare: the decision was made from the injected env and TTY flag; the process's own must not undo it.
    vi.stubEnv("NO_COLOR", "1");
    vi.stubEnv("FORCE_COLOR", "0");
    const on = createPalette(true);

    // Act
    const coloured = on.green("+ added");

    // Assess
    expect(process.stdout.isTTY).not.toBe(true);
    expect(coloured).toBe("\u001b[32m+ added\u001b[39m");
  });
});
