/**
 * Builds the transport-neutral request context from an Express request: the one place that
 * reads identity headers. The client IP is Express's `req.ip` (socket address unless
 * TRUST_PROXY says otherwise), so a client cannot pick its own IP or user with a header.
 */
import { isIP } from "node:net";
import type { Request, Response } from "express";
import type { RequestContext } from "../requestContext.js";
import type { KeyLookup } from "@taskgate/shared";
import { canonicalIp, presentedKey } from "@taskgate/shared";
import { requestIdOf } from "./requestId.js";

/**
 * The client's address, in its canonical spelling (`canonicalIp`): Express's `req.ip` when it is
 * a valid IPv4 or IPv6 address, else the socket's. With TRUST_PROXY, `req.ip` comes from X-Forwarded-For, which can hold any text; only
 * an address may become a rate-limit identity or a blocked-log entry.
 */
export function clientIp(req: Request): string {
  const derived = req.ip;
  const address = derived !== undefined && isIP(derived) !== 0 ? derived : req.socket.remoteAddress;
  // One spelling per address (`::ffff:127.0.0.1` is 127.0.0.1), as overrides are stored in.
  return address === undefined ? "unknown" : canonicalIp(address);
}

/**
 * The request's `Idempotency-Key`, or `null` when it came more than once: Node joins repeated
 * headers with ", ", which would make two keys one key that neither request meant. Only a value
 * with a comma can be such a join, so only then are the raw headers counted.
 */
function idempotencyKeyOf(req: Request): string | null | undefined {
  const key = req.get("idempotency-key");
  if (key === undefined || !key.includes(",")) return key;
  let sent = 0;
  for (let i = 0; i < req.rawHeaders.length; i += 2) if (req.rawHeaders[i]!.toLowerCase() === "idempotency-key") sent++;
  return sent > 1 ? null : key;
}

export function buildRequestContext(req: Request, res: Response, keyLookup: KeyLookup | undefined): RequestContext {
  const key = keyLookup ? presentedKey(req.get("authorization"), req.get("x-api-key")) : undefined;
  const caller = key !== undefined && keyLookup ? (keyLookup(key) ?? null) : null;
  return {
    requestId: requestIdOf(res),
    ip: clientIp(req),
    caller,
    badKey: key !== undefined && caller === null,
    openMode: keyLookup === undefined,
    idempotencyKey: idempotencyKeyOf(req),
    setHeader: (name, value) => {
      if (!res.headersSent) res.setHeader(name, value);
    },
  };
}
