/**
 * Real processes for fault and shutdown tests: API and worker processes (TypeScript sources
 * run through tsx) and root npm scripts, each with its own environment, all stopped by pid.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { resolve } from "node:path";
import { freePort } from "./ports.js";
import { sleep } from "./time.js";

const ROOT = resolve(import.meta.dirname, "../..");

/** The environment for child npm/node processes, without the npm_* variables of an enclosing `npm test`. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith("npm_")));
  return { ...env, ...extra };
}

/** A child process with its collected output and parsed pino lines. */
export interface RunningProcess {
  child: ChildProcess;
  pid: number;
  output(): string;
  /** pino JSON lines printed so far. */
  logs(): Array<Record<string, unknown>>;
  /** Resolves with the exit code (or 128+signal) once it exits. */
  exited: Promise<number>;
  /** SIGKILL, and waits for the exit. */
  kill(): Promise<number>;
}

/** Collects a child's output and exit; every process a test starts goes through here. */
export function trackProcess(child: ChildProcess): RunningProcess {
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number>((done) => child.once("exit", (code, signal) => done(code ?? (signal ? 128 : 0))));
  return {
    child,
    pid: child.pid!,
    output: () => out,
    logs: () =>
      out
        .split("\n")
        .filter((line) => line.startsWith("{"))
        .flatMap((line) => {
          try {
            return [JSON.parse(line) as Record<string, unknown>];
          } catch {
            return [];
          }
        }),
    exited,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      return exited;
    },
  };
}

/** Runs a TypeScript entry point of the repo (e.g. `server/src/main.ts`) with its own env. */
export function spawnEntry(entry: string, env: Record<string, string>): RunningProcess {
  // The heap flags this process runs with (`npm run bench` passes Taskgate's), so an entry it
  // starts runs as every Taskgate process does (docs/OPERATIONS.md, "Node's heap").
  const heapFlags = process.execArgv.filter((flag) => flag.startsWith("--max-semi-space-size"));
  const child = spawn(process.execPath, [...heapFlags, "--import", "tsx", "--conditions=source", entry], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  return trackProcess(child);
}

/**
 * Runs a root npm script (`npm run start:api`) as users do, with its own env and without the
 * npm_* variables of an enclosing `npm test`; the child's pid is npm's own.
 */
export function spawnNpmScript(script: string, env: Record<string, string>, options: { ownProcessGroup?: boolean } = {}): RunningProcess {
  const child = spawn("npm", ["run", script], {
    cwd: ROOT,
    env: cleanEnv({ LOG_LEVEL: "info", ...env }),
    stdio: ["ignore", "pipe", "pipe"],
    // A group of its own lets a test send a terminal's Ctrl-C: SIGINT to every process in it.
    detached: options.ownProcessGroup ?? false,
  });
  return trackProcess(child);
}

/** Every live descendant of `pid` (children, their children, …), read with `ps`. */
export function descendantsOf(pid: number): number[] {
  const table = spawnSync("ps", ["-e", "-o", "pid=,ppid="], { encoding: "utf8" }).stdout;
  const children = new Map<number, number[]>();
  for (const line of table.split("\n")) {
    const [child, parent] = line.trim().split(/\s+/).map(Number);
    if (child === undefined || parent === undefined || Number.isNaN(child)) continue;
    children.set(parent, [...(children.get(parent) ?? []), child]);
  }
  const found: number[] = [];
  const walk = (of: number) => {
    for (const child of children.get(of) ?? []) {
      found.push(child);
      walk(child);
    }
  };
  walk(pid);
  return found;
}

/** Whether a process with this pid still exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Resolves with the exit code, or rejects when the process has not exited within `ms`. */
export function exitWithin(proc: RunningProcess, ms: number): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`did not exit within ${ms} ms:\n${proc.output()}`)), ms)));
  return Promise.race([proc.exited, late]).finally(() => clearTimeout(timer));
}

/** Waits until `url` answers (any status), or fails with the process output. */
export async function waitForHttp(url: string, proc: RunningProcess, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null) throw new Error(`process exited early:\n${proc.output()}`);
    try {
      await fetch(url);
      return;
    } catch {
      await sleep(100);
    }
  }
  throw new Error(`no answer from ${url}:\n${proc.output()}`);
}

/** Starts an API process on a free port; resolves once it answers. */
export async function spawnApi(env: Record<string, string>): Promise<RunningProcess & { url: string }> {
  const port = await freePort();
  const proc = spawnEntry("server/src/main.ts", { PORT: String(port), ...env });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/health/live`, proc);
  return Object.assign(proc, { url });
}

/** Starts a worker process; resolves once it logged that it started. */
export async function spawnWorker(env: Record<string, string>): Promise<RunningProcess> {
  const proc = spawnEntry("worker/src/main.ts", env);
  const deadline = Date.now() + 20_000;
  while (!proc.logs().some((l) => l.msg === "worker started")) {
    if (proc.child.exitCode !== null) throw new Error(`worker exited early:\n${proc.output()}`);
    if (Date.now() > deadline) throw new Error(`worker did not start:\n${proc.output()}`);
    await sleep(100);
  }
  return proc;
}
