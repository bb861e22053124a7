/**
 * The `pullbridge` command line itself, as a user runs it (a real process): each command's own
 * `--help`, its own flags only, and the ad-hoc target flags refused beside `--targets` the same
 * way in every command — before anything is read or any cluster is contacted.
 */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { pullbridge } from "../../support/cli-process.ts";

let dir: string;
/** No cluster answers here: a command that got as far as connecting would fail differently. */
const NO_CLUSTER = ["--kubeconfig", "/nonexistent/kubeconfig"];

const run = (argv: string[]) => pullbridge(argv, { cwd: dir });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pullbridge-usage-"));
  await writeFile(
    join(dir, "targets.yaml"),
    "version: 1\nclusters: { c: { type: eks, name: c } }\ntargets:\n  - { name: web, repo: acme/config, cluster: c, namespace: web }\n",
  );
});

describe("pullbridge <command> --help", () => {
  it("prints the command's own usage and exactly the flags it takes (exit 0)", async () => {
    // Act
    const [diff, sync, status, program] = await Promise.all([
      run(["diff", "--help"]),
      run(["sync", "-h"]),
      run(["status", "--help"]),
      run(["--help"]),
    ]);

    // Assess
    for (const help of [diff, sync, status, program]) {
      expect(help.stderr).toBe("");
      expect(help.code).toBe(0);
    }
    expect(diff.stdout).toMatch(/^pullbridge diff — plan <dir> against the live cluster/);
    expect(diff.stdout).toContain("Usage:\n  pullbridge diff <dir> [options]\n");
    expect(diff.stdout).toContain("  --summary ");
    expect(diff.stdout).not.toContain("--wait");
    expect(sync.stdout).toContain("  --wait ");
    expect(sync.stdout).toContain("  --timeout <seconds> ");
    expect(sync.stdout).not.toContain("--summary");
    expect(status.stdout).toContain("  -A, --all-namespaces ");
    expect(status.stdout).not.toContain("--no-prune");
    expect(program.stdout).toContain('Run "pullbridge <command> --help"');
    expect(program.stdout).not.toContain("--all-namespaces");
  });

  it("is the same through `pullbridge help <command>`, and a group's help is its commands'", async () => {
    // Act
    const [flag, word, group, plan] = await Promise.all([
      run(["inventory", "repair", "--help"]),
      run(["help", "inventory", "repair"]),
      run(["images", "--help"]),
      run(["images", "plan", "-h"]),
    ]);

    // Assess
    expect(flag.stdout).toContain("pullbridge inventory repair --target <name>");
    expect(word.stdout).toBe(flag.stdout);
    expect(group.code).toBe(0);
    expect(group.stdout).toBe(plan.stdout);
  });
});

describe("flags", () => {
  it("refuses the ad-hoc target flags beside --targets in every command that has both, with one message", async () => {
    // Act
    const runs = await Promise.all(
      [
        ["diff", ".", ...NO_CLUSTER],
        ["sync", ".", ...NO_CLUSTER],
        ["render", "."],
        ["status", ...NO_CLUSTER],
        ["inventory", "repair", "--target", "web", ...NO_CLUSTER],
      ].map((argv) => run([...argv, "--targets", "targets.yaml", "-n", "apps"])),
    );

    // Assess
    for (const refused of runs) {
      expect(refused.code).toBe(1);
      expect(refused.stdout).toBe("");
      expect(refused.stderr).toBe(
        "error: --namespace: comes from the targets file when --targets is given; drop one of them\n",
      );
    }
  });

  it("refuses -A beside --targets, whose file names the targets, and prints a JSON error with -o json", async () => {
    // Act
    const json = await run(["status", "--targets", "targets.yaml", "-A", "-o", "json", ...NO_CLUSTER]);

    // Assess
    expect(json.code).toBe(1);
    const message =
      "--all-namespaces: the targets file names the targets when --targets is given; drop one of them";
    expect(json.stderr).toBe(`error: ${message}\n`);
    expect(JSON.parse(json.stdout)).toEqual({ error: { kind: "ConfigError", message } });
  });

  it("refuses a flag the command does not take, naming the commands that do", async () => {
    // Act
    const wait = await run(["status", "--wait", ...NO_CLUSTER]);
    const prune = await run(["images", "plan", "--no-prune"]);
    const root = await run(["render", ".", "--targets", "targets.yaml", "--root", "."]);

    // Assess
    expect(wait.code).toBe(1);
    expect(wait.stderr).toBe(
      'error: --wait: applies to sync only, not status (see "pullbridge status --help")\n',
    );
    expect(prune.stderr).toBe(
      'error: --no-prune: applies to diff, sync only, not images plan (see "pullbridge images plan --help")\n',
    );
    expect(root.stderr).toBe(
      "error: --root: with --targets, <dir> is the repository root; drop one of them\n",
    );
  });
});
