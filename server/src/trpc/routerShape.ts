/**
 * The router without a running server: its procedures, their kinds and meta, for what reads the
 * router's shape only — the client SDK's generated procedure table, tests of the REST aliases.
 * Router factories only store their dependencies while building (they use them per call), so a
 * stand-in that answers every property with itself is enough; calling a procedure of this router
 * fails, by design.
 */
import type { ServerDeps } from "../serverDeps.js";
import { createAppRouter, type AppRouter } from "./appRouter.js";

function standIn(): unknown {
  const target = function standInDependency() {
    throw new Error("routerShape() builds the router's shape only; its procedures cannot be called");
  };
  const proxy: unknown = new Proxy(target, {
    get: (_target, property) => (property === Symbol.toPrimitive ? () => "shape" : proxy),
  });
  return proxy;
}

/** The application router, built for its shape only (see the file comment). */
export function routerShape(): AppRouter {
  return createAppRouter(standIn() as ServerDeps);
}
