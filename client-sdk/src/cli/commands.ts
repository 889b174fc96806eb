/**
 * The admin CLI's commands, each a thin layer over one or two SDK calls: it calls, then prints
 * a table (or fields) for people, or the SDK's answer as JSON for scripts.
 */
import type { QueueName } from "../inputs.js";
import type { TaskgateClient } from "../types.js";
import { duration, fields, json, table, time, truncate } from "./format.js";

/** What a command gets: the client, its parsed options and positionals, and where to write. */
export interface CommandContext {
  client: TaskgateClient;
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
  asJson: boolean;
  out: (text: string) => void;
}

/** A mistake in how the CLI was called (exit code 2). */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly helpTopic?: string,
  ) {
    super(message);
    this.name = "UsageError";
  }
}

function stringOption(ctx: CommandContext, name: string): string | undefined {
  const value = ctx.values[name];
  return typeof value === "string" ? value : undefined;
}

function intOption(ctx: CommandContext, name: string): number | undefined {
  const value = stringOption(ctx, name);
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`--${name} must be a whole number, not '${value}'`);
  return Number(value);
}

function jobIdArgument(ctx: CommandContext, command: string): string {
  const [jobId, ...extra] = ctx.positionals;
  if (!jobId) throw new UsageError(`dead-jobs ${command} needs a job id`, `dead-jobs ${command}`);
  if (extra.length > 0) throw new UsageError(`dead-jobs ${command} takes one job id, got ${ctx.positionals.length}`, `dead-jobs ${command}`);
  return jobId;
}

function noArguments(ctx: CommandContext, command: string): void {
  if (ctx.positionals.length > 0) throw new UsageError(`${command} takes no arguments, got '${ctx.positionals.join(" ")}'`, command);
}

// Whatever --queue says goes to the server unchecked: it answers an unknown queue with 404, which
// the CLI reports like any API error, so the list of queues lives in one place.
const queueOf = (ctx: CommandContext) => (stringOption(ctx, "queue") ?? "email") as QueueName;

export async function deadJobsList(ctx: CommandContext): Promise<void> {
  noArguments(ctx, "dead-jobs list");
  const queue = queueOf(ctx);
  const limit = intOption(ctx, "limit");
  let page = await ctx.client.deadJobs.list({ queue, ...(limit !== undefined ? { limit } : {}), ...(stringOption(ctx, "cursor") ? { cursor: stringOption(ctx, "cursor") } : {}) });
  if (ctx.values.all === true) {
    const jobs = [...page.jobs];
    while (page.nextCursor) {
      page = await ctx.client.deadJobs.list({ queue, cursor: page.nextCursor, ...(limit !== undefined ? { limit } : {}) });
      jobs.push(...page.jobs);
    }
    page = { ...page, jobs };
  }
  if (ctx.asJson) return ctx.out(json(page));
  if (page.jobs.length === 0) return ctx.out(`No dead jobs in queue ${page.queue}.`);
  const rows = page.jobs.map((job) => [job.jobId, time(job.failedAt), job.attemptsMade, job.nonRetryable ? "permanent" : "exhausted", truncate(job.failedReason, 70)]);
  ctx.out(table(["JOB ID", "FAILED AT", "ATTEMPTS", "FAILURE", "REASON"], rows));
  ctx.out(`\n${page.jobs.length} shown, ${page.total} dead in queue ${page.queue}.`);
  if (page.nextCursor) ctx.out(`Next page: --cursor ${page.nextCursor}`);
}

export async function deadJobsShow(ctx: CommandContext): Promise<void> {
  const jobId = jobIdArgument(ctx, "show");
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
      ["Reason", job.failedReason],
    ]),
  );
  ctx.out(`\nData:\n${json(job.data)}`);
  if (job.attempts.length > 0) {
    ctx.out("\nAttempts (oldest first):");
    job.attempts.forEach((attempt, i) => {
      const code = attempt.responseCode !== undefined ? ` [SMTP ${attempt.responseCode}]` : "";
      ctx.out(`  ${i + 1}. ${time(attempt.at)}${code} ${attempt.error}`);
      if (attempt.stack) ctx.out(attempt.stack.split("\n").map((line) => `       ${line}`).join("\n"));
    });
  }
}

export async function deadJobsRetry(ctx: CommandContext): Promise<void> {
  const jobId = jobIdArgument(ctx, "retry");
  const result = await ctx.client.deadJobs.retry({ queue: queueOf(ctx), jobId });
  if (ctx.asJson) return ctx.out(json(result));
  ctx.out(`Re-queued ${result.jobId} in queue ${result.queue} (${result.state}). Status: ${result.statusUrl}`);
}

export async function deadJobsRetryAll(ctx: CommandContext): Promise<void> {
  const queue = queueOf(ctx);
  const jobIds = ctx.positionals;
  const result = await ctx.client.deadJobs.retryAll({ queue, ...(jobIds.length > 0 ? { jobIds } : {}) });
  if (ctx.asJson) return ctx.out(json(result));
  ctx.out(`Re-queued ${result.retried} dead job${result.retried === 1 ? "" : "s"} in queue ${queue}.`);
}

export async function deadJobsDelete(ctx: CommandContext): Promise<void> {
  const jobId = jobIdArgument(ctx, "delete");
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
