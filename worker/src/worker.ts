/**
 * One worker process: a BullMQ Worker per job domain with deliberate lock and stall settings,
 * and a bounded drain on shutdown (BullMQ's `close()` has no deadline of its own).
 */
import { createIORedisClient, Worker } from "bullmq";
import { Redis, Cluster, type RedisOptions } from "ioredis";
import type { Logger } from "pino";
import { bullPrefix, effectTtlMs, type Config, type EmailJobData, type EmailJobResult } from "@taskgate/shared";
import { createCounterBuffer, createLogger } from "@taskgate/shared/runtime";
import { createEffectGuard, type AfterEffectHook, type EffectGuard } from "./guard/index.js";
import { createEmailProcessor } from "./email/processor.js";
import { createOutboxTransport, createSmtpTransport, type MailTransport } from "./email/transport.js";
import { createJobMetrics, watchJobs } from "./metrics/jobMetrics.js";
import { countJobOutcomes } from "./metrics/jobOutcomeCounts.js";
import { startMetricsServer, type MetricsServer } from "./metrics/server.js";

/** A running worker process. */
export interface RunningWorker {
  worker: Worker<EmailJobData, EmailJobResult>;
  /**
   * How this worker sends the execution guard's done marks: `ordered` (unawaited, on the
   * connection BullMQ completes jobs on, ahead of the completion; single Redis) or `awaited`
   * (before the job is handed to BullMQ's completion: on a Cluster, with a guard that has no
   * `markDoneInOrder`, and until the worker has checked its connection).
   */
  readonly doneMarks: "ordered" | "awaited";
  /** Port of this process's `/metrics`; undefined when WORKER_METRICS_PORT is unset. */
  metricsPort: number | undefined;
  /**
   * Stops taking jobs and waits for active ones up to SHUTDOWN_TIMEOUT_MS; true when all
   * finished, false when the drain timed out. A job still running at the deadline keeps its lock
   * and goes back to the queue when the lock expires, which is why the worker's entry point still
   * exits 0 then (docs/OPERATIONS.md, Shutdown).
   */
  close(): Promise<boolean>;
}

export interface StartWorkerOptions {
  logger?: Logger;
  /** Replaces the configured transport (tests, benchmarks). */
  transport?: MailTransport;
  /** Test seam between the SMTP acceptance and the done mark. */
  afterSend?: AfterEffectHook;
  /** Test seam at the start of every run, before the execution guard is claimed. */
  onJobStart?: () => void | Promise<void>;
  /**
   * Makes a replacement for the execution guard on the worker's Redis connection; benchmark seam
   * only (`bench/worker.ts` measures what the guard costs). Never set in production: without the
   * real guard, a mail may be sent twice.
   */
  createGuard?: (connection: Redis | Cluster) => EffectGuard;
}

/** A connection for BullMQ workers: they block on Redis and must retry forever. */
export function connectWorkerRedis(config: Config): Redis | Cluster {
  const options: RedisOptions = { maxRetriesPerRequest: null, connectionName: "taskgate-worker", retryStrategy: (n) => Math.min(n * 200, 2000) };
  if (config.redisClusterNodes) {
    return new Cluster(config.redisClusterNodes, { redisOptions: options });
  }
  return new Redis(config.redisUrl, options);
}

/**
 * How long BullMQ waits before it tries again to fetch or to complete a job after a connection
 * error, in ms. BullMQ's default is 15 s, counted from the error, so a worker could sit idle for
 * up to 15 s after Redis came back (and a finished job wait as long for its completion). Commands
 * queue while Redis is away rather than fail, so these errors come only as a connection drops,
 * and one retry a second costs nothing.
 */
const RETRY_AFTER_CONNECTION_ERROR_MS = 1_000;

/** How long shutdown waits for the last job-outcome counts to reach Redis, in ms. */
const FINAL_FLUSH_MS = 1_000;

