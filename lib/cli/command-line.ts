/**
 * The command line as tables: every command declares its flags (type, short form, value name,
 * help text), argv is read once against them, and a command receives exactly its own flags as
 * typed values — it cannot read a flag it does not define, and its `--help` is printed from the
 * same table (format-help.ts), so the two cannot drift apart.
 */
import { parseArgs } from "node:util";
import { ConfigError } from "../errors.ts";

type CommonSpec = {
  readonly short?: string;
  /** One or more sentences; help wraps them. */
  readonly help: string;
  /**
   * Shapes a target without a targets file, so it is refused beside `--targets` (whose target has
   * its own) — the same way in every command. A string is the reason to print instead of the default.
   */
  readonly adHoc?: true | string;
  /** The help section listing it (default: "Options"). */
  readonly section?: string;
};

/** A switch; negatable (`--no-<name>`), which is how help shows one that defaults to true. */
type BooleanFlagSpec = CommonSpec & { readonly type: "boolean"; readonly default?: boolean };

/** A flag with a value. */
type StringFlagSpec = CommonSpec & {
  readonly type: "string";
  /** The value's name in help: `<file>`. */
  readonly arg: string;
  /** Repeatable: every value, in order. */
  readonly multiple?: true;
  readonly default?: string;
  /** Turns the text into the typed value; throws an Error whose message is the reason it is refused. */
  readonly parse?: (raw: string) => unknown;
};

export type FlagSpec = BooleanFlagSpec | StringFlagSpec;

/** Flags by their long name (`all-namespaces`). */
export type FlagTable = Readonly<Record<string, FlagSpec>>;

/** `all-namespaces` → `allNamespaces`. */
type CamelCase<S extends string> = S extends `${infer Head}-${infer Tail}`
  ? `${Head}${Capitalize<CamelCase<Tail>>}`
  : S;

type ValueOf<F> = F extends { type: "boolean" }
  ? boolean
  : F extends { multiple: true }
    ? readonly string[]
    : F extends { parse: (raw: string) => infer T }
      ? F extends { default: string }
        ? T
        : T | undefined
      : F extends { default: string }
        ? string
        : string | undefined;

/** A table's values as a command reads them: camel-cased names, typed by the spec. */
export type FlagValues<T extends FlagTable> = {
  readonly [K in keyof T & string as CamelCase<K>]: ValueOf<T[K]>;
};

/** argv read against every flag the program knows: what was given, before any command looks at it. */
export type CommandLine = {
  readonly positionals: readonly string[];
  /** Each flag given, by long name, with the spelling used (`-n`, `--no-prune`). */
  readonly given: readonly { readonly name: string; readonly rawName: string }[];
  readonly values: Readonly<Record<string, unknown>>;
};

/** Every flag of every table, once; a name declared twice with different shapes is a programming error. */
function unionOf(tables: readonly FlagTable[]): FlagTable {
  const union: Record<string, FlagSpec> = {};
  for (const table of tables) {
    for (const [name, spec] of Object.entries(table)) {
      const known = union[name];
      if (
        known !== undefined &&
        (known.type !== spec.type ||
          known.short !== spec.short ||
          (known.type === "string" && spec.type === "string" && known.multiple !== spec.multiple))
      ) {
        throw new Error(`flag --${name} is declared with two different shapes`);
      }
      union[name] = spec;
    }
  }
  return union;
}

/**
 * Reads argv (without `node` and the script) against every table at once, since the command is
 * only known once the words are; TypeError with Node's message on an unknown flag or a missing value.
 */
export function readCommandLine(argv: readonly string[], tables: readonly FlagTable[]): CommandLine {
  const options = Object.fromEntries(
    Object.entries(unionOf(tables)).map(([name, spec]) => [
      name,
      {
        type: spec.type,
        ...(spec.short === undefined ? {} : { short: spec.short }),
        ...(spec.type === "string" && spec.multiple ? { multiple: true } : {}),
      },
    ]),
  );
  const { values, positionals, tokens } = parseArgs({
    args: [...argv],
    options,
    allowPositionals: true,
    allowNegative: true,
    strict: true,
    tokens: true,
  });
  return {
    positionals,
    given: tokens.flatMap((t) => (t.kind === "option" ? [{ name: t.name, rawName: t.rawName }] : [])),
    values,
  };
}

const camelCase = (name: string) => name.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());

/**
 * The values of `table`'s flags, defaults applied and parsed (ConfigError naming the flag whose
 * value is refused). With `only`, a flag given that is neither in `table` nor in `only.besides` is
 * refused (`only.misplaced` says why), as is an ad-hoc flag beside `--targets`.
 */
export function flagValues<T extends FlagTable>(
  line: CommandLine,
  table: T,
  only?: { besides: FlagTable; misplaced: (flag: string) => string },
): FlagValues<T> {
  if (only !== undefined) refuseForeignFlags(line, table, only);
  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(table)) {
    const given = line.values[name];
    if (spec.type === "boolean") {
      values[camelCase(name)] = typeof given === "boolean" ? given : (spec.default ?? false);
      continue;
    }
    if (spec.multiple) {
      values[camelCase(name)] = Array.isArray(given) ? given : [];
      continue;
    }
    const raw = typeof given === "string" ? given : spec.default;
    values[camelCase(name)] =
      raw === undefined || spec.parse === undefined ? raw : parseValue(name, spec, raw);
  }
  return values as FlagValues<T>;
}

function refuseForeignFlags(
  line: CommandLine,
  table: FlagTable,
  only: { besides: FlagTable; misplaced: (flag: string) => string },
): void {
  for (const { name, rawName } of line.given) {
    if (table[name] === undefined && only.besides[name] === undefined) {
      throw new ConfigError(rawName.startsWith("--") ? rawName : `--${name}`, only.misplaced(name));
    }
  }
  if (table.targets !== undefined && line.values.targets !== undefined) {
    for (const { name } of line.given) {
      const adHoc = table[name]?.adHoc;
      if (adHoc === undefined) continue;
      throw new ConfigError(
        `--${name}`,
        adHoc === true ? "comes from the targets file when --targets is given; drop one of them" : adHoc,
      );
    }
  }
}

function parseValue(name: string, spec: StringFlagSpec, raw: string): unknown {
  try {
    return spec.parse?.(raw);
  } catch (error) {
    throw new ConfigError(`--${name}`, error instanceof Error ? error.message : String(error));
  }
}
