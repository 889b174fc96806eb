#!/usr/bin/env node
// Launcher of `taskgate-admin`. It runs the built CLI (dist/cli.js), which is what a packed or
// installed @taskgate/client always has. Inside the monorepo before `npm run build`, dist/ is
// missing: then it runs the TypeScript source through tsx, so `npx taskgate-admin` works right
// after `npm install`. (After editing the source, `npm run build` refreshes dist/.)
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const built = new URL("../dist/cli.js", import.meta.url);
const source = new URL("../src/cli.ts", import.meta.url);

if (existsSync(built)) {
  await import(built.href);
} else if (existsSync(source)) {
  let tsx;
  try {
    tsx = import.meta.resolve("tsx");
  } catch {
    console.error("taskgate-admin: dist/cli.js is missing and tsx is not installed; run `npm run build` first.");
    process.exit(2);
  }
  const args = ["--conditions=source", "--import", tsx, fileURLToPath(source), ...process.argv.slice(2)];
  const child = spawnSync(process.execPath, args, { stdio: "inherit" });
  process.exit(child.status ?? 1);
} else {
  console.error("taskgate-admin: dist/cli.js is missing; reinstall @taskgate/client.");
  process.exit(2);
}