export async function startWorker(config: Config, options: StartWorkerOptions = {}): Promise<RunningWorker> {
  const logger = options.logger ?? createLogger(config, "worker");
  const transport = options.transport ?? (config.smtpUrl ? createSmtpTransport({ url: config.smtpUrl, socketTimeoutMs: config.jobTimeoutMs }) : createOutboxTransport(config.outboxDir));
  if (!options.transport && !config.smtpUrl) logger.info({ outbox: config.outboxDir }, "SMTP_URL is not set: mail goes to the dev outbox");
  const connection = connectWorkerRedis(config);
  connection.on("error", (error: Error) => logger.debug({ err: error }, "redis connection error"));
  const guard = options.createGuard?.(connection) ?? createEffectGuard({ redis: connection, keyPrefix: config.keyPrefix, leaseMs: config.workerLockMs, ttlMs: effectTtlMs(config) });
  const jobMetrics = createJobMetrics();
  // Whether done marks go out unawaited, ahead of BullMQ's completion of their job (see below).
  let doneMarksInOrder = false;
  // Sends that outlived JOB_TIMEOUT_MS, until they settle (marked done or released): the drain
  // waits for them too, or their leases would run out while they may still be accepted.
  const lateSends = new Set<Promise<void>>();
  const processor = createEmailProcessor({
    transport,
    guard,
    logger,
    mailFrom: config.mailFrom,
    jobTimeoutMs: config.jobTimeoutMs,
    orderedDoneMarks: () => doneMarksInOrder,
    onDoneMarkFailed: (queue) => jobMetrics.doneMarkFailed(queue),
    onLateSend: (settled) => {
      lateSends.add(settled);
      void settled.finally(() => lateSends.delete(settled));
    },
    ...(options.afterSend ? { afterSend: options.afterSend } : {}),
    ...(options.onJobStart ? { onJobStart: options.onJobStart } : {}),
  });
  const worker = new Worker<EmailJobData, EmailJobResult>("email", processor, {
    connection,
    prefix: bullPrefix(config.keyPrefix),
    concurrency: config.workerConcurrency,
    lockDuration: config.workerLockMs,
    stalledInterval: config.workerStalledIntervalMs,
    maxStalledCount: config.workerMaxStalledCount,
    autorun: true,
    runRetryDelay: RETRY_AFTER_CONNECTION_ERROR_MS,
    // No BullMQ `metrics` option: this process counts its finished jobs itself (below), in
    // memory, for the API's monitoring.queues.
  });
  // Redis runs one connection's commands in the order they arrive. So a done mark sent on the
  // connection BullMQ completes jobs on, before the processor returns, is applied before that
  // job's completion without the processor waiting for its answer: no job is ever completed
  // without its done mark, and a killed worker leaves at most the mark, never the completion
  // alone. That holds only if BullMQ's main client is this very connection (BullMQ 6 uses a
  // caller's ioredis instance as it is and duplicates it only for its blocking fetch), so it is
  // checked rather than assumed; until it is known, and on a Cluster (the effect key and the
  // job's keys live on different nodes), done marks are awaited as before.
  if (!connection.isCluster && guard.markDoneInOrder) {
    worker
      .getBackend()
      .client.then((client) => {
        doneMarksInOrder = (client as unknown) === createIORedisClient(connection);
        if (!doneMarksInOrder) logger.warn("BullMQ completes jobs on another connection than the execution guard's: done marks are awaited");
      })
      .catch(() => undefined);
  }
  watchJobs(worker, jobMetrics);
  const outcomeCounts = createCounterBuffer({
    redis: connection,
    keyPrefix: config.keyPrefix,
    retention: { minute: config.metricsMinuteRetentionMs, hour: config.metricsHourRetentionMs },
    flushMs: config.metricsFlushMs,
    logger,
  });
  countJobOutcomes(worker, outcomeCounts);
  worker.on("error", (error) => logger.warn({ err: error }, "worker error"));
  worker.on("failed", (job, error) => {
    // finishedOn is set once the job left for good: out of attempts or a permanent failure.
    if (job?.finishedOn) logger.warn({ jobId: job.id, requestId: job.data.requestId, reason: error.message }, "job is dead");
  });
  await worker.waitUntilReady().catch((error: unknown) => logger.warn({ err: error }, "Redis is not answering yet; the worker will start when it does"));
  logger.info({ concurrency: config.workerConcurrency, doneMarks: doneMarksInOrder ? "ordered" : "awaited" }, "worker started");
  let metricsServer: MetricsServer | undefined;
  if (config.workerMetricsPort !== undefined) {
    metricsServer = await startMetricsServer({ metrics: jobMetrics, port: config.workerMetricsPort, host: config.host, apiKeys: config.apiKeys, logger });
  }

  let closing: Promise<boolean> | undefined;
  const close = () =>
    (closing ??= (async () => {
      let timer: NodeJS.Timeout | undefined;
      const finished = await Promise.race([
        worker
          .close()
          .then(() => Promise.all(lateSends))
          .then(() => true),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), config.shutdownTimeoutMs))),
      ]);
      clearTimeout(timer);
      await metricsServer?.close();
      // The counts of the jobs that just finished; bounded, since this connection queues
      // commands while Redis is away rather than failing them.
      await Promise.race([outcomeCounts.close(), new Promise((resolve) => setTimeout(resolve, FINAL_FLUSH_MS).unref())]);
      if (!finished) {
        // Force-close: active jobs keep their lock until it expires, then another worker's
        // stalled-job check moves them back to waiting. Nothing is lost.
        logger.warn({ timeoutMs: config.shutdownTimeoutMs }, "active jobs did not finish in time; leaving them to be picked up again");
        // close(true) can still wait on the abandoned sends; the process exits regardless.
        await Promise.race([worker.close(true).catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 500).unref())]);
        transport.close();
        connection.disconnect();
        return false;
      }
      transport.close();
      await connection.quit().catch(() => connection.disconnect());
      return true;
    })());
  return {
    worker,
    get doneMarks() {
      return doneMarksInOrder ? ("ordered" as const) : ("awaited" as const);
    },
    metricsPort: metricsServer?.port,
    close,
  };
}
