/**
 * The README and docs/ hold together: every relative link and anchor resolves, every repository
 * path they name in backticks exists, and every block of commands says whether the tests run it
 * (`doctest`) or it needs something they cannot have (`illustrative`).
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { anchorsOf, proseLines } from "../../../docs/tools/markdown-anchors.ts";
import { fencedBlocks } from "../../support/doc-blocks.ts";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

function markdownFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return markdownFiles(path);
    return name.endsWith(".md") ? [path] : [];
  });
}

const FILES = [join(ROOT, "README.md"), ...markdownFiles(join(ROOT, "docs"))];
const anchorCache = new Map<string, Set<string>>();
function anchorsIn(path: string): Set<string> {
  let anchors = anchorCache.get(path);
  if (anchors === undefined) {
    anchors = anchorsOf(readFileSync(path, "utf8"));
    anchorCache.set(path, anchors);
  }
  return anchors;
}

/** `[text](target)` links of a document's prose (not inside code), with their line numbers. */
function linksOf(markdown: string): Array<{ line: number; target: string }> {
  const links: Array<{ line: number; target: string }> = [];
  for (const { line, text } of proseLines(markdown)) {
    const withoutCode = text.replace(/`[^`]*`/g, "");
    for (const match of withoutCode.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      if (match[1]) links.push({ line, target: match[1] });
    }
  }
  return links;
}

/** Why a relative link does not resolve, or undefined when it does. */
function brokenLink(from: string, target: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return undefined;
  const [path = "", anchor] = target.split("#", 2);
  const resolved = path === "" ? from : join(dirname(from), decodeURIComponent(path));
  if (!existsSync(resolved)) return `${path} does not exist`;
  if (anchor === undefined || anchor === "") return undefined;
  if (!resolved.endsWith(".md")) return `#${anchor} points into a file that is not markdown`;
  return anchorsIn(resolved).has(anchor)
    ? undefined
    : `${relative(ROOT, resolved)} has no heading #${anchor}`;
}

describe("the README and docs/", () => {
  it("have only relative links and anchors that resolve", () => {
    // Act
    const broken = FILES.flatMap((file) =>
      linksOf(readFileSync(file, "utf8")).flatMap(({ line, target }) => {
        const reason = brokenLink(file, target);
        return reason === undefined ? [] : [`${relative(ROOT, file)}:${line}: (${target}) ${reason}`];
      }),
    );

    // Assess
    expect(broken).toEqual([]);
  });

  it("name only repository paths that exist", () => {
    // Act
    const missing = FILES.flatMap((file) =>
      proseLines(readFileSync(file, "utf8")).flatMap(({ line, text }) =>
        [...text.matchAll(/`((?:lib|functions|infra|test|bench|docs)\/[A-Za-z0-9_./-]+)`/g)]
          .map((m) => m[1] ?? "")
          .filter((path) => !existsSync(join(ROOT, path)))
          .map((path) => `${relative(ROOT, file)}:${line}: ${path}`),
      ),
    );

    // Assess
    expect(missing).toEqual([]);
  });

  it("mark every block of commands as run by the tests (doctest) or illustrative", () => {
    // Act
    const unmarked = FILES.flatMap((file) =>
      fencedBlocks(readFileSync(file, "utf8"))
        .filter((block) => block.isCommands && block.kind === undefined)
        .map((block) => `${relative(ROOT, file)}:${block.line}: \`\`\`${block.info}`),
    );

    // Assess
    expect(unmarked).toEqual([]);
  });

  it("keep the README a front page of at most 200 lines", () => {
    // Act
    const lines = readFileSync(join(ROOT, "README.md"), "utf8").trimEnd().split("\n").length;

    // Assess
    expect(lines).toBeLessThanOrEqual(200);
  });

  it("carry no internal section markers", () => {
    // Act
    const markers = FILES.flatMap((file) =>
      proseLines(readFileSync(file, "utf8"))
        .filter(({ text }) => /<!--\s*[\w-]+:(start|end)\s*-->/.test(text))
        .map(({ line, text }) => `${relative(ROOT, file)}:${line}: ${text.trim()}`),
    );

    // Assess
    expect(markers).toEqual([]);
  });
});

describe("the link checker", () => {
  it("finds a link to a missing file and a missing anchor", () => {
    // Prepare
    const from = join(ROOT, "docs", "README.md");

    // Act
    const missingFile = brokenLink(from, "no-such-page.md");
    const missingAnchor = brokenLink(from, "getting-started.md#no-such-heading");
    const fine = brokenLink(from, "getting-started.md#1-start-the-bridge");

    // Assess
    expect(missingFile).toBe("no-such-page.md does not exist");
    expect(missingAnchor).toBe("docs/getting-started.md has no heading #no-such-heading");
    expect(fine).toBeUndefined();
  });
});
