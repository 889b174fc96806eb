/**
 * How a failed API call is printed: its code, HTTP status and message on one line with each bad
 * field under it, or with `--json` the whole problem details. Server text is made one line and
 * stripped of control characters before it reaches the terminal.
 */
import type { FieldIssue } from "@taskgate/shared";
import { TaskgateError } from "../errors.js";
import { json, oneLine } from "./format.js";

/**
 * The problem's field issues (`errors`, sent with VALIDATION_FAILED), keeping only well-formed
 * entries: the problem came over the wire, and only its `code` and `status` were checked.
 */
function fieldIssuesOf(error: TaskgateError): FieldIssue[] {
  const issues = error.problem?.errors as unknown;
  if (!Array.isArray(issues)) return [];
  return issues.filter((issue): issue is FieldIssue => typeof issue === "object" && issue !== null && typeof issue.path === "string" && typeof issue.message === "string");
}

export function describeError(error: TaskgateError): string {
  const status = error.status !== undefined ? ` (HTTP ${error.status})` : "";
  const requestId = error.requestId ? ` [request id ${error.requestId}]` : "";
  // The headline alone ("The request is not valid.") does not say which option to fix: the
  // problem's `errors` do, so each gets its own line under it.
  const issues = fieldIssuesOf(error).map((issue) => `  ${issue.path === "" ? "(input)" : oneLine(issue.path)}: ${oneLine(issue.message)}`);
  return [`taskgate-admin: ${error.code}${status}: ${oneLine(error.message)}${requestId ? oneLine(requestId) : ""}`, ...issues].join("\n");
}

/** The `--json` form of a failed call: the summary fields, and the API's whole problem details when it sent them. */
export function errorJson(error: TaskgateError): string {
  return json({ error: { code: error.code, status: error.status, message: error.message, requestId: error.requestId, problem: error.problem } });
}
