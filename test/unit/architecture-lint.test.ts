/**
 * biome.json names the adapter files twice: once to exempt them from the pure-domain rule (they
 * may do I/O and import SDKs), once to forbid lib/app from importing them. Both lists must agree
 * and name real files, or an adapter could slip into lib/app unnoticed.
 */
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

type Override = {
  includes: string[];
  linter?: { rules?: { style?: { noRestrictedImports?: { options: { patterns: { group: string[] }[] } } } } };
};
const root = new URL("../../", import.meta.url);
const biome = JSON.parse(readFileSync(new URL("biome.json", root), "utf8")) as { overrides: Override[] };
const override = (first: string) => {
  const found = biome.overrides.find((o) => o.includes[0] === first);
  if (!found) throw new Error(`biome.json has no override starting with ${first}`);
  return found;
};

describe("architecture lint configuration", () => {
  it("exempts from the pure-domain rule exactly the adapters lib/app may not import", () => {
    // Prepare
    const exempt = override("lib/**")
      .includes.filter((p) => p.startsWith("!"))
      .map((p) => p.slice(1));
    const groups = override("lib/app/**").linter?.rules?.style?.noRestrictedImports?.options.patterns ?? [];
    const forbidden = groups
      .flatMap((g) => g.group)
      .filter((p) => p.startsWith("**/") && p.endsWith(".ts"))
      .map((p) => `lib/${p.slice(3)}`);

    // Assess
    expect(exempt.length).toBeGreaterThan(10);
    expect([...forbidden].sort()).toEqual([...exempt].sort());
    for (const file of exempt) expect(existsSync(new URL(file, root)), file).toBe(true);
  });
});
