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
import type { CliRun } from "../run-cli.ts";

const DEFAULT_STACK_FILE = "infra/targets.yaml";
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

/** Runs `targets expand`; exit 1 when the config has problems (each printed as file:line on stderr). */
export async function targetsExpandCommand(run: CliRun): Promise<number> {
  const { args, io, p } = run;
  if (args.positionals.length > 2) throw new ConfigError("targets expand", "expects at most one directory");
  const dir = resolve(io.cwd, args.positionals[1] ?? ".");
  const stackFile = args.targets ?? DEFAULT_STACK_FILE;
  const stack = parseTargetsYaml(await read(resolve(io.cwd, stackFile), "the stack file"), stackFile);
  const sources = new Map<string, string>();
  for (const source of args.sources) {
    const [repo, path] = [source.slice(0, source.indexOf("=")), source.slice(source.indexOf("=") + 1)];
    if (!source.includes("=") || !/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(repo) || path === "") {
      throw new ConfigError("--source", `"${source}" is not owner/name=<checkout directory>`);
    }
    sources.set(repo.toLowerCase(), resolve(io.cwd, path));
  }
  const command = expandTargetsCommand(await filesUnder(dir, io.cwd), stack);
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
  if (args.output === "json") {
    io.stdout(`${JSON.stringify({ valid, ...result }, null, 2)}\n`);
    return valid ? 0 : 1;
  }
  for (const line of formatExpandProblems(result)) io.stderr(`${p.red(line)}\n`);
  if (valid) io.stdout(`${formatExpandedTargets(result)}\n`);
  return valid ? 0 : 1;
}
