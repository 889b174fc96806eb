/**
 * TCP ports for tests: a free one to listen on (owned by scripts/lib, which the scripts share),
 * and whether one can be bound again after a process that held it stopped.
 */
import { createServer } from "node:net";
import { freePort } from "../../scripts/lib/freePort.js";

export { freePort };

/** Whether nothing listens on 127.0.0.1:`port` (it can be bound again). */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}
