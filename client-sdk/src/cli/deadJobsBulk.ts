/**
 * The admin CLI's bulk writes on dead jobs, `dead-jobs retry-all` and `dead-jobs delete-many`.
 * Each first asks the server for a dry-run count and says what it will touch; `--dry-run` stops
 * there, and the write itself needs `--yes` or a person's "y" at a terminal.
 */
import { describeFilter, filterOf, noArguments, queueOf, stringOption, UsageError, type CommandContext, type DeadJobsFilterFlags } from "./commands.js";
import { json } from "./format.js";

/** Which dead jobs a bulk write names: these ids, those a filter matches, or every one of the queue. */
type Selection = { jobIds: string[] } | { filter: DeadJobsFilterFlags } | { all: true };

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** `--ids a,b,c` as a list; undefined when absent. */
function idsOption(ctx: CommandContext, command: string): string[] | undefined {
  const text = stringOption(ctx, "ids");
  if (text === undefined) return undefined;
  const ids = text
    .split(",")
    .map((id) => id.trim())
    .filter((id) => id !== "");
  if (ids.length === 0) throw new UsageError(`${command}: --ids needs job ids, comma-separated (--ids a,b,c)`);
  return ids;
}

/** The selection in words, after "N dead jobs of queue email": ` matching q "bob"`, ` among the 3 ids given`, or nothing for all. */
function scopeWords(selection: Selection): string {
  if ("jobIds" in selection) return ` among the ${plural(selection.jobIds.length, "id")} given`;
  if ("filter" in selection) return ` matching ${describeFilter(selection.filter)}`;
  return "";
}

interface BulkWrite<Result> {
  /** `retry` or `delete`, for the sentences. */
  verb: string;
  selection: Selection;
  /** The write as a dry run (`dryRun: true`) or for real; answers how many dead jobs matched. */
  call: (dryRun: boolean) => Promise<Result & { matched: number }>;
  /** The line printed after the real write, told what the dry run counted. */
  done: (result: Result & { matched: number }, counted: number) => string;
}

/**
 * Counts with a dry run, says what the write will touch, and makes it only when `--yes` was given
 * or the person at the terminal says yes. Without a terminal and without `--yes` it refuses (exit
 * 2), as it does when the answer is no: nothing changed either way.
 */
async function bulkWrite<Result>(ctx: CommandContext, queue: string, write: BulkWrite<Result>): Promise<void> {
  const dry = await write.call(true);
  const scope = scopeWords(write.selection);
  const all = "all" in write.selection && dry.matched > 1 ? "all " : "";
  const what = `${all}${plural(dry.matched, "dead job")} of queue ${queue}${scope}`;
  if (dry.matched === 0) return ctx.out(ctx.asJson ? json(dry) : `No dead jobs of queue ${queue}${scope}: nothing to ${write.verb}.`);
  if (ctx.values["dry-run"] === true) return ctx.out(ctx.asJson ? json(dry) : `Would ${write.verb} ${what}; nothing changed (--dry-run).`);

  // With --json, stdout holds only the answer: the preview goes to stderr.
  (ctx.asJson ? ctx.err : ctx.out)(`This will ${write.verb} ${what}.`);
  if (ctx.values.yes !== true) {
    if (!ctx.confirm) throw new UsageError(`not confirmed: stdin is not a terminal, so pass --yes to ${write.verb} them (or --dry-run to only count); nothing changed`, null);
    const verb = `${write.verb[0]!.toUpperCase()}${write.verb.slice(1)}`;
    if (!(await ctx.confirm(`${verb} ${dry.matched === 1 ? "it" : "them"}? [y/N] `))) throw new UsageError("not confirmed; nothing changed", null);
  }
  // The dead set may have changed since the count (jobs died or were retried meanwhile): the
  // real answer says what was done, and the line says so when it differs from what was shown.
  const result = await write.call(false);
  ctx.out(ctx.asJson ? json(result) : write.done(result, dry.matched));
}

/**
 * What the line adds when the write did not touch exactly what was confirmed: `(N matched)` when
 * fewer were changed than matched (they left the dead set meanwhile), and the count confirmed
 * when more matched than it (they died between the count and the write).
 */
function difference(changed: number, matched: number, counted: number): string {
  const notes = [changed === matched ? "" : `${matched} matched`, matched > counted ? `${matched - counted} more than the ${counted} counted before: they died since` : ""].filter(Boolean);
  return notes.length === 0 ? "" : ` (${notes.join("; ")})`;
}

export async function deadJobsRetryAll(ctx: CommandContext): Promise<void> {
  const command = "dead-jobs retry-all";
  const queue = queueOf(ctx);
  const jobIds = ctx.positionals;
  const filter = filterOf(ctx);
  if (jobIds.length > 0 && filter) throw new UsageError(`${command} takes job ids or the filter flags, not both`);
  const selection: Selection = jobIds.length > 0 ? { jobIds } : filter ? { filter } : { all: true };
  const part = jobIds.length > 0 ? { jobIds } : filter ? { filter } : {};
  await bulkWrite(ctx, queue, {
    verb: "retry",
    selection,
    call: (dryRun) => ctx.client.deadJobs.retryAll({ queue, ...part, ...(dryRun ? { dryRun } : {}) }),
    done: ({ retried, matched }, counted) => `Re-queued ${plural(retried, "dead job")} in queue ${queue}${difference(retried, matched, counted)}.`,
  });
}

export async function deadJobsDeleteMany(ctx: CommandContext): Promise<void> {
  const command = "dead-jobs delete-many";
  noArguments(ctx, command);
  const queue = queueOf(ctx);
  const jobIds = idsOption(ctx, command);
  const filter = filterOf(ctx);
  const all = ctx.values.all === true;
  const given = [jobIds && "--ids", filter && "the filter flags", all && "--all"].filter((flag): flag is string => typeof flag === "string");
  if (given.length === 0) throw new UsageError(`${command} needs --ids, the filter flags (--q --user --since --until) or --all: it never deletes everything unasked`);
  if (given.length > 1) throw new UsageError(`${command} takes one of --ids, the filter flags or --all, not ${given.join(" and ")}`);
  const selection: Selection = jobIds ? { jobIds } : filter ? { filter } : { all: true };
  await bulkWrite(ctx, queue, {
    verb: "delete",
    selection,
    call: (dryRun) => ctx.client.deadJobs.deleteMany({ queue, ...selection, ...(dryRun ? { dryRun } : {}) }),
    done: ({ deleted, matched }, counted) => `Deleted ${plural(deleted, "dead job")} from queue ${queue}${difference(deleted, matched, counted)}.`,
  });
}
