#!/usr/bin/env node
/**
 * The `pullbridge` CLI entry point (composition root): the process's streams, environment and
 * clock in, an exit code out. run-cli.ts dispatches to the commands in commands/, which call lib/app.
 */
import { readTerminalEnv } from "../../lib/config/terminal-env.ts";
import { runCli } from "./run-cli.ts";

const code = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  stdoutIsTty: process.stdout.isTTY === true,
  stderrIsTty: process.stderr.isTTY === true,
  env: readTerminalEnv(),
  cwd: process.cwd(),
  now: () => new Date(),
});
process.exitCode = code;
// Keep-alive sockets to the API server must not hold the process open after the answer.
setTimeout(() => process.exit(code), 200).unref();
