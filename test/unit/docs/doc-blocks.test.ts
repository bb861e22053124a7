import { describe, expect, it } from "vitest";
import { commandsOf, fencedBlocks } from "../../support/doc-blocks.ts";

describe("fenced blocks of the docs", () => {
  it("carry their kind from the info string, and transcripts count as commands", () => {
    // Prepare
    const markdown = [
      "```sh doctest",
      "npm start",
      "```",
      "- a list item:",
      "  ```console illustrative",
      "  $ aws sqs list-queues",
      "  ```",
      "```text",
      "$ pullbridge diff deploy",
      "```",
      "```yaml",
      "a: 1",
      "```",
    ].join("\n");

    // Act
    const blocks = fencedBlocks(markdown);

    // Assess
    expect(blocks.map((b) => [b.line, b.kind, b.isCommands])).toEqual([
      [1, "doctest", true],
      [5, "illustrative", true],
      [8, undefined, true],
      [11, undefined, false],
    ]);
    expect(blocks[1]?.body).toBe("$ aws sqs list-queues");
  });

  it("split a doctest block into commands with the exit code their comment states", () => {
    // Prepare
    const body = [
      "# a comment line is not a command",
      "npm run pullbridge -- diff deploy   # exit code 2: changes",
      "",
      "npx osls deploy --stage prod \\",
      "  --param githubAppId=1",
      "sed -i 's/a/b/' file   # exits 0",
    ].join("\n");

    // Act
    const commands = commandsOf({ body });

    // Assess
    expect(commands).toEqual([
      { command: "npm run pullbridge -- diff deploy   # exit code 2: changes", exitCode: 2 },
      { command: "npx osls deploy --stage prod    --param githubAppId=1", exitCode: 0 },
      { command: "sed -i 's/a/b/' file   # exits 0", exitCode: 0 },
    ]);
  });
});
