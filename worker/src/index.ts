/**
 * @taskgate/worker: BullMQ workers for Taskgate's job domains (email first).
 */
export { startWorker, connectWorkerRedis, type RunningWorker, type StartWorkerOptions } from "./worker.js";
export { DEFAULT_EFFECT_LEASE_MS, DEFAULT_EFFECT_TTL_MS, type EffectGuard } from "./guard/index.js";
export { createLogger } from "./logger.js";
export { createEmailProcessor } from "./email/processor.js";
export { createOutboxTransport, createSmtpTransport, type MailTransport, type SendReceipt } from "./email/transport.js";
export { classifyFailure, isDefinitelyNotSent } from "./email/classify.js";
export { buildMail, messageIdFor } from "./email/message.js";
