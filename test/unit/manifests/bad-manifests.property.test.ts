/**
 * Reliability: 10,000 property-generated bad manifest trees (one defect of a known class each,
 * among valid documents and files). Every one must fail as a ManifestSetError that names the
 * defective file and a line inside the defective document; nothing else may be thrown. The
 * counts per class are printed (`[reliability]`) and recorded in BENCHMARKS.md.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ManifestSetError } from "../../../lib/errors.ts";
import { badManifestTree, DEFECTS, type Defect } from "../../factories/bad-manifests.ts";
import { loadTree } from "../../factories/manifests.ts";

const RUNS = 10_000;

describe("10,000 bad manifests", () => {
  it("each fails naming its file and a line of the defective document; nothing is uncaught", () => {
    // Prepare
    const failures = new Map<Defect, number>(DEFECTS.map((d) => [d, 0]));
    const misplaced: string[] = [];
    const uncaught: string[] = [];
    let loaded = 0;

    // Act
    fc.assert(
      fc.property(badManifestTree(), (tree) => {
        let error: unknown;
        try {
          loadTree(tree.files, { targetPath: "deploy" });
          loaded += 1;
        } catch (thrown) {
          error = thrown;
        }
        if (error === undefined) return;
        if (!(error instanceof ManifestSetError)) {
          uncaught.push(`${tree.defect}: ${String(error)}`);
          return;
        }
        failures.set(tree.defect, (failures.get(tree.defect) ?? 0) + 1);
        const [first, last] = tree.badLines;
        const named = error.errors.some(
          (e) =>
            e.location.file === tree.badFile &&
            (tree.defect === "invalid-utf8" ||
              (e.location.line !== undefined && e.location.line >= first && e.location.line <= last + 1)),
        );
        if (!named) misplaced.push(`${tree.defect} ${tree.badFile} [${first}-${last}]: ${error.message}`);
      }),
      { numRuns: RUNS },
    );
    const total = [...failures.values()].reduce((a, b) => a + b, 0);
    console.log(
      `[reliability] bad manifests: ${RUNS} generated, ${total} failed as ManifestSetError, ${total - misplaced.length} naming file:line of the defect, ${loaded} loaded, ${uncaught.length} uncaught; per class ${JSON.stringify(Object.fromEntries(failures))}`,
    );

    // Assess
    expect(uncaught).toEqual([]);
    expect(loaded).toBe(0);
    expect(misplaced.slice(0, 5)).toEqual([]);
    expect(total).toBe(RUNS);
    expect([...failures.values()].every((n) => n > 0)).toBe(true);
    // 10,000 loads take a few seconds on an idle 2-core machine; far longer when it is shared.
  }, 180_000);
});
