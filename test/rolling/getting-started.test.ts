/**
 * docs/getting-started.md, run as written and in order, as a reader on a machine without a
 * kubeconfig would: `npm start` in one terminal (the `doctest:bridge` block) — which starts its own
 * local control plane, with controllers and KWOK since this project has built them — then every
 * `doctest` block's commands in a second terminal, each with the exit code the page states. After a
 * `send-push`, the bridge must report `success` for the pushed commit before the next command runs.
 * Runs in a fresh copy of the checkout (test/support/doc-sandbox.ts), so no state of yours is touched.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { commandsOf, fencedBlocks } from "../support/doc-blocks.ts";
import { createDocSandbox, type DocSandbox, runDocCommand } from "../support/doc-sandbox.ts";

const PAGE = new URL("../../docs/getting-started.md", import.meta.url);
/** The port `npm start` listens on by default, as the page's commands leave it. */
const DEFAULT_PORT = 8787;

/** Waits until nothing listens on `port` (another bridge of a parallel run), failing after `timeoutMs`. */
async function waitForFreePort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once("error", () => resolve(false));
      server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
    });
    if (free) return;
    if (Date.now() > deadline)
      throw new Error(`port ${port} stays in use: stop the other \`npm start\` to run this test`);
    await sleep(1000);
  }
}

type Bridge = { child: ChildProcess; output: { text: string }; exited: Promise<number | null> };

function startBridge(sandbox: DocSandbox, command: string): Bridge {
  const child = spawn("bash", ["-c", command], {
    cwd: sandbox.dir,
    env: sandbox.env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output = { text: "" };
  child.stdout?.on("data", (chunk: Buffer) => {
    output.text += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output.text += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  return { child, output, exited };
}

/** Resolves with the first match of `pattern` in the bridge's output after `from`. */
async function waitForOutput(bridge: Bridge, pattern: RegExp, timeoutMs = 120_000, from = 0) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = bridge.output.text.slice(from).match(pattern);
    if (match) return match;
    if (Date.now() > deadline)
      throw new Error(`no ${pattern} in the bridge's output:\n${bridge.output.text}`);
    await sleep(200);
  }
}

/** Ctrl-C, as the page says: the whole process group, then wait until every process of it is gone. */
async function stopBridge(bridge: Bridge): Promise<void> {
  const pgid = bridge.child.pid;
  if (pgid === undefined) return;
  const alive = () => {
    try {
      process.kill(-pgid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (alive()) process.kill(-pgid, "SIGINT");
  await bridge.exited;
  for (let i = 0; i < 60 && alive(); i++) await sleep(500);
  if (alive()) process.kill(-pgid, "SIGKILL");
}

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

describe("docs/getting-started.md", () => {
  it("runs as written: npm start, a pushed edit, the CLI", async () => {
    // Prepare
    const blocks = fencedBlocks(await readFile(PAGE, "utf8"));
    const bridgeBlocks = blocks.filter((b) => b.kind === "doctest:bridge");
    const steps = blocks.filter((b) => b.kind === "doctest").flatMap((b) => commandsOf(b));
    expect(bridgeBlocks).toHaveLength(1);
    const [start] = commandsOf(bridgeBlocks[0] ?? { body: "" });
    expect(start?.command).toBe("npm start");
    expect(steps.length).toBeGreaterThanOrEqual(5);
    const sandbox = await createDocSandbox();
    cleanup.push(() => sandbox.remove());
    await waitForFreePort(DEFAULT_PORT, 180_000);

    // Act: the first terminal
    const bridge = startBridge(sandbox, start?.command ?? "");
    cleanup.push(() => stopBridge(bridge));
    await waitForOutput(bridge, /Ctrl-C stops everything/, 240_000);
    const [, kubeconfig = ""] = await waitForOutput(bridge, /\(admin kubeconfig (\S+)\)/);
    await waitForOutput(bridge, /✔ pullbridge\/demo local\/pullbridge-demo@[0-9a-f]{7} success/);

    // Act: the second terminal, with the KUBECONFIG the page tells the reader to export
    const ran: string[] = [];
    for (const { command, exitCode } of steps) {
      const mark = bridge.output.text.length;
      const result = await runDocCommand(sandbox, command, { KUBECONFIG: kubeconfig });
      ran.push(command);

      // Assess each step as it runs: its exit code, and a push's sync
      expect(result.code, `${command}\n${result.stdout}\n${result.stderr}`).toBe(exitCode);
      const pushed = /push main [0-9a-f]+\.\.([0-9a-f]{7})/.exec(result.stdout)?.[1];
      if (command.startsWith("npm run send-push")) {
        expect(pushed, result.stdout).toBeDefined();
        await waitForOutput(
          bridge,
          new RegExp(`✔ pullbridge/demo local/pullbridge-demo@${pushed} success`),
          120_000,
          mark,
        );
      }
    }

    // Assess: the whole page ran, and the bridge reported no failure
    expect(ran).toEqual(steps.map((s) => s.command));
    expect(bridge.output.text).not.toMatch(/✘|failure:/);
  }, 600_000);
});
