/**
 * Example: inspect the dead email jobs with the SDK — group them by why they died, and with
 * `--retry-exhausted` re-queue those that only ran out of attempts (not permanent failures).
 *
 *   TASKGATE_URL=http://127.0.0.1:3000 TASKGATE_API_KEY=<admin key> \
 *     npx tsx --conditions=source client-sdk/examples/dead-jobs.ts [--retry-exhausted]
 */
import { createClient, TaskgateError, type DeadJobSummary } from "@taskgate/client";

const taskgate = createClient({ baseUrl: process.env.TASKGATE_URL ?? "http://127.0.0.1:3000", apiKey: process.env.TASKGATE_API_KEY });

async function allDeadJobs(): Promise<DeadJobSummary[]> {
  const jobs: DeadJobSummary[] = [];
  let cursor: string | undefined;
  do {
    const page = await taskgate.deadJobs.list({ queue: "email", limit: 100, ...(cursor ? { cursor } : {}) });
    jobs.push(...page.jobs);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return jobs;
}

try {
  const jobs = await allDeadJobs();
  const byReason = new Map<string, DeadJobSummary[]>();
  for (const job of jobs) byReason.set(job.failedReason, [...(byReason.get(job.failedReason) ?? []), job]);
  console.log(`${jobs.length} dead email job(s)`);
  for (const [reason, group] of [...byReason].sort((a, b) => b[1].length - a[1].length)) {
    const newest = group.reduce((latest, job) => (job.failedAt > latest ? job.failedAt : latest), group[0]!.failedAt);
    console.log(`${String(group.length).padStart(5)}  ${group[0]!.nonRetryable ? "permanent" : "exhausted"}  last ${newest.toISOString()}  ${reason}`);
  }
  if (process.argv.includes("--retry-exhausted")) {
    // retryAll takes at most 1000 ids per call.
    const jobIds = jobs.filter((job) => !job.nonRetryable).map((job) => job.jobId).slice(0, 1000);
    if (jobIds.length > 0) {
      const { retried } = await taskgate.deadJobs.retryAll({ queue: "email", jobIds });
      console.log(`re-queued ${retried} job(s) that had run out of attempts`);
    }
  }
} catch (error) {
  if (!(error instanceof TaskgateError)) throw error;
  console.error(`${error.code}${error.status ? ` (HTTP ${error.status})` : ""}: ${error.message}`);
  process.exitCode = 1;
}
