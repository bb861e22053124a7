/**
 * Fenced code blocks of the docs, and the commands in those the tests run. A block's info string
 * says what it is: ```` ```sh doctest ```` (run as written by the tests), ```` ```sh doctest:bridge ````
 * (the long-running `npm start` of Getting started), ```` ```sh illustrative ```` (needs an AWS
 * account, GitHub or your cluster). Blocks of output are `text`; a transcript (`$ …` lines) is a
 * block of commands too, and must be marked.
 */

export type FencedBlock = {
  /** 1-based line of the opening fence. */
  line: number;
  /** The whole info string, e.g. `sh doctest`. */
  info: string;
  /** `doctest`, `doctest:<role>` or `illustrative`; undefined when unmarked. */
  kind: string | undefined;
  /** Shell blocks and transcripts: what a reader would paste into a terminal. */
  isCommands: boolean;
  body: string;
};

const SHELLS = new Set(["sh", "bash", "shell", "console", "zsh"]);

/** Every fenced block of a markdown document, nested ones (in list items) included. */
export function fencedBlocks(markdown: string): FencedBlock[] {
  const blocks: FencedBlock[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})(.*)$/.exec(lines[i] ?? "");
    if (!open) continue;
    const [, indent = "", fence = "", rest = ""] = open;
    const info = rest.trim();
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const line = lines[j] ?? "";
      if (line.trim().startsWith(fence) && line.trim().replace(/[`~]/g, "") === "") break;
      body.push(line.startsWith(indent) ? line.slice(indent.length) : line);
    }
    const words = info.split(/\s+/);
    const language = words[0] ?? "";
    const kind = words.find((w) => w === "doctest" || w.startsWith("doctest:") || w === "illustrative");
    const text = body.join("\n");
    blocks.push({
      line: i + 1,
      info,
      kind,
      isCommands: SHELLS.has(language) || /^\$ /m.test(text),
      body: text,
    });
    i = j;
  }
  return blocks;
}

/** One command of a doctest block, and the exit code its trailing `# exit code N` comment promises (default 0). */
export type DocCommand = { command: string; exitCode: number };

/** The commands of a doctest block: one per line (a trailing `\` continues it), comments and blanks skipped. */
export function commandsOf(block: Pick<FencedBlock, "body">): DocCommand[] {
  const commands: DocCommand[] = [];
  let pending = "";
  for (const raw of block.body.split("\n")) {
    const line = raw.trimEnd();
    if (pending === "" && (line.trim() === "" || line.trim().startsWith("#"))) continue;
    if (line.endsWith("\\")) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    const command = pending + line;
    pending = "";
    const exit = /#.*\bexit code (\d+)\b/.exec(command);
    commands.push({ command: command.trim(), exitCode: exit?.[1] === undefined ? 0 : Number(exit[1]) });
  }
  return commands;
}
