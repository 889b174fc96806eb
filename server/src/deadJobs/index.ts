/**
 * Dead jobs: plain functions over BullMQ's failed set that the `deadJobs` router calls —
 * list (newest first, cursor pages), show one, retry one or all, delete one.
 */
export { type DeadJobsDeps, resolveQueue } from "./deadJobsDeps.js";
export { listDeadJobs, getDeadJob, type ListDeadJobsOptions } from "./read.js";
export { retryDeadJob, retryAllDeadJobs, RETRY_BATCH_SIZE, type RetryAllOptions } from "./retry.js";
export { deleteDeadJob, deleteDeadJobs, type DeleteManySelection } from "./remove.js";
export { matchesFields, scanFiltered, type DeadJobFilter } from "./filter.js";
export { encodeCursor, decodeCursor, type FailedSetPosition } from "./cursor.js";
