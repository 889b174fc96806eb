/**
 * `npm test`: makes sure a Redis answers (starting a private one like `npm start` does),
 * then runs the whole vitest suite against it and exits with its code.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { ensureRedis } from "./lib/ensureRedis.js";

const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
let redis;
try {
  redis = await ensureRedis(url, ".data/test-redis");
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
if (redis.started) console.log(`No Redis answered at ${url}: started a private redis-server for the tests.`);

const results = ".data/test-results.json";
rmSync(results, { force: true });
const args = ["vitest", "run", "--reporter=default", "--reporter=json", `--outputFile.json=${results}`, ...process.argv.slice(2)];
const vitest = spawn("npx", args, { stdio: "inherit", env: { ...process.env, REDIS_URL: url } });
const code = await new Promise<number>((resolve) => vitest.on("exit", (c, signal) => resolve(c ?? (signal ? 1 : 0))));
await redis.stop();
// A plain closing line that any CI log reader understands.
if (existsSync(results)) {
  const summary = JSON.parse(readFileSync(results, "utf8")) as { numPassedTests: number; numFailedTests: number; numPendingTests: number };
  console.log(`${summary.numPassedTests} passed, ${summary.numFailedTests} failed`);
}
process.exit(code);
