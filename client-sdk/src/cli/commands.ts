/**
 * The admin CLI's commands, each a thin layer over one or two SDK calls: it calls, then prints
 * a table (or fields) for people, or the SDK's answer as JSON for scripts.
 */
import type { QueueName } from "../inputs.js";
import type { TaskgateClient } from "../types.js";
import { duration, fields, json, oneLine, table, time, truncate } from "./format.js";

/** What a command gets: the client, its parsed options and positionals, and where to write. */
export interface CommandContext {
  client: TaskgateClient;
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
  asJson: boolean;
  out: (text: string) => void;
  /** stderr: for what must not mix with `--json` output on stdout. */
  err: (text: string) => void;
  /** Asks a person yes or no; absent when stdin is not a terminal (there is no one to ask). */
  confirm?: ((question: string) => Promise<boolean>) | undefined;
}

/**
 * A mistake in how the CLI was called (exit code 2), nothing sent. `helpTopic` is the command
 * whose `--help` the message points to (default: the one run); null points to none, for a
 * mistake the help would not fix (a file that cannot be read).
 */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly helpTopic?: string | null,
  ) {
    super(message);
    this.name = "UsageError";
  }
}

export function stringOption(ctx: CommandContext, name: string): string | undefined {
  const value = ctx.values[name];
  return typeof value === "string" ? value : undefined;
}

export function intOption(ctx: CommandContext, name: string): number | undefined {
  const value = stringOption(ctx, name);
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`--${name} must be a whole number, not '${value}'`);
  return Number(value);
}

/** The one job id `command` (its full name, `dead-jobs show`) takes. */
export function jobIdArgument(ctx: CommandContext, command: string): string {
  const [jobId, ...extra] = ctx.positionals;
  if (!jobId) throw new UsageError(`${command} needs a job id`, command);
  if (extra.length > 0) throw new UsageError(`${command} takes one job id, got ${ctx.positionals.length}`, command);
  return jobId;
}

export function noArguments(ctx: CommandContext, command: string): void {
  if (ctx.positionals.length > 0) throw new UsageError(`${command} takes no arguments, got '${ctx.positionals.join(" ")}'`, command);
}

// Whatever --queue says goes to the server unchecked: it answers an unknown queue with 404, which
// the CLI reports like any API error, so the list of queues lives in one place.
export const queueOf = (ctx: CommandContext) => (stringOption(ctx, "queue") ?? "email") as QueueName;

/** Which dead jobs, as the filter flags `--q --user --since --until` say (each optional, ANDed). */
export interface DeadJobsFilterFlags {
  q?: string;
  userId?: string;
  since?: string;
  until?: string;
}

/**
 * The filter flags given, or undefined when none is. Times go to the server as typed (ISO 8601
 * or epoch ms), for it to check and name the bad one.
 */
export function filterOf(ctx: CommandContext): DeadJobsFilterFlags | undefined {
  const given = { q: stringOption(ctx, "q"), userId: stringOption(ctx, "user"), since: stringOption(ctx, "since"), until: stringOption(ctx, "until") };
  const filter = Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined)) as DeadJobsFilterFlags;
  return Object.keys(filter).length > 0 ? filter : undefined;
}

/** A filter in words, as the flags were given: `q "bob", user user-a, failed since 2026-01-01`. */
export function describeFilter(filter: DeadJobsFilterFlags): string {
  return [
    filter.q !== undefined && `q ${JSON.stringify(filter.q)}`,
    filter.userId !== undefined && `user ${filter.userId}`,
    filter.since !== undefined && `failed since ${filter.since}`,
    filter.until !== undefined && `failed until ${filter.until}`,
  ]
    .filter(Boolean)
    .join(", ");
}

export async function deadJobsList(ctx: CommandContext): Promise<void> {
  noArguments(ctx, "dead-jobs list");
  const queue = queueOf(ctx);
  const limit = intOption(ctx, "limit");
  const filter = filterOf(ctx);
  // The cursor is a position in the dead-jobs set: each next page needs the same filter again.
  const pageOf = (cursor: string | undefined) => ctx.client.deadJobs.list({ queue, ...filter, ...(limit !== undefined ? { limit } : {}), ...(cursor ? { cursor } : {}) });
  let page = await pageOf(stringOption(ctx, "cursor"));
  if (ctx.values.all === true) {
    const jobs = [...page.jobs];
    while (page.nextCursor) {
      page = await pageOf(page.nextCursor);
      jobs.push(...page.jobs);
    }
    page = { ...page, jobs };
  }
  if (ctx.asJson) return ctx.out(json(page));
  const matching = filter ? ` matching ${describeFilter(filter)}` : "";
  const nextPage = page.nextCursor ? `Next page: --cursor ${page.nextCursor}${filter ? " (with the same filter flags)" : ""}` : undefined;
  if (page.jobs.length === 0) {
    // A filtered page examines a bounded number of dead jobs, so an empty one may not be the end.
    ctx.out(nextPage ? `No dead jobs${matching} on this page of queue ${page.queue}; older ones remain.` : `No dead jobs${matching} in queue ${page.queue}.`);
    if (nextPage) ctx.out(nextPage);
    return;
  }
  const rows = page.jobs.map((job) => [job.jobId, time(job.failedAt), job.attemptsMade, job.nonRetryable ? "permanent" : "exhausted", truncate(job.failedReason, 70)]);
  ctx.out(table(["JOB ID", "FAILED AT", "ATTEMPTS", "FAILURE", "REASON"], rows));
  ctx.out(`\n${page.jobs.length} shown${matching}, ${page.total} dead in queue ${page.queue}.`);
  if (nextPage) ctx.out(nextPage);
}

