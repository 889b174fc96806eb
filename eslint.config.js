// Lint: typescript-eslint's recommended rules over every package, tests, scripts and benchmarks;
// plus the structure: no import cycles in any package's src, and the server's layering.
import js from "@eslint/js";
import { createTypeScriptImportResolver } from "eslint-import-resolver-typescript";
import importX from "eslint-plugin-import-x";
import tseslint from "typescript-eslint";

// server/src, top to bottom: transport, then features, then errors/ and redis/. A module may import
// its own folder and the folders listed after its own, never one before it, so every arrow points
// down and folders cannot form a cycle. The wiring (api.ts, main.ts, index.ts, http/app.ts) sees
// everything; serverDeps.ts and requestContext.ts are the contracts transport is written against.
const SERVER_LAYERS = [
  ["openapi", "rest", "dashboard", "http", "trpc"], // transport
  ["observability", "deadJobs", "rateLimit", "idempotency", "jobs", "audit"], // features
  ["errors", "redis"], // bottom
];
const SERVER_ROOT = "server/src/*.ts";
const WIRING = "server/src/{api,main,index,http/app}.ts";
const CONTRACTS = "server/src/{serverDeps,requestContext}.ts";
const folders = SERVER_LAYERS.flat();
const glob = (names) => (names.length === 1 ? `server/src/${names[0]}/**` : `server/src/{${names.join(",")}}/**`);
const TRANSPORT_FILES = ["server/src/{openapi,rest,dashboard,trpc}/**", "server/src/http/!(app).ts", "server/src/http/*/**"];
const layeringZones = [
  ...folders.flatMap((folder, index) => {
    const isTransport = SERVER_LAYERS[0].includes(folder);
    const from = [...(index > 0 ? [glob(folders.slice(0, index))] : []), ...(isTransport ? [] : [SERVER_ROOT])];
    if (from.length === 0) return [];
    const below = folders.slice(index + 1).join(", ") || "no other folder";
    return {
      // http/app.ts wires the app: it may import any folder.
      target: folder === "http" ? TRANSPORT_FILES.slice(1) : glob([folder]),
      from,
      message: `server/src layers one way (docs/ARCHITECTURE.md): ${folder}/ may import, besides its own folder, only ${below}${isTransport ? " and serverDeps.ts / requestContext.ts" : ""}.`,
    };
  }),
  { target: [...TRANSPORT_FILES, CONTRACTS], from: WIRING, message: "Only the entry points import the wiring modules (api.ts, main.ts, index.ts, http/app.ts)." },
  { target: CONTRACTS, from: glob(SERVER_LAYERS[0]), message: "serverDeps.ts and requestContext.ts import no transport module." },
  { target: "server/src/**", from: "{worker,client-sdk,dashboard}/**", message: "Of the workspace the server imports only @taskgate/shared (the dashboard's build is found by its path)." },
  { target: "worker/src/**", from: "{server,client-sdk,dashboard}/**", message: "The worker never imports the server (nor the SDK or the dashboard)." },
  { target: "shared/src/**", from: "{server,worker,client-sdk,dashboard}/**", message: "shared/ is the bottom package: it imports no other package of the workspace." },
];

export default tseslint.config(
  { ignores: ["**/dist/**", "**/node_modules/**", ".data/**", ".prof/**", "coverage/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: "readonly", console: "readonly", URL: "readonly", setTimeout: "readonly", clearTimeout: "readonly", setInterval: "readonly", clearInterval: "readonly", fetch: "readonly", Buffer: "readonly", AbortController: "readonly", AbortSignal: "readonly", Response: "readonly" } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-explicit-any": "warn",
    },
  },
  {
    files: ["{shared,server,worker,client-sdk,dashboard}/src/**/*.ts"],
    plugins: { "import-x": importX },
    settings: {
      // The modules to follow are TypeScript, parsed by typescript-eslint's parser.
      "import-x/extensions": [".ts", ".js"],
      "import-x/parsers": { "@typescript-eslint/parser": [".ts"] },
      // `./x.js` finds `./x.ts`; `@taskgate/*` finds the package's sources (its `source` condition).
      "import-x/resolver-next": [createTypeScriptImportResolver({ conditionNames: ["source", "types", "import", "default"] })],
    },
    rules: {
      // Value imports only: `import type` is erased, so a type-only loop cannot break start-up.
      "import-x/no-cycle": ["error", { ignoreExternal: true }],
      "import-x/no-restricted-paths": [
        "error",
        {
          basePath: import.meta.dirname,
          zones: layeringZones,
        },
      ],
    },
  },
);
