/**
 * `taskgate-admin`: argument parsing (node:util parseArgs), help texts, and the exit codes —
 * 0 done, 1 the API call failed (its error code is printed, and every bad field with why),
 * 2 the CLI was called wrongly (a FILE that cannot be read or parsed included; nothing is sent),
 * or a bulk write was not confirmed (nothing changed).
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { createClient } from "../client.js";
import { TaskgateError } from "../errors.js";
import type { FieldIssue } from "@taskgate/shared";
import type { TaskgateClient } from "../types.js";
import { blocked, deadJobsDelete, deadJobsList, deadJobsRetry, deadJobsShow, queues, UsageError, type CommandContext } from "./commands.js";
import { deadJobsDeleteMany, deadJobsRetryAll } from "./deadJobsBulk.js";
import { json } from "./format.js";
import { jobsCancel, jobsReschedule } from "./jobs.js";
import { audit, limitsApply, limitsOverrideDelete, limitsOverrideSet, limitsShow } from "./policy.js";

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

const FILTER_OPTIONS: Options = { q: { type: "string" }, user: { type: "string" }, since: { type: "string" }, until: { type: "string" } };
const FILTER_HELP = `  --q <text>           only dead jobs with this text (any case) in a recipient, the subject, the
                       job id or the failure reason
  --user <id>          only dead jobs of this owner (the user whose key created them)
  --since, --until <t> only dead jobs that failed in this range: ISO 8601 or epoch ms`;

const BULK_OPTIONS: Options = { "dry-run": { type: "boolean" }, yes: { type: "boolean" } };
const BULK_HELP = `  --dry-run            only count the dead jobs it would touch; change nothing
  --yes                do not ask for confirmation. Without it, the count is printed and the
                       question asked at a terminal; when stdin is not a terminal, it refuses
                       (exit 2) and changes nothing`;

const COMMANDS: Record<string, Command> = {
  "dead-jobs list": {
    summary: "list dead jobs, newest first",
    usage: "dead-jobs list [--q <text>] [--user <id>] [--since <t>] [--until <t>] [--limit <n>] [--cursor <c>] [--all] [--queue <name>]",
    options: { ...QUEUE_OPTION, ...FILTER_OPTIONS, limit: { type: "string" }, cursor: { type: "string" }, all: { type: "boolean" } },
    help: `${FILTER_HELP}
  --limit <n>          page size, 1-100 (default 20). A filtered page examines at most 200 dead
                       jobs, so it may hold fewer (even none) and still print a next page
  --cursor <c>         the next page, as the previous one printed it (give the same filter flags)
  --all                follow every page
${QUEUE_HELP}`,
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
    summary: "re-queue every dead job, only the ids given, or those a filter matches",
    usage: "dead-jobs retry-all [jobId... | --q <text> --user <id> --since <t> --until <t>] [--dry-run] [--yes] [--queue <name>]",
    options: { ...QUEUE_OPTION, ...FILTER_OPTIONS, ...BULK_OPTIONS },
    help: `  [jobId...]           only these dead jobs (ids that are not dead are skipped)
${FILTER_HELP}
                       (no ids and no filter: every dead job of the queue)
${BULK_HELP}
${QUEUE_HELP}`,
    run: deadJobsRetryAll,
  },
  "dead-jobs delete": {
    summary: "delete one dead job for good",
    usage: "dead-jobs delete <jobId> [--queue <name>]",
    options: QUEUE_OPTION,
    help: QUEUE_HELP,
    run: deadJobsDelete,
  },
  "dead-jobs delete-many": {
    summary: "delete the ids given, those a filter matches, or --all, for good",
    usage: "dead-jobs delete-many (--ids <a,b,c> | --q <text> --user <id> --since <t> --until <t> | --all) [--dry-run] [--yes] [--queue <name>]",
    options: { ...QUEUE_OPTION, ...FILTER_OPTIONS, ...BULK_OPTIONS, ids: { type: "string" }, all: { type: "boolean" } },
    help: `  Exactly one of:
  --ids <a,b,c>        these dead jobs, comma-separated (ids that are not dead are skipped)
${FILTER_HELP}
  --all                every dead job of the queue
${BULK_HELP}
${QUEUE_HELP}`,
    run: deadJobsDeleteMany,
  },
  "jobs cancel": {
    summary: "cancel a job that has not started (waiting or scheduled): it never runs",
    usage: "jobs cancel <jobId> [--queue <name>]",
    options: QUEUE_OPTION,
    help: `  <jobId>              the job; cancelling it again is fine. One that is active, retrying,
                       completed or dead: exit 1 with JOB_NOT_PENDING, nothing changed
${QUEUE_HELP}`,
    run: jobsCancel,
  },
  "jobs reschedule": {
    summary: "move a waiting or scheduled email to another time",
    usage: "jobs reschedule <jobId> (--send-at <t> | --delay-ms <ms>)",
    options: { "send-at": { type: "string" }, "delay-ms": { type: "string" } },
    help: `  Exactly one of:
  --send-at <t>        when: ISO 8601 with a zone, in the future, at most 30 days ahead
  --delay-ms <ms>      in this many ms from now (at most 30 days)
  A job that already started or ended: exit 1 with JOB_NOT_PENDING, nothing changed.`,
    run: jobsReschedule,
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
  "limits show": {
    summary: "the rate-limit policy: its version, rules and per-identity overrides",
    usage: "limits show",
    options: {},
    run: limitsShow,
  },
  "limits apply": {
    summary: "replace the rate-limit rules with those in a JSON file",
    usage: "limits apply <FILE> [--expected-version <n>]",
    options: { "expected-version": { type: "string" } },
    help: `  <FILE>               JSON: an array of rules, or an object with a "rules" array (such as
                       'limits show --json' prints; its other keys, overrides included, are
                       ignored). Every rule is checked by the API: one bad rule changes nothing,
                       and each bad field is printed. A FILE that cannot be read or is not JSON
                       exits 2, nothing sent.
  --expected-version <n>
                       apply only if the policy is still at version n (as 'limits show'
                       printed it); otherwise exit 1 with VERSION_CONFLICT, nothing changed`,
    run: limitsApply,
  },
  "limits override set": {
    summary: "set (or replace) one identity's limit under one rule",
    usage: "limits override set --rule <name> --identity <user:ID|ip:ADDR> --limit <n> [--window-ms <ms>] [--expires-at <t>] [--reason <text>]",
    options: {
      rule: { type: "string" },
      identity: { type: "string" },
      limit: { type: "string" },
      "window-ms": { type: "string" },
      "expires-at": { type: "string" },
      reason: { type: "string" },
    },
    help: `  --rule <name>        the rule, by name (required; not a global rule)
  --identity <id>      user:<userId> for a rule keyed by user, ip:<address> for one keyed by
                       ip (required)
  --limit <n>          the identity's limit in the rule's cost units; 0 denies it outright
                       (required)
  --window-ms <ms>     the identity's window, 1000-86400000 ms (default: the rule's)
  --expires-at <t>     when the override ends and leaves the policy: ISO 8601 with a zone, or
                       epoch ms; in the future (default: never)
  --reason <text>      why, for whoever reads the policy later (at most 500 characters)`,
    run: limitsOverrideSet,
  },
  "limits override delete": {
    summary: "delete one identity's override of one rule",
    usage: "limits override delete --rule <name> --identity <user:ID|ip:ADDR>",
    options: { rule: { type: "string" }, identity: { type: "string" } },
    help: `  --rule <name>        the rule, by name (required)
  --identity <id>      user:<userId> or ip:<address>, as 'limits show' lists it (required);
                       exit 1 with NOT_FOUND when the rule has no override for it`,
    run: limitsOverrideDelete,
  },
  audit: {
    summary: "admin writes (policy, overrides, dead jobs), newest first",
    usage: "audit [--limit <n>] [--cursor <c>]",
    options: { limit: { type: "string" }, cursor: { type: "string" } },
    help: `  --limit <n>          most entries, 1-500 (default 50)
  --cursor <c>         go on with older entries, from the cursor the previous page printed`,
    run: audit,
  },
};

const GROUPS: Record<string, string> = {
  "dead-jobs": "inspect, retry and delete jobs that failed for good",
  jobs: "cancel or reschedule jobs that have not started",
  limits: "read and change the rate-limit policy while the API runs",
  "limits override": "per-identity overrides of one rule's limit",
};

function mainHelp(): string {
  const lines = Object.entries(COMMANDS).map(([name, command]) => `  ${name.padEnd(23)} ${command.summary}`);
  return `Usage: taskgate-admin <command> [options]

Admin tasks against a Taskgate API, through @taskgate/client. Needs an admin API key.

Commands:
${lines.join("\n")}

${COMMON_HELP}

Run 'taskgate-admin <command> --help' for a command's options.
Exit codes: 0 done; 1 the API answered with an error (its code is printed, e.g. FORBIDDEN, and each
bad field with what is wrong with it; with --json, the API's whole problem details); 2 wrong usage
(a FILE that cannot be read or is not JSON included), nothing sent, or a bulk write not confirmed
(no --yes, and stdin not a terminal or the answer not yes), nothing changed.`;
}

function groupHelp(group: string): string {
  const lines = Object.entries(COMMANDS)
    .filter(([name]) => name.startsWith(`${group} `))
    .map(([name, command]) => `  ${name.slice(group.length + 1).padEnd(16)} ${command.summary}`);
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
  /** Asks the person at the terminal a yes/no question; absent when stdin is not a terminal. */
  confirm?: ((question: string) => Promise<boolean>) | undefined;
}

