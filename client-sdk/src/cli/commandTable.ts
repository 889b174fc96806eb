/**
 * What `taskgate-admin` can do: every command with its options, usage and help text, the command
 * groups, and the help pages built from them. Adding a command is one entry in COMMANDS.
 */
import type { ParseArgsConfig } from "node:util";
import { blocked, deadJobsDelete, deadJobsList, deadJobsRetry, deadJobsShow, queues, type CommandContext } from "./commands.js";
import { deadJobsDeleteMany, deadJobsRetryAll } from "./deadJobsBulk.js";
import { jobsCancel, jobsReschedule } from "./jobs.js";
import { audit, limitsApply, limitsOverrideDelete, limitsOverrideSet, limitsShow } from "./policy.js";

export type Options = NonNullable<ParseArgsConfig["options"]>;

/** Options every command takes (connection, output, help). */
export const COMMON: Options = {
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

export interface Command {
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

export const COMMANDS: Record<string, Command> = {
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

export const GROUPS: Record<string, string> = {
  "dead-jobs": "inspect, retry and delete jobs that failed for good",
  jobs: "cancel or reschedule jobs that have not started",
  limits: "read and change the rate-limit policy while the API runs",
  "limits override": "per-identity overrides of one rule's limit",
};

export function mainHelp(): string {
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

export function groupHelp(group: string): string {
  const lines = Object.entries(COMMANDS)
    .filter(([name]) => name.startsWith(`${group} `))
    .map(([name, command]) => `  ${name.slice(group.length + 1).padEnd(16)} ${command.summary}`);
  return `Usage: taskgate-admin ${group} <command> [options]

${GROUPS[group] ?? ""}

Commands:
${lines.join("\n")}

Run 'taskgate-admin ${group} <command> --help' for a command's options.`;
}

export function commandHelp(name: string, command: Command): string {
  return `Usage: taskgate-admin ${command.usage} [connection options]

${command.summary[0]!.toUpperCase()}${command.summary.slice(1)}.
${command.help ? `\nOptions:\n${command.help}\n` : ""}
${COMMON_HELP}`;
}

/** Every option any command knows (the first, loose parse). */
export const ALL_OPTIONS: Options = Object.assign({}, COMMON, ...Object.values(COMMANDS).map((command) => command.options));

/** The longest command the positionals start with (`limits override set` before `limits …`). */
export function findCommand(positionals: string[]): { name: string; command: Command; rest: string[] } | undefined {
  for (let words = Math.min(3, positionals.length); words >= 1; words--) {
    const name = positionals.slice(0, words).join(" ");
    const command = COMMANDS[name];
    if (command) return { name, command, rest: positionals.slice(words) };
  }
  return undefined;
}
