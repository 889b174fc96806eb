/** What the page's sections share: each is an element plus a way to bring it up to date. */
import type { TaskgateClient } from "./api.js";

export interface Panel {
  element: HTMLElement;
  /** Reloads what the panel shows; rejects when the API call failed (the poller reports it). */
  refresh(): Promise<void>;
}

/** What a panel may use. */
export interface PanelContext {
  client: TaskgateClient;
  /** Shows the outcome of an action (retry, delete): "ok" fades, "error" stays until dismissed. */
  notify(message: string, kind?: "ok" | "error"): void;
  /** Reports a failed load; a key error ends the session. */
  fail(error: unknown): void;
  /** The current time, for ages; a function so panels stay testable. */
  now(): number;
}
