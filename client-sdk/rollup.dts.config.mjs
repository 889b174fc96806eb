// Bundles the SDK's declarations (tsc's output in dist/types) into one self-contained
// dist/index.d.ts: the server's and shared package's types are inlined, so a consumer of the
// packed SDK needs neither; only @trpc/server (a peer) stays an import.
import { dts } from "rollup-plugin-dts";

export default {
  input: "dist/types/index.d.ts",
  output: { file: "dist/index.d.ts", format: "es" },
  // node:http and the like are only reached through server declarations the bundle drops.
  external: [/^node:/],
  plugins: [
    dts({
      // Resolves workspace packages to their built declarations (the `types` condition), not to
      // their TypeScript sources (the monorepo's `source` condition).
      tsconfig: "tsconfig.dts.json",
      includeExternal: ["@taskgate/server", "@taskgate/shared"],
    }),
  ],
};
