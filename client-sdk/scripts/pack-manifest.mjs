#!/usr/bin/env node
// prepack / postpack of @taskgate/client. `strip` (prepack's last step, after the build) puts the
// packed package.json (packedManifest.mjs) in place of the repository's; `restore` (postpack) puts
// the original back, byte for byte. npm skips postpack when the pack itself fails (an unwritable
// --pack-destination, a full disk) or is interrupted, so `strip` first leaves a detached `guard`
// that restores the file once the npm process has exited, and a later `strip` restores what a
// pack killed outright (guard and all) left behind.
import { execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { readBackup, restore, swapIn } from "./manifestSwap.mjs";
import { packedManifest } from "./packedManifest.mjs";

const GUARD_POLL_MS = 100;
// A pack takes seconds; a process still there after an hour is another one under a reused pid.
const GUARD_LIMIT_MS = 60 * 60 * 1000;

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === "EPERM";
  }
}

/** Parent pid and command line of `pid`: from /proc (Linux), else `ps` (macOS, BSD); undefined when neither tells. */
function processInfo(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // "pid (comm) state ppid …", where comm may itself hold spaces and parentheses.
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    return { ppid, command: readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ") };
  } catch {
    // No /proc: ask ps.
  }
  try {
    const line = execFileSync("ps", ["-ww", "-o", "ppid=", "-o", "args=", "-p", String(pid)], { encoding: "utf8" }).trim();
    const match = /^(\d+)\s+(.*)$/s.exec(line);
    return match ? { ppid: Number(match[1]), command: match[2] } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The npm process running this script as its prepack: the parent, or past the `sh -c <script>`
 * npm runs it in, the grandparent. Undefined outside a prepack or where processes cannot be
 * inspected (Windows): watching the shell instead would restore before npm has packed.
 */
function npmPid() {
  const script = process.env.npm_lifecycle_script;
  if (process.env.npm_lifecycle_event !== "prepack" || !script) return undefined;
  const parent = processInfo(process.ppid);
  if (!parent) return undefined;
  return parent.command.includes(script) ? parent.ppid : process.ppid;
}

function toPacked(original) {
  return JSON.stringify(packedManifest(JSON.parse(original.toString("utf8"))), null, 2) + "\n";
}

async function strip() {
  const owner = npmPid();
  const stale = await readBackup();
  if (stale && stale.owner !== null && alive(stale.owner)) {
    throw new Error(`another pack (npm, pid ${stale.owner}) has client-sdk/package.json swapped; let it finish first`);
  }
  if (stale) await restore();
  // The guard starts before anything changes: if it cannot start, the pack fails untouched. With
  // no npm process to watch, only postpack or the next pack's strip restores.
  if (owner !== undefined) spawn(process.execPath, [fileURLToPath(import.meta.url), "guard", String(owner)], { detached: true, stdio: "ignore" }).unref();
  await swapIn(owner ?? null, toPacked);
}

async function guard(owner) {
  const deadline = Date.now() + GUARD_LIMIT_MS;
  while (alive(owner) && Date.now() < deadline) await sleep(GUARD_POLL_MS);
  // After a normal pack, postpack already restored and removed the backup: nothing to do.
  await restore(owner);
}

const [command, argument] = process.argv.slice(2);
if (command === "strip") await strip();
else if (command === "restore") await restore();
else if (command === "guard" && Number.isSafeInteger(Number(argument))) await guard(Number(argument));
else {
  console.error("usage: pack-manifest.mjs strip | restore | guard <npm pid>");
  process.exitCode = 2;
}
