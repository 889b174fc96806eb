/**
 * The admin CLI's commands on jobs that have not run yet (`jobs cancel`, `jobs reschedule`): thin
 * layers over `client.jobs.cancel` and `client.jobs.email.reschedule`.
 */
import { intOption, jobIdArgument, queueOf, stringOption, UsageError, type CommandContext } from "./commands.js";
import { json, time } from "./format.js";

export async function jobsCancel(ctx: CommandContext): Promise<void> {
  const jobId = jobIdArgument(ctx, "jobs cancel");
  // A job that already started or ended is a 409 JOB_NOT_PENDING naming its state: exit 1 like any API error.
  const result = await ctx.client.jobs.cancel({ queue: queueOf(ctx), jobId });
  if (ctx.asJson) return ctx.out(json(result));
  ctx.out(`Cancelled job ${result.jobId} of queue ${result.queue} (cancelled at ${time(result.cancelledAt)}): it will never run.`);
}

export async function jobsReschedule(ctx: CommandContext): Promise<void> {
  const command = "jobs reschedule";
  const jobId = jobIdArgument(ctx, command);
  const sendAt = stringOption(ctx, "send-at");
  const delayMs = intOption(ctx, "delay-ms");
  if ((sendAt === undefined) === (delayMs === undefined)) throw new UsageError(`${command} needs exactly one of --send-at or --delay-ms`);
  // The time goes as typed: the API checks it (ISO 8601 with a zone, in the future, at most 30 days ahead).
  const result = await ctx.client.jobs.email.reschedule(sendAt !== undefined ? { jobId, sendAt } : { jobId, delayMs: delayMs! });
  if (ctx.asJson) return ctx.out(json(result));
  ctx.out(`Rescheduled job ${result.jobId} of queue ${result.queue}: it runs at ${time(result.scheduledFor)}, not before. Status: ${result.statusUrl}`);
}
