/**
 * The find-job panel's job controls without the page: which states can be cancelled or
 * rescheduled, and the reschedule form (a local date and time, or a delay in minutes) checked
 * and turned into `jobs.email.reschedule`'s `sendAt` / `delayMs`. Pure, so unit-tested.
 */
import { parseLocalDateTime } from "./deadJobFilter.js";

/** How far ahead a job may be scheduled, in ms (30 days; the API's `MAX_SCHEDULE_AHEAD_MS`). */
export const MAX_RESCHEDULE_AHEAD_MS = 30 * 24 * 60 * 60 * 1000;

/** Only a job that has not started can be cancelled or rescheduled (the API answers 409 `JOB_NOT_PENDING` otherwise). */
export function isPending(state: string): boolean {
  return state === "waiting" || state === "scheduled";
}

/** What the reschedule form holds, as typed: a `datetime-local` value and a number of minutes. */
export interface RescheduleForm {
  sendAt: string;
  delayMinutes: string;
}

/** The new time as `jobs.email.reschedule` takes it (exactly one of the two). */
export type RescheduleTime = { sendAt: Date } | { delayMs: number };

/** The form as the call's input, or what is wrong with it; `now` in epoch ms. */
export function buildReschedule(form: RescheduleForm, now: number): { time: RescheduleTime } | { error: string } {
  const at = form.sendAt.trim();
  const minutes = form.delayMinutes.trim();
  if (at === "" && minutes === "") return { error: "Give a new time, or a delay in minutes." };
  if (at !== "" && minutes !== "") return { error: "Give a new time or a delay, not both." };
  if (at !== "") {
    const ms = parseLocalDateTime(at);
    if (ms === undefined) return { error: `"${at}" is not a date and time.` };
    if (ms <= now) return { error: "The new time has passed: give one in the future." };
    if (ms - now > MAX_RESCHEDULE_AHEAD_MS) return { error: "The new time is more than 30 days ahead." };
    return { time: { sendAt: new Date(ms) } };
  }
  const delay = Number(minutes);
  if (!/^\d+(\.\d+)?$/.test(minutes) || !Number.isFinite(delay)) return { error: `"${minutes}" is not a number of minutes.` };
  const delayMs = Math.round(delay * 60_000);
  if (delayMs <= 0) return { error: "The delay must be more than 0 minutes." };
  if (delayMs > MAX_RESCHEDULE_AHEAD_MS) return { error: "The delay is more than 30 days (43 200 minutes)." };
  return { time: { delayMs } };
}
