/**
 * @taskgate/worker: BullMQ workers for Taskgate's job domains (email first).
 */
export { startWorker, connectWorkerRedis, type RunningWorker, type StartWorkerOptions } from "./worker.js";
export { createEffectGuard, type EffectGuard, type EffectGuardOptions } from "./guard/index.js";
export { createEmailProcessor } from "./email/processor.js";
export { createOutboxTransport, createSmtpTransport, type MailTransport, type SendReceipt } from "./email/transport.js";
export { classifyFailure, isDefinitelyNotSent } from "./email/classify.js";