/**
 * The --timeout budget as an AbortSignal that can be paused: the time a person takes to answer a
 * confirmation is theirs, not the API's.
 */
function timeoutBudget(ms: number): { signal: AbortSignal; pause: () => void; resume: () => void } {
  const controller = new AbortController();
  let left = ms;
  let startedAt = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const resume = () => {
    startedAt = Date.now();
    timer = setTimeout(() => controller.abort(new DOMException("The operation timed out.", "TimeoutError")), left);
    // Like AbortSignal.timeout: a pending budget alone does not keep the process alive.
    timer.unref?.();
  };
  const pause = () => {
    clearTimeout(timer);
    left = Math.max(0, left - (Date.now() - startedAt));
  };
  resume();
  return { signal: controller.signal, pause, resume };
}

const ALL_OPTIONS: Options = Object.assign({}, COMMON, ...Object.values(COMMANDS).map((command) => command.options));

/** The longest command the positionals start with (`limits override set` before `limits …`). */
function findCommand(positionals: string[]): { name: string; command: Command; rest: string[] } | undefined {
  for (let words = Math.min(3, positionals.length); words >= 1; words--) {
    const name = positionals.slice(0, words).join(" ");
    const command = COMMANDS[name];
    if (command) return { name, command, rest: positionals.slice(words) };
  }
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
    throw error;
  }
}
