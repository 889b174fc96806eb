/**
 * @taskgate/client: the typed client for Taskgate's API — methods that mirror the tRPC procedures,
 * safe retries (job creation always carries an Idempotency-Key), and one error class.
 */
export { createClient } from "./client.js";
export { TaskgateError, type ClientErrorCode, type TaskgateErrorCode, type TaskgateProblem } from "./errors.js";
export { DEFAULT_RETRY, type RetryEvent, type RetryOptions } from "./retry.js";
export type {
  BlockedQueryInput,
  DeadJobInput,
  DeadJobsDeleteManyInput,
  JobCancelInput,
  DeadJobsListInput,
  DeadJobsRetryAllInput,
  EmailBody,
  EmailJobInput,
  JobStatusInput,
  QueueName,
  ScheduleEmailJobInput,
  ScheduleTime,
} from "./inputs.js";
export type {
  AppRouter,
  BlockedLogPage,
  CallOptions,
  ClientOptions,
  CreateOptions,
  DeadJobDetail,
  DeadJobsPage,
  DeadJobSummary,
  EnqueueResult,
  JobStatus,
  QueuesOverview,
  RouterInputs,
  RouterOutputs,
  TaskgateClient,
} from "./types.js";
