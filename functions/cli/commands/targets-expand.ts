/**
 * `pullbridge targets expand [dir] [--targets <stack file>] [--source owner/name=<checkout>]…`:
 * prints the targets a config directory expands to, as the worker would install them, with the
 * generator and source behind each. `directories` generators list a local checkout of their
 * repository (`--source`); without one their targets are a problem naming the flag.
 */
import { readdir, readFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { expandTargetsCommand } from "../../../lib/app/targets-expand-command.ts";
import { formatExpandedTargets, formatExpandProblems } from "../../../lib/cli/format-targets-expand.ts";
import type { DirectoryListing } from "../../../lib/config/expand-config.ts";
import { listingKey } from "../../../lib/config/expand-config.ts";
import { parseTargetsYaml } from "../../../lib/config/targets.ts";
import { ConfigError } from "../../../lib/errors.ts";
import { defineCommand, EXIT } from "../cli-command.ts";
import { FLAGS } from "../cli-flags.ts";
import { DEFAULT_TARGETS_FILE } from "../targets-file.ts";

/** Directories never listed (not part of what GitHub would show for a repository). */
const SKIPPED = new Set([".git", "node_modules"]);

async function read(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    throw new ConfigError(path, `cannot read ${what}`, { cause: error });
  }
}

/** Every file under `root`, keyed by its path relative to `base` (`/`-separated). */
async function filesUnder(root: string, base: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (SKIPPED.has(entry.name)) continue;
      const full = join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile() && /\.ya?ml$/i.test(entry.name)) {
        files.set(relative(base, full).split("\\").join("/"), await read(full, "the config file"));
      }
    }
  };
  await walk(root);
  return files;
}

/** Every directory of a checkout, repository-relative. */
async function directoriesOf(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (!entry.isDirectory() || SKIPPED.has(entry.name)) continue;
      const full = join(dir, entry.name);
      out.push(relative(root, full).split("\\").join("/"));
      await walk(full);
    }
  };
  await walk(root);
  return out;
}

export const targetsExpandCommand = defineCommand({
  name: "targets expand",
  operands: ["[dir]"],
  usage: "[dir] [--targets <file>] [--source <owner/name>=<dir>]...",
  summary:
    'the targets a config repository directory (default ".") expands to, with the generator behind each',
  about:
    "Reads every YAML file under [dir] as the worker reads the config repository's path, expands its generators and validates every target against the stack file (--targets) and its projects, exactly as a config commit is validated. A `directories` generator lists a local checkout of its repository, given with --source. Valid: a table of the targets, each with its project, cluster, namespace, source and the file, generator and parameters behind it; otherwise every problem at file:line:col.",
  flags: {
    targets: {
      ...FLAGS.targets,
      help: `the stack file: clusters, projects and packaged targets (default: ${DEFAULT_TARGETS_FILE})`,
    },
    source: {
      type: "string",
      arg: "<owner/name>=<dir>",
      multiple: true,
      help: "a checkout of a repository a `directories` generator lists (repeatable)",
    },
  },
  examples: ["pullbridge targets expand pullbridge/ --targets infra/targets.yaml --source acme/apps=../apps"],
  exitCodes: "0 valid, 1 invalid (each problem on stderr).",
  run: async ({ flags, operands, terminal, cwd }) => {
    const { p } = terminal;
    const dir = resolve(cwd, operands[0] ?? ".");
    const stackFile = flags.targets ?? DEFAULT_TARGETS_FILE;
    const stack = parseTargetsYaml(await read(resolve(cwd, stackFile), "the stack file"), stackFile);
    const sources = new Map<string, string>();
    for (const source of flags.source) {
      const at = source.indexOf("=");
      const [repo, path] = [source.slice(0, at), source.slice(at + 1)];
      if (at < 0 || !/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(repo) || path === "") {
        throw new ConfigError("--source", `"${source}" is not owner/name=<checkout directory>`);
      }
      sources.set(repo.toLowerCase(), resolve(cwd, path));
    }
    const command = expandTargetsCommand(await filesUnder(dir, cwd), stack);
    const listings = new Map<string, DirectoryListing>();
    for (const { repo, branch } of command.needs) {
      const checkout = sources.get(repo.toLowerCase());
      listings.set(
        listingKey(repo, branch),
        checkout === undefined
          ? { error: `no checkout given: pass --source ${repo}=<directory> (its ${branch} branch)` }
          : { directories: await directoriesOf(checkout) },
      );
    }
    const result = command.expand(listings);
    const valid = result.problems.length === 0;
    if (terminal.output === "json") {
      terminal.json({ valid, ...result });
      return valid ? EXIT.ok : EXIT.error;
    }
    for (const line of formatExpandProblems(result)) terminal.err(`${p.red(line)}\n`);
    if (valid) terminal.out(`${formatExpandedTargets(result)}\n`);
    return valid ? EXIT.ok : EXIT.error;
  },
});
