/**
 * `npm run bench:profile -- <setup> [seconds]`: one gateway setup under autocannon load while
 * this process (the server) records a V8 CPU profile, then prints the functions with the most
 * self time (share of the busy samples, and µs per request) and writes `.data/bench-<setup>.cpuprofile` (open it in Chrome DevTools or speedscope). This is
 * how BENCHMARKS.md's profile findings were made; the figures come from `npm run bench`.
 *
 * Setups: `rest` (POST /jobs/email, 1 rule), `rest0` (the same with no rule: no limiter call), `rest-key` (the same with an Idempotency-Key),
 * `rest3` (3 rules + Idempotency-Key), `rest3-nokey` (3 rules, no key), `trpc` (jobs.email.create as the SDK sends it, with its key), `trpc-batch` (10 creates in one httpBatchLink call),
 * `baseline` (the bare Express handler of gateway.ts).
 */
import { mkdir, writeFile } from "node:fs/promises";
import { Session } from "node:inspector/promises";
import { createLogger } from "@taskgate/shared/runtime";
import { startApi } from "@taskgate/server";
import { benchConfig } from "./lib/email.js";
import { GATEWAY_RULE_SETS, gatewayRequest, startBaseline, type GatewayShape } from "./lib/gatewaySetups.js";
import { startLoadGenerator } from "./lib/load.js";
import { assertLocalRedis, connect, deletePrefix, randomPrefix } from "./lib/redis.js";

const SHAPES: Record<string, { shape: GatewayShape; rules: keyof typeof GATEWAY_RULE_SETS }> = {
  rest: { shape: "rest", rules: "one" },
  rest0: { shape: "rest", rules: "none" },
  rest3: { shape: "restIdempotent", rules: "three" },
  "rest3-nokey": { shape: "rest", rules: "three" },
  "rest-key": { shape: "restIdempotent", rules: "one" },
  trpc: { shape: "trpc", rules: "one" },
  "trpc-batch": { shape: "trpcBatch", rules: "one" },
  baseline: { shape: "rest", rules: "one" },
};

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

const [name = "trpc", secondsArg = "8"] = process.argv.slice(2).filter((arg) => arg !== "--");
const chosen = SHAPES[name];
if (!chosen) {
  console.error(`unknown setup ${name}; choose from ${Object.keys(SHAPES).join(", ")}`);
  process.exit(2);
}
assertLocalRedis();
const prefix = randomPrefix();
const admin = connect("profile-admin");
const load = startLoadGenerator();
const baseline = name === "baseline" ? await startBaseline(`${prefix}-b`) : undefined;
const config = benchConfig(prefix, { RATE_LIMIT_RULES: JSON.stringify(GATEWAY_RULE_SETS[chosen.rules]) });
const api = baseline ? undefined : await startApi(config, { logger: createLogger(config, "api") });
const origin = baseline?.url ?? api!.url;
const request = await gatewayRequest(chosen.shape, origin);
try {
  await load.run({ ...request, connections: 50, durationS: 2 });
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 200 });
  await session.post("Profiler.start");
  const result = await load.run({ ...request, connections: 50, durationS: Number(secondsArg) });
  const { profile } = await session.post("Profiler.stop");
  // Under .data/ (ignored by git), like the test reports.
  await mkdir(".data", { recursive: true });
  const file = `.data/bench-${name}.cpuprofile`;
  await writeFile(file, JSON.stringify(profile));
  const nodes = profile.nodes as ProfileNode[];
  const total = nodes.reduce((sum, node) => sum + (node.hitCount ?? 0), 0);
  const idle = nodes.filter((node) => node.callFrame.functionName === "(idle)").reduce((sum, node) => sum + (node.hitCount ?? 0), 0);
  const bySelf = new Map<string, number>();
  for (const node of nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === "(idle)") continue;
    const where = `${functionName || "(anonymous)"} ${url.replace(/^.*node_modules\//, "").replace(/^file:\/\/.*?\/work\/[^/]+\//, "")}:${lineNumber + 1}`;
    bySelf.set(where, (bySelf.get(where) ?? 0) + (node.hitCount ?? 0));
  }
  // µs of sampled busy time per request: comparable across setups and runs, unlike shares.
  const usPerSample = (profile.endTime - profile.startTime) / Math.max(1, profile.samples?.length ?? 0);
  const usPerRequest = (hits: number) => (hits * usPerSample) / result.total;
  console.log(
    `${name}: ${Math.round(result.rps)} req/s, ${result.non2xx} non-2xx; profile ${file}; busy ${(((total - idle) / total) * 100).toFixed(0)} % of samples, ` +
      `${usPerRequest(total - idle).toFixed(0)} µs per request`,
  );
  console.log("share of busy  µs/req  self time in");
  for (const [where, hits] of [...bySelf].sort((a, b) => b[1] - a[1]).slice(0, 40)) {
    console.log(`${((hits / (total - idle)) * 100).toFixed(1).padStart(11)} %  ${usPerRequest(hits).toFixed(1).padStart(6)}  ${where}`);
  }
} finally {
  load.close();
  await api?.close();
  await baseline?.close();
  await deletePrefix(admin, prefix);
  await admin.quit();
}
