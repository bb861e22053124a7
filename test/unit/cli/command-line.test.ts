import { describe, expect, expectTypeOf, it } from "vitest";
import { type FlagTable, flagValues, readCommandLine } from "../../../lib/cli/command-line.ts";

const GLOBAL = {
  output: { type: "string", short: "o", arg: "<format>", default: "text", help: "format" },
} as const;

const DEPLOY = {
  targets: { type: "string", arg: "<file>", help: "targets file" },
  namespace: { type: "string", short: "n", arg: "<ns>", adHoc: true, help: "namespace" },
  root: { type: "string", arg: "<dir>", adHoc: "with --targets, <dir> is the root", help: "root" },
  watch: { type: "string", arg: "<dir>", multiple: true, adHoc: true, help: "watch" },
  prune: { type: "boolean", default: true, help: "prune" },
  "cluster-scoped": { type: "boolean", adHoc: true, help: "cluster-scoped" },
  timeout: {
    type: "string",
    arg: "<seconds>",
    help: "timeout",
    parse: (raw: string) => {
      if (!/^\d+$/.test(raw)) throw new Error(`must be a number, got "${raw}"`);
      return Number(raw);
    },
  },
} as const satisfies FlagTable;

const STATUS = {
  "all-namespaces": { type: "boolean", short: "A", help: "all" },
} as const satisfies FlagTable;

/** The values `argv` gives the deploy command, as the dispatcher asks for them. */
function deployFlags(argv: string[]) {
  const line = readCommandLine(argv, [GLOBAL, DEPLOY, STATUS]);
  return flagValues(line, DEPLOY, { besides: GLOBAL, misplaced: (flag) => `not a flag of deploy (${flag})` });
}

describe("flagValues", () => {
  it("gives a command its own flags, camel-cased, with defaults and parsed values", () => {
    // Act
    const given = deployFlags(["deploy", "dir", "-n", "apps", "--watch", "a", "--watch=b", "--no-prune"]);
    const withTimeout = deployFlags(["deploy", "--timeout", "30", "--cluster-scoped"]);
    const defaults = deployFlags(["deploy"]);

    // Assess
    expect(given).toEqual({
      targets: undefined,
      namespace: "apps",
      root: undefined,
      watch: ["a", "b"],
      prune: false,
      clusterScoped: false,
      timeout: undefined,
    });
    expect(withTimeout).toMatchObject({ timeout: 30, clusterScoped: true, prune: true });
    expect(defaults).toMatchObject({ watch: [], prune: true, clusterScoped: false });
    expectTypeOf(defaults.timeout).toEqualTypeOf<number | undefined>();
    expectTypeOf(defaults.watch).toEqualTypeOf<readonly string[]>();
    expectTypeOf(defaults).not.toHaveProperty("allNamespaces");
    expectTypeOf(defaults).not.toHaveProperty("output");
  });

  it("refuses a flag of another command, naming it as typed, and lets the flags of every command through", () => {
    // Act
    const foreign = () => deployFlags(["deploy", "-A"]);
    const global = deployFlags(["deploy", "-o", "json"]);

    // Assess
    expect(foreign).toThrow("--all-namespaces: not a flag of deploy (all-namespaces)");
    expect(global).toMatchObject({ prune: true });
  });

  it("refuses every ad-hoc flag beside --targets, short or long, with the flag's own reason where it has one", () => {
    // Act
    const refusals = [["-n", "apps"], ["--watch", "base"], ["--cluster-scoped"], ["--root", "."]].map(
      (flag) => {
        try {
          deployFlags(["deploy", ".", "--targets", "t.yaml", ...flag]);
          return "accepted";
        } catch (error) {
          return (error as Error).message;
        }
      },
    );
    const withoutTargets = deployFlags(["deploy", ".", "-n", "apps", "--root", ".", "--cluster-scoped"]);
    const narrowing = deployFlags(["deploy", ".", "--targets", "t.yaml", "--no-prune"]);

    // Assess
    expect(refusals).toEqual([
      "--namespace: comes from the targets file when --targets is given; drop one of them",
      "--watch: comes from the targets file when --targets is given; drop one of them",
      "--cluster-scoped: comes from the targets file when --targets is given; drop one of them",
      "--root: with --targets, <dir> is the root",
    ]);
    expect(withoutTargets).toMatchObject({ namespace: "apps", root: ".", clusterScoped: true });
    expect(narrowing).toMatchObject({ targets: "t.yaml", prune: false });
  });

  it("names the flag whose value its parser refuses", () => {
    // Act
    const bad = () => deployFlags(["deploy", "--timeout", "soon"]);

    // Assess
    expect(bad).toThrow('--timeout: must be a number, got "soon"');
  });

  it("without a command's table, reads only the given table and refuses nothing", () => {
    // Prepare
    const line = readCommandLine(["deploy", "-A", "-o", "json"], [GLOBAL, DEPLOY, STATUS]);

    // Act
    const global = flagValues(line, GLOBAL);

    // Assess
    expect(global).toEqual({ output: "json" });
  });
});

describe("readCommandLine", () => {
  it("refuses a flag no command defines with Node's message", () => {
    // Act
    const unknown = () => readCommandLine(["deploy", "--bogus"], [GLOBAL, DEPLOY]);

    // Assess
    expect(unknown).toThrow(TypeError);
    expect(unknown).toThrow("Unknown option '--bogus'");
  });

  it("refuses one flag name declared with two shapes, which would make argv ambiguous", () => {
    // Prepare
    const other = { namespace: { type: "boolean", help: "clash" } } as const satisfies FlagTable;

    // Act
    const clash = () => readCommandLine(["x"], [DEPLOY, other]);

    // Assess
    expect(clash).toThrow("flag --namespace is declared with two different shapes");
  });
});
