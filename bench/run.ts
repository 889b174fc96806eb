/**
 * `npm run bench [-- gateway limiter worker scale]`: runs the benchmarks (all by default) against the
 * local Redis under a random key prefix, prints tables, ratios and verdicts, and removes every
 * key it wrote. Bounded in time; stops by itself.
 */
import { formatVerdict, outcome, type Verdict } from "./lib/verdict.js";
import type { BenchContext, BenchModule } from "./lib/context.js";
import { machineFacts } from "./lib/machine.js";
import { assertLocalRedis, connect, deletePrefix, randomPrefix, REDIS_URL } from "./lib/redis.js";

/** Loaded on demand, so one benchmark's broken module does not stop the others. */
const BENCHMARKS: Record<string, () => Promise<BenchModule>> = {
  gateway: () => import("./gateway.js"),
  limiter: () => import("./limiter.js"),
  scale: () => import("./scale.js"),
  worker: () => import("./worker.js"),
};
/** Whole-run ceiling: a wedged benchmark is abandoned, keys are swept, and the run exits 1. */
const RUN_DEADLINE_MS = 420_000;

const names = process.argv.slice(2).filter((arg) => arg !== "--");
const unknown = names.filter((name) => !(name in BENCHMARKS));
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(", ")}; choose from ${Object.keys(BENCHMARKS).join(", ")}`);
  process.exit(2);
}
const selected = names.length > 0 ? [...new Set(names)] : Object.keys(BENCHMARKS);

assertLocalRedis();
const admin = connect("admin");
await admin.ping();
const ctx: BenchContext = { prefix: randomPrefix(), admin };

let sweeping: Promise<void> | undefined;
const sweep = () =>
  (sweeping ??= (async () => {
    const deleted = await deletePrefix(admin, ctx.prefix).catch((error: unknown) => {
      console.error(`could not remove keys under ${ctx.prefix}*: ${String(error)}`);
      return 0;
    });
    console.log(`\ncleaned up: ${deleted} keys under ${ctx.prefix}*`);
    await admin.quit().catch(() => admin.disconnect());
  })());
const abort = (reason: string) => {
  console.error(`\n${reason}; cleaning up and exiting`);
  void sweep().finally(() => process.exit(1));
};
const deadline = setTimeout(() => abort(`run exceeded ${RUN_DEADLINE_MS / 1000} s`), RUN_DEADLINE_MS);
process.once("SIGINT", () => abort("interrupted"));
process.once("SIGTERM", () => abort("terminated"));

console.log(`Taskgate benchmarks — ${new Date().toISOString()}`);
console.log(await machineFacts(admin));
console.log(`redis: ${REDIS_URL.replace(/\/\/[^@]*@/, "//***@")}, key prefix ${ctx.prefix}; running: ${selected.join(", ")}`);
console.log("absolute numbers drift on a shared machine; compare the ratios, which are measured against baselines in the same run");

const verdicts: Verdict[] = [];
const failed: string[] = [];
for (const name of selected) {
  const started = Date.now();
  try {
    const module = await BENCHMARKS[name]!();
    verdicts.push(...(await module.run(ctx)));
    console.log(`(${name}: ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  } catch (error) {
    failed.push(name);
    console.error(`\n!! ${name} could not run: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
}

console.log("\n== summary");
for (const verdict of verdicts) console.log(formatVerdict(verdict));
for (const name of failed) console.log(`${name}: DID NOT RUN (see the error above)`);
const missed = verdicts.filter((v) => outcome(v) === "not met").length;
console.log(`${verdicts.length} verdicts, ${missed} aims not met (informational; not an error), ${failed.length} benchmarks failed to run`);

clearTimeout(deadline);
await sweep();
// Everything was closed; exiting explicitly guarantees a lingering handle cannot keep the run alive.
process.exit(failed.length > 0 ? 1 : 0);
