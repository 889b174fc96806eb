/**
 * The machine facts printed above every run, so figures are never read without their context.
 */
import os from "node:os";
import type { Redis } from "ioredis";
import { redisVersion } from "./redis.js";

/** One line: CPU model and count, memory, Node, Redis, OS. */
export async function machineFacts(redis: Redis): Promise<string> {
  const cpus = os.cpus();
  const model = cpus[0]?.model.replace(/\s+/g, " ").trim() ?? "unknown CPU";
  const memGiB = (os.totalmem() / 1024 ** 3).toFixed(1);
  return `machine: ${cpus.length} × ${model}, ${memGiB} GiB RAM, Node ${process.version}, Redis ${await redisVersion(redis)}, ${os.type()} ${os.release()} ${os.arch()}`;
}
