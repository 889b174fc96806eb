/**
 * A worker process for the done-mark crash tests (doneMarkCrash.test.ts): the real worker with its
 * SMTP transport, which kills itself with SIGKILL the moment its first job's done mark
 * (`KILL_AFTER=done-mark`) or the job's completion (`KILL_AFTER=completion`) has been handed to
 * its Redis connection, before Redis answered either: where an unawaited done mark is most
 * exposed. It prints `{"msg":"armed"}` once it is watching its connection.
 */
import { bullPrefix, redisKeys } from "@taskgate/shared";
import { loadConfig } from "@taskgate/shared/load-config";
import { createLogger } from "@taskgate/shared/runtime";
import { startWorker } from "../../src/worker.js";

interface SentCommand {
  name: string;
  args: unknown[];
}
type SendCommand = (command: SentCommand, ...rest: unknown[]) => unknown;

const config = loadConfig();
const killAfter = process.env.KILL_AFTER;
if (killAfter !== "done-mark" && killAfter !== "completion") throw new Error(`KILL_AFTER must be done-mark or completion, got ${killAfter}`);

const running = await startWorker(config, { logger: createLogger(config, "killing-worker") });
// BullMQ's own client for completing jobs, which is the worker's connection the guard uses.
const client = (await running.worker.getBackend().client) as unknown as { sendCommand: SendCommand };
const original: SendCommand = client.sendCommand;
const effectKeyStart = redisKeys(config.keyPrefix).effect("email", "");
const completedKey = `${bullPrefix(config.keyPrefix)}:email:completed`;
const isDoneMark = (args: unknown[]) =>
  args.some((arg) => typeof arg === "string" && arg.startsWith(effectKeyStart)) && args.some((arg) => typeof arg === "string" && arg.startsWith('{"messageId"'));
const isCompletion = (args: unknown[]) => args.includes(completedKey);

client.sendCommand = function (this: unknown, command, ...rest) {
  const sent = original.call(this, command, ...rest);
  if (killAfter === "done-mark" ? isDoneMark(command.args) : isCompletion(command.args)) {
    // Pipes are written synchronously on Linux: this line is out before the process dies.
    process.stdout.write(`${JSON.stringify({ msg: "killing", after: killAfter, command: command.name })}\n`);
    process.kill(process.pid, "SIGKILL");
  }
  return sent;
};
process.stdout.write(`${JSON.stringify({ msg: "armed", doneMarks: running.doneMarks })}\n`);
