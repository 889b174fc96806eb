#!/usr/bin/env node
/**
 * The `taskgate-admin` program: runs the CLI on this process's arguments and exits with its code.
 */
import { main } from "./cli/main.js";
import { confirmOnTerminal } from "./cli/terminal.js";

process.exitCode = await main(process.argv.slice(2), {
  env: process.env,
  stdout: (text) => process.stdout.write(`${text}\n`),
  stderr: (text) => process.stderr.write(`${text}\n`),
  confirm: process.stdin.isTTY ? confirmOnTerminal : undefined,
});