export async function deadJobsShow(ctx: CommandContext): Promise<void> {
  const jobId = jobIdArgument(ctx, "dead-jobs show");
  const job = await ctx.client.deadJobs.get({ queue: queueOf(ctx), jobId });
  if (ctx.asJson) return ctx.out(json(job));
  ctx.out(
    fields([
      ["Job", job.jobId],
      ["Queue", job.queue],
      ["Created", time(job.createdAt)],
      ["Failed", time(job.failedAt)],
      ["Attempts", `${job.attemptsMade} of ${job.maxAttempts}`],
      ["Failure", job.nonRetryable ? "permanent (not retried)" : "attempts exhausted"],
      ["Reason", oneLine(job.failedReason)],
    ]),
  );
  ctx.out(`\nData:\n${json(job.data)}`);
  if (job.attempts.length > 0) {
    ctx.out("\nAttempts (oldest first):");
    job.attempts.forEach((attempt, i) => {
      const code = attempt.responseCode !== undefined ? ` [SMTP ${attempt.responseCode}]` : "";
      ctx.out(`  ${i + 1}. ${time(attempt.at)}${code} ${oneLine(attempt.error)}`);
      if (attempt.stack) ctx.out(attempt.stack.split("\n").map((line) => `       ${oneLine(line)}`).join("\n"));
    });
  }
}

export async function deadJobsRetry(ctx: CommandContext): Promise<void> {
  const jobId = jobIdArgument(ctx, "dead-jobs retry");
  const result = await ctx.client.deadJobs.retry({ queue: queueOf(ctx), jobId });
  if (ctx.asJson) return ctx.out(json(result));
  ctx.out(`Re-queued ${result.jobId} in queue ${result.queue} (${result.state}). Status: ${result.statusUrl}`);
}

export async function deadJobsDelete(ctx: CommandContext): Promise<void> {
  const jobId = jobIdArgument(ctx, "dead-jobs delete");
  const queue = queueOf(ctx);
  await ctx.client.deadJobs.delete({ queue, jobId });
  if (ctx.asJson) return ctx.out(json({ queue, jobId, deleted: true }));
  ctx.out(`Deleted dead job ${jobId} from queue ${queue}.`);
}

export async function queues(ctx: CommandContext): Promise<void> {
  noArguments(ctx, "queues");
  const overview = await ctx.client.monitoring.queues();
  if (ctx.asJson) return ctx.out(json(overview));
  const rows = overview.queues.map((queue) => {
    const completed = queue.perMinute.reduce((sum, minute) => sum + minute.completed, 0);
    const failed = queue.perMinute.reduce((sum, minute) => sum + minute.failed, 0);
    const { waiting, scheduled, active, retrying, completed: kept, dead } = queue.counts;
    return [queue.name, queue.paused ? "yes" : "no", waiting, scheduled, active, retrying, kept, dead, completed, failed];
  });
  ctx.out(table(["QUEUE", "PAUSED", "WAITING", "SCHEDULED", "ACTIVE", "RETRYING", "COMPLETED", "DEAD", "DONE/60M", "DIED/60M"], rows));
}

export async function blocked(ctx: CommandContext): Promise<void> {
  noArguments(ctx, "blocked");
  const filters = {
    limit: intOption(ctx, "limit"),
    rule: stringOption(ctx, "rule"),
    ip: stringOption(ctx, "ip"),
    userId: stringOption(ctx, "user"),
    route: stringOption(ctx, "route"),
    since: stringOption(ctx, "since"),
    until: stringOption(ctx, "until"),
    cursor: stringOption(ctx, "cursor"),
  };
  const input = Object.fromEntries(Object.entries(filters).filter(([, value]) => value !== undefined));
  const page = await ctx.client.monitoring.blocked(input);
  if (ctx.asJson) return ctx.out(json(page));
  if (page.entries.length === 0) return ctx.out("No blocked requests match.");
  const rows = page.entries.map((entry) => [time(entry.at), entry.rule, entry.route, entry.ip, entry.userId ?? "-", duration(entry.retryAfterMs), entry.requestId]);
  ctx.out(table(["TIME", "RULE", "ROUTE", "IP", "USER", "RETRY AFTER", "REQUEST ID"], rows));
  ctx.out(`\n${page.entries.length} blocked request${page.entries.length === 1 ? "" : "s"}, newest first.`);
  if (page.nextCursor) ctx.out(`Older entries: --cursor ${page.nextCursor}`);
}
