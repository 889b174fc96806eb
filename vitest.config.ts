import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const src = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run the TypeScript sources of the workspace packages, not their builds.
    alias: [
      { find: /^@taskgate\/shared\/load-config$/, replacement: src("./shared/src/loadConfig.ts") },
      { find: /^@taskgate\/shared\/runtime$/, replacement: src("./shared/src/runtime/index.ts") },
      { find: /^@taskgate\/shared\/lua$/, replacement: src("./shared/src/lua.ts") },
      { find: /^@taskgate\/shared$/, replacement: src("./shared/src/index.ts") },
      { find: /^@taskgate\/server$/, replacement: src("./server/src/index.ts") },
      { find: /^@taskgate\/worker$/, replacement: src("./worker/src/index.ts") },
      { find: /^@taskgate\/client$/, replacement: src("./client-sdk/src/index.ts") },
      // The test support kit (test/support), the same from every package's tests; tsconfig.tests.json maps it too.
      { find: /^#test-support\/(.*)$/, replacement: src("./test/support/") + "$1" },
    ],
  },
  test: {
    include: ["dashboard/test/**/*.test.ts", "shared/test/**/*.test.ts", "server/test/**/*.test.ts", "worker/test/**/*.test.ts", "client-sdk/test/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    // Most files spend their time waiting on Redis, SMTP and child processes, not on a core, and
    // every test owns its key prefix or a private Redis, so files run two at a time even on a
    // 2-core machine (vitest's default there is one: cores − 1). About 7 → 4 minutes here.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    globalSetup: ["test/support/globalSetup.ts"],
  },
});
