/**
 * `taskgate-admin`: argument parsing (node:util parseArgs), help texts, and the exit codes —
 * 0 done, 1 the API call failed (its error code is printed, and every bad field with why),
 * 2 the CLI was called wrongly.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { createClient } from "../client.js";
import { TaskgateError } from "../errors.js";
import type { FieldIssue } from "@taskgate/shared";
import type { TaskgateClient } from "../types.js";
import { blocked, deadJobsDelete, deadJobsList, deadJobsRetry, deadJobsRetryAll, deadJobsShow, queues, UsageError, type CommandContext } from "./commands.js";
import { json } from "./format.js";

type Options = NonNullable<ParseArgsConfig["options"]>;

const COMMON: Options = {
  url: { type: "string" },
  "api-key": { type: "string" },
  json: { type: "boolean" },
  timeout: { type: "string" },
  help: { type: "boolean", short: "h" },
};

const COMMON_HELP = `Connection (every command):
  --url <url>          API base URL (default: $TASKGATE_URL, else http://127.0.0.1:3000)
  --api-key <key>      admin API key (default: $TASKGATE_API_KEY)
  --timeout <seconds>  give up after this long, retries included (default 60)
  --json               print the API's answer as JSON instead of a table
  -h, --help           show help`;

interface Command {
  summary: string;
  usage: string;
  options: Options;
  help?: string;
  run: (ctx: CommandContext) => Promise<void>;
}

const QUEUE_OPTION: Options = { queue: { type: "string" } };
const QUEUE_HELP = "  --queue <name>       queue (default: email)";

const COMMANDS: Record<string, Command> = {
  "dead-jobs list": {
    summary: "list dead jobs, newest first",
    usage: "dead-jobs list [--limit <n>] [--cursor <c>] [--all] [--queue <name>]",
    options: { ...QUEUE_OPTION, limit: { type: "string" }, cursor: { type: "string" }, all: { type: "boolean" } },
    help: `  --limit <n>          page size, 1-100 (default 20)\n  --cursor <c>         the next page, as the previous one printed it\n  --all                follow every page\n${QUEUE_HELP}`,
    run: deadJobsList,
  },
  "dead-jobs show": {
    summary: "show one dead job: data, every attempt, stack traces",
    usage: "dead-jobs show <jobId> [--queue <name>]",
    options: QUEUE_OPTION,
    help: QUEUE_HELP,
    run: deadJobsShow,
  },
  "dead-jobs retry": {
    summary: "re-queue one dead job with fresh attempts",
    usage: "dead-jobs retry <jobId> [--queue <name>]",
    options: QUEUE_OPTION,
    help: QUEUE_HELP,
    run: deadJobsRetry,
  },
  "dead-jobs retry-all": {
    summary: "re-queue every dead job, or only the ids given",
    usage: "dead-jobs retry-all [jobId...] [--queue <name>]",
    options: QUEUE_OPTION,
    help: QUEUE_HELP,
    run: deadJobsRetryAll,
  },
  "dead-jobs delete": {
    summary: "delete one dead job for good",
    usage: "dead-jobs delete <jobId> [--queue <name>]",
    options: QUEUE_OPTION,
    help: QUEUE_HELP,
    run: deadJobsDelete,
  },
  queues: {
    summary: "per queue: jobs by state, completed and died in the last 60 minutes",
    usage: "queues",
    options: {},
    run: queues,
  },
  blocked: {
    summary: "requests the rate limiter blocked, newest first",
    usage: "blocked [--rule <name>] [--ip <ip>] [--user <id>] [--route <route>] [--since <t>] [--until <t>] [--limit <n>] [--cursor <c>]",
    options: {
      rule: { type: "string" },
      ip: { type: "string" },
      user: { type: "string" },
      route: { type: "string" },
      since: { type: "string" },
      until: { type: "string" },
      limit: { type: "string" },
      cursor: { type: "string" },
    },
    help: `  --rule <name>        only this rate-limit rule\n  --ip <ip>            only this client IP\n  --user <id>          only this user id\n  --route <route>      only this route, e.g. "POST /jobs/email"\n  --since, --until <t> time range: ISO 8601 or epoch ms\n  --limit <n>          most entries, 1-1000 (default 100)\n  --cursor <c>         go on with older entries, from the cursor the previous page printed`,
    run: blocked,
  },
};

const GROUPS: Record<string, string> = { "dead-jobs": "inspect, retry and delete jobs that failed for good" };

function mainHelp(): string {
  const lines = Object.entries(COMMANDS).map(([name, command]) => `  ${name.padEnd(20)} ${command.summary}`);
  return `Usage: taskgate-admin <command> [options]

Admin tasks against a Taskgate API, through @taskgate/client. Needs an admin API key.

Commands:
${lines.join("\n")}

${COMMON_HELP}

Run 'taskgate-admin <command> --help' for a command's options.
Exit codes: 0 done; 1 the API answered with an error (its code is printed, e.g. FORBIDDEN, and each
bad field with what is wrong with it; with --json, the API's whole problem details); 2 wrong usage.`;
}

function groupHelp(group: string): string {
  const lines = Object.entries(COMMANDS)
    .filter(([name]) => name.startsWith(`${group} `))
    .map(([name, command]) => `  ${name.slice(group.length + 1).padEnd(12)} ${command.summary}`);
  return `Usage: taskgate-admin ${group} <command> [options]

${GROUPS[group] ?? ""}

Commands:
${lines.join("\n")}

Run 'taskgate-admin ${group} <command> --help' for a command's options.`;
}

function commandHelp(name: string, command: Command): string {
  return `Usage: taskgate-admin ${command.usage} [connection options]

${command.summary[0]!.toUpperCase()}${command.summary.slice(1)}.
${command.help ? `\nOptions:\n${command.help}\n` : ""}
${COMMON_HELP}`;
}

/** Where the CLI writes, and what environment it reads (process.* when run as a program). */
export interface CliIo {
  env: Record<string, string | undefined>;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const ALL_OPTIONS: Options = Object.assign({}, COMMON, ...Object.values(COMMANDS).map((command) => command.options));

function findCommand(positionals: string[]): { name: string; command: Command; rest: string[] } | undefined {
  const two = positionals.slice(0, 2).join(" ");
  const twoCommand = COMMANDS[two];
  if (twoCommand) return { name: two, command: twoCommand, rest: positionals.slice(2) };
  const one = positionals[0];
  const oneCommand = one === undefined ? undefined : COMMANDS[one];
  if (one !== undefined && oneCommand) return { name: one, command: oneCommand, rest: positionals.slice(1) };
  return undefined;
}

/**
 * The problem's field issues (`errors`, sent with VALIDATION_FAILED), keeping only well-formed
 * entries: the problem came over the wire, and only its `code` and `status` were checked.
 */
function fieldIssuesOf(error: TaskgateError): FieldIssue[] {
  const issues = error.problem?.errors as unknown;
  if (!Array.isArray(issues)) return [];
  return issues.filter((issue): issue is FieldIssue => typeof issue === "object" && issue !== null && typeof issue.path === "string" && typeof issue.message === "string");
}

// One issue per line must stay one line, and text from the server must not drive the terminal
// (escape sequences), so control characters and line breaks become spaces.
const oneLine = (text: string) => text.replace(/\p{Cc}+/gu, " ");

function describeError(error: TaskgateError): string {
  const status = error.status !== undefined ? ` (HTTP ${error.status})` : "";
  const requestId = error.requestId ? ` [request id ${error.requestId}]` : "";
  // The headline alone ("The request is not valid.") does not say which option to fix: the
  // problem's `errors` do, so each gets its own line under it.
  const issues = fieldIssuesOf(error).map((issue) => `  ${issue.path === "" ? "(input)" : oneLine(issue.path)}: ${oneLine(issue.message)}`);
  return [`taskgate-admin: ${error.code}${status}: ${error.message}${requestId}`, ...issues].join("\n");
}

/** The `--json` form of a failed call: the summary fields, and the API's whole problem details when it sent them. */
function errorJson(error: TaskgateError): string {
  return json({ error: { code: error.code, status: error.status, message: error.message, requestId: error.requestId, problem: error.problem } });
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
    const group = words[0];
    if (group !== undefined && GROUPS[group] && words.length === 1) {
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
  try {
    client = createClient({ baseUrl: url, apiKey, signal: AbortSignal.timeout(timeoutMs), retry: { attempts: 3, maxDelayMs: 10_000 } });
  } catch (error) {
    io.stderr(`taskgate-admin: ${(error as Error).message}`);
    return 2;
  }

  try {
    await found.command.run({ client, values, positionals: rest, asJson, out: io.stdout });
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`taskgate-admin: ${error.message}\nRun 'taskgate-admin ${error.helpTopic ?? found.name} --help'.`);
      return 2;
    }
    if (error instanceof TaskgateError) {
      const shown = error.code === "ABORTED" ? new TaskgateError({ code: "ABORTED", message: `no answer within ${timeoutText} s`, cause: error }) : error;
      io.stderr(asJson ? errorJson(shown) : describeError(shown));
      return 1;
    }
    throw error;
  }
}
