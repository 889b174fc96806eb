/**
 * A worker process for crash tests: the real worker, except that it kills itself with SIGKILL
 * at a chosen point of its first send — `CRASH_AT=before-send` (before the SMTP connection) or
 * `CRASH_AT=after-send` (after the SMTP server accepted, before the execution guard's done mark) —
 * or, with `FREEZE_AT_START_MS=n`, blocks its event loop for n ms when a job starts (a long GC
 * pause or a CPU hog), so its lock lapses and another worker takes the job over as stalled.
 */
import { loadConfig } from "@taskgate/shared/load-config";
import { createLogger } from "@taskgate/shared/runtime";
import { createSmtpTransport, startWorker, type MailTransport } from "@taskgate/worker";

const config = loadConfig();
const crashAt = process.env.CRASH_AT;
const die = () => {
  process.kill(process.pid, "SIGKILL");
  return new Promise<never>(() => undefined);
};
const freezeMs = Number(process.env.FREEZE_AT_START_MS ?? 0);
let frozen = false;
const freeze = (ms: number) => {
  if (frozen) return;
  frozen = true;
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // Busy-wait on purpose: nothing else in this process runs, lock renewals included.
  }
};
const smtp = createSmtpTransport({ url: config.smtpUrl! });
const transport: MailTransport = {
  send: (mail) => (crashAt === "before-send" ? die() : smtp.send(mail)),
  close: () => smtp.close(),
};
await startWorker(config, {
  logger: createLogger(config, "crashing-worker"),
  transport,
  ...(crashAt === "after-send" ? { afterSend: die } : {}),
  ...(freezeMs > 0 ? { onJobStart: () => freeze(freezeMs) } : {}),
});
