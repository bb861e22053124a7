import { describe, expect, it } from "vitest";
import { capDiffText, moreObjectsNote } from "../../../lib/manifests/cap-diff-text.ts";

const aDiff = (name: string, lines: number) =>
  `--- live ${name}\n+++ desired ${name}\n${Array.from({ length: lines }, (_, i) => `+line ${i}`).join("\n")}\n`;

describe("capDiffText", () => {
  it("joins every diff with a blank line when they fit, skipping empty ones", () => {
    // Prepare
    const diffs = [aDiff("a", 1), "", aDiff("b", 1)];

    // Act
    const text = capDiffText(diffs, 10_000);

    // Assess
    expect(text).toBe(`${aDiff("a", 1)}\n${aDiff("b", 1)}`);
  });

  it("cuts at an object boundary and says how many objects are not shown", () => {
    // Prepare
    const diffs = [aDiff("a", 3), aDiff("b", 3), aDiff("c", 3), aDiff("d", 3)];
    const limit = aDiff("a", 3).length * 2 + 40;

    // Act
    const text = capDiffText(diffs, limit);

    // Assess
    expect(text).toBe(`${aDiff("a", 3)}\n${aDiff("b", 3)}\n${moreObjectsNote(2)}\n`);
    expect(text.length).toBeLessThanOrEqual(limit);
  });

  it("shows a short last object rather than a note about it when that fits and the note would not", () => {
    // Prepare
    const diffs = [aDiff("a", 3), "x\n"];
    const limit = aDiff("a", 3).length + 3;

    // Act
    const text = capDiffText(diffs, limit);

    // Assess
    expect(text).toBe(`${aDiff("a", 3)}\nx\n`);
  });

  it("cuts the first object at a line end when not even it fits", () => {
    // Prepare
    const diffs = [aDiff("huge", 1000), aDiff("b", 1)];

    // Act
    const text = capDiffText(diffs, 300);

    // Assess
    expect(text.length).toBeLessThanOrEqual(300);
    expect(text.startsWith("--- live huge\n+++ desired huge\n+line 0\n")).toBe(true);
    expect(text.endsWith(`… (diff truncated)\n${moreObjectsNote(1)}\n`)).toBe(true);
  });

  it("stays within tiny limits", () => {
    // Act
    const text = capDiffText([aDiff("a", 5)], 5);

    // Assess
    expect(text.length).toBeLessThanOrEqual(5);
  });

  it("returns an empty string for no diffs", () => {
    // Act / Assess
    expect(capDiffText([], 100)).toBe("");
  });
});
