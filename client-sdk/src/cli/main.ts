/**
 * `taskgate-admin`: argument parsing (node:util parseArgs) and the exit codes —
 * 0 done, 1 the API call failed (its error code is printed, and every bad field with why),
 * 2 the CLI was called wrongly (a FILE that cannot be read or parsed included; nothing is sent),
 * or a bulk write was not confirmed (nothing changed). The commands and their help texts are in
 * commandTable.ts.
 */
import { parseArgs } from "node:util";
import { createClient } from "../client.js";
import { TaskgateError } from "../errors.js";
import type { TaskgateClient } from "../types.js";
import { ALL_OPTIONS, COMMON, commandHelp, findCommand, GROUPS, groupHelp, mainHelp } from "./commandTable.js";
import { UsageError } from "./commands.js";
import { describeError, errorJson } from "./errorOutput.js";
import { timeoutBudget } from "./timeoutBudget.js";

/** Where the CLI writes, and what environment it reads (process.* when run as a program). */
export interface CliIo {
  env: Record<string, string | undefined>;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Asks the person at the terminal a yes/no question; absent when stdin is not a terminal. */
  confirm?: ((question: string) => Promise<boolean>) | undefined;
}

/** Runs the CLI with `argv` (without `node` and the script) and returns the exit code. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  // First pass: every option any command knows, so option values are not taken for commands.
  const loose = parseArgs({ args: argv, options: ALL_OPTIONS, allowPositionals: true, strict: false });
  const helpWord = loose.positionals[0] === "help";
  const words = helpWord ? loose.positionals.slice(1) : loose.positionals;
  const wantsHelp = helpWord || loose.values.help === true;
  const found = findCommand(words);
  if (!found) {
    const group = words.join(" ");
    if (GROUPS[group]) {
      (wantsHelp ? io.stdout : io.stderr)(groupHelp(group));
      return wantsHelp ? 0 : 2;
    }
    if (words.length === 0) {
      (wantsHelp ? io.stdout : io.stderr)(mainHelp());
      return wantsHelp ? 0 : 2;
    }
    io.stderr(`taskgate-admin: unknown command '${words.join(" ")}'. Run 'taskgate-admin --help'.`);
    return 2;
  }
  if (wantsHelp) {
    io.stdout(commandHelp(found.name, found.command));
    return 0;
  }

  let values: Record<string, string | boolean | undefined>;
  let rest: string[];
  try {
    const strict = parseArgs({ args: argv, options: { ...COMMON, ...found.command.options }, allowPositionals: true, strict: true });
    values = strict.values as Record<string, string | boolean | undefined>;
    rest = strict.positionals.slice(found.name.split(" ").length);
  } catch (error) {
    io.stderr(`taskgate-admin: ${(error as Error).message}\nRun 'taskgate-admin ${found.name} --help'.`);
    return 2;
  }

  const asJson = values.json === true;
  const url = (values.url as string | undefined) ?? io.env.TASKGATE_URL ?? "http://127.0.0.1:3000";
  const apiKey = (values["api-key"] as string | undefined) ?? io.env.TASKGATE_API_KEY;
  const timeoutText = (values.timeout as string | undefined) ?? "60";
  if (!/^\d+(\.\d+)?$/.test(timeoutText) || Number(timeoutText) <= 0) {
    io.stderr(`taskgate-admin: --timeout must be a positive number of seconds, not '${timeoutText}'`);
    return 2;
  }
  const timeoutMs = Math.round(Number(timeoutText) * 1000);
  let client: TaskgateClient;
  const budget = timeoutBudget(timeoutMs);
  try {
    client = createClient({ baseUrl: url, apiKey, signal: budget.signal, retry: { attempts: 3, maxDelayMs: 10_000 } });
  } catch (error) {
    io.stderr(`taskgate-admin: ${(error as Error).message}`);
    return 2;
  }

  try {
    const ask = io.confirm;
    const confirm = ask
      ? async (question: string) => {
          budget.pause();
          try {
            return await ask(question);
          } finally {
            budget.resume();
          }
        }
      : undefined;
    await found.command.run({ client, values, positionals: rest, asJson, out: io.stdout, err: io.stderr, confirm });
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      const hint = error.helpTopic === null ? "" : `\nRun 'taskgate-admin ${error.helpTopic ?? found.name} --help'.`;
      io.stderr(`taskgate-admin: ${error.message}${hint}`);
      return 2;
    }
    if (error instanceof TaskgateError) {
      const shown = error.code === "ABORTED" ? new TaskgateError({ code: "ABORTED", message: `no answer within ${timeoutText} s`, cause: error }) : error;
      io.stderr(asJson ? errorJson(shown) : describeError(shown));
      return 1;
    }
    // Anything else is an answer this CLI could not show (another server, or another version's
    // shape): one line, never a stack trace.
    const unreadable = new TaskgateError({ code: "BAD_RESPONSE", message: "The server's answer is not what this version of taskgate-admin can show; is --url a Taskgate API of the same version?", cause: error });
    io.stderr(asJson ? errorJson(unreadable) : describeError(unreadable));
    return 1;
  }
}
