/**
 * Typed readers for environment variables, shared by every function's config module (the only
 * places that read `process.env`). Every error names the variable.
 */
import { readFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { ConfigError } from "../../errors.ts";

export type Env = Readonly<Record<string, string | undefined>>;

/** Reads a file's text; injected so tests need no files. */
export type ReadTextFile = (path: string) => string;

export const readTextFile: ReadTextFile = (path) => readFileSync(path, "utf8");

/** An integer variable within [min, max], or `fallback` when unset. */
export function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be an integer, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}`);
  return value;
}

/** A URL variable; `required` makes its absence an error. */
export function url(env: Env, name: string, required: true): string;
export function url(env: Env, name: string, required: false): string | undefined;
export function url(env: Env, name: string, required: boolean): string | undefined {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === "") {
    if (required) throw new ConfigError(name, "is required");
    return undefined;
  }
  if (!URL.canParse(raw)) throw new ConfigError(name, "must be a URL");
  return raw;
}

/** An optional non-empty string variable. */
export function optionalString(env: Env, name: string): string | undefined {
  const raw = env[name]?.trim();
  return raw === undefined || raw === "" ? undefined : raw;
}

/**
 * Where the targets come from: the text of variable `inline` when set, or the file
 * `PULLBRIDGE_TARGETS_FILE` (default `defaultFile`, relative to the Lambda task root). `field` is
 * the variable to name in errors about the content.
 */
export function readTargetsText(
  env: Env,
  inline: string,
  defaultFile: string,
  readFile: ReadTextFile = readTextFile,
): { text: string; field: string; source: string } {
  const inlineText = env[inline];
  if (inlineText !== undefined && inlineText.trim() !== "") {
    if (env.PULLBRIDGE_TARGETS_FILE) {
      throw new ConfigError(inline, `set either ${inline} or PULLBRIDGE_TARGETS_FILE, not both`);
    }
    return { text: inlineText, field: inline, source: inline };
  }
  const file = env.PULLBRIDGE_TARGETS_FILE?.trim() || defaultFile;
  const path = isAbsolute(file) ? file : resolve(env.LAMBDA_TASK_ROOT ?? process.cwd(), file);
  try {
    return { text: readFile(path), field: "PULLBRIDGE_TARGETS_FILE", source: file };
  } catch (error) {
    throw new ConfigError("PULLBRIDGE_TARGETS_FILE", `cannot read ${path}`, { cause: error });
  }
}
