/**
 * A TCP port nothing listens on right now, on 127.0.0.1 (for private Redis instances and test
 * servers). The OS picks it; it is free when this resolves, which is as good as it gets.
 */
import { createServer } from "node:net";

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
