/**
 * The documented commands that need only this repository (rendering, validating a targets file,
 * regenerating the reference) run as written, in a fresh copy of the checkout, with the exit code
 * the docs state. Getting started's commands, which need a running bridge, are run by
 * test/rolling/getting-started.test.ts.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commandsOf, fencedBlocks } from "../../support/doc-blocks.ts";
import { createDocSandbox, type DocSandbox, runDocCommand } from "../../support/doc-sandbox.ts";

const DOCS = new URL("../../../docs/", import.meta.url).pathname;

function markdownFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return markdownFiles(path);
    return name.endsWith(".md") ? [path] : [];
  });
}

const documented = markdownFiles(DOCS)
  .filter((file) => !file.endsWith("getting-started.md"))
  .flatMap((file) =>
    fencedBlocks(readFileSync(file, "utf8"))
      .filter((block) => block.kind === "doctest")
      .flatMap((block) =>
        commandsOf(block).map((c) => ({ ...c, where: `docs/${relative(DOCS, file)}:${block.line}` })),
      ),
  );

let sandbox: DocSandbox;
beforeAll(async () => {
  sandbox = await createDocSandbox();
});
afterAll(async () => {
  await sandbox?.remove();
});

describe("documented commands", () => {
  it("include the rendering, validation and generator examples", () => {
    // Assess: a page that stops marking its blocks would otherwise go untested silently.
    expect(documented.map((c) => c.where.split(":")[0])).toEqual(
      expect.arrayContaining(["docs/concepts/rendering.md", "docs/configuration.md", "docs/development.md"]),
    );
  });

  it.each(documented)(
    "$where: $command",
    async ({ command, exitCode }) => {
      // Act
      const run = await runDocCommand(sandbox, command);

      // Assess
      expect(run.code, `${command}\n${run.stdout}\n${run.stderr}`).toBe(exitCode);
    },
    300_000,
  );
});
