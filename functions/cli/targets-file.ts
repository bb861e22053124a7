/** The targets file as the CLI reads it: relative to the working directory, errors naming the file. */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { selectTarget } from "../../lib/app/cli-target.ts";
import { parseTargetsYaml, type Target, type TargetsFile } from "../../lib/config/targets.ts";
import { ConfigError } from "../../lib/errors.ts";

/** Where `targets validate` and `images plan` look without a file named. */
export const DEFAULT_TARGETS_FILE = "infra/targets.yaml";

/** The file's text; ConfigError naming it when it cannot be read. */
export async function readTargetsFile(path: string, cwd: string): Promise<string> {
  try {
    return await readFile(resolve(cwd, path), "utf8");
  } catch (error) {
    throw new ConfigError(path, "cannot read the targets file", { cause: error });
  }
}

/** The parsed file; ConfigError with every problem at its file:line. */
export async function loadTargetsFile(path: string, cwd: string): Promise<TargetsFile> {
  return parseTargetsYaml(await readTargetsFile(path, cwd), path);
}

/** The file and its target named by `--target` (or its only one). */
export async function targetOfFile(
  path: string,
  name: string | undefined,
  cwd: string,
): Promise<{ file: TargetsFile; target: Target }> {
  const file = await loadTargetsFile(path, cwd);
  return { file, target: selectTarget(file, name, path) };
}
