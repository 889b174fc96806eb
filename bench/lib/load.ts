/**
 * HTTP load with autocannon, run as a child process so the load generator never shares an
 * event loop with the server under test (which runs in the benchmark's own process).
 */
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import type autocannon from "autocannon";

const autocannonCli = createRequire(import.meta.url).resolve("autocannon");

/** One load run. */
export interface LoadOptions {
  /** Full URL; must be on 127.0.0.1 (enforced). */
  url: string;
  method?: "GET" | "POST";
  /** JSON body, serialised once. */
  body?: unknown;
  connections: number;
  durationS: number;
  /** Seconds to give up on one request; default 10. */
  timeoutS?: number;
}

/** What a load run measured. */
export interface LoadResult {
  /** Mean of the per-second samples of completed requests (any status). */
  rps: number;
  /** Latency percentiles, in ms. */
  p50Ms: number;
  p99Ms: number;
  total: number;
  ok2xx: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

/** Runs autocannon's CLI with `--json` and returns the parsed figures. Bounded by `durationS` plus a grace period. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const url = new URL(options.url);
  if (url.hostname !== "127.0.0.1") throw new Error(`load only ever targets 127.0.0.1, not ${url.hostname}`);
  const args = [
    autocannonCli,
    "--json",
    "--no-progress",
    "-c", String(options.connections),
    "-d", String(options.durationS),
    "-t", String(options.timeoutS ?? 10),
    "-m", options.method ?? "GET",
  ];
  if (options.body !== undefined) args.push("-H", "content-type=application/json", "-b", JSON.stringify(options.body));
  args.push(url.href);

  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  // autocannon stops by itself after durationS; the kill is only for a wedged child.
  const killer = setTimeout(() => child.kill("SIGKILL"), (options.durationS + 20) * 1000);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", resolve);
  }).finally(() => clearTimeout(killer));
  const line = stdout.trim().split("\n").pop() ?? "";
  if (code !== 0 || !line.startsWith("{")) throw new Error(`autocannon exited with ${code}: ${stderr.trim() || stdout.trim()}`);
  const result = JSON.parse(line) as autocannon.Result;
  return {
    rps: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    total: result.requests.total,
    ok2xx: result["2xx"],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}
