/**
 * The SDK as a user gets it: `npm pack`, install only the tarball and its peers in a project
 * outside the monorepo, type-check a consumer with `strict` and `skipLibCheck: false` (types
 * come from the one bundled index.d.ts, no server source), then run it against a live API.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN, API_KEYS_JSON, startStack, USER_A, type TestStack } from "../../test/support/stack.js";
import { buildSdk, cleanEnv, ROOT, SDK_DIR } from "./support/build.js";
import { makeDeadJobs } from "../../test/support/deadJobs.js";

const run = promisify(execFile);

let stack: TestStack;
let work: string;
let tarball: string;
let packedFiles: string[];
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "taskgate-sdk-"));
  [stack] = await Promise.all([startStack({ worker: false, env: { API_KEYS: API_KEYS_JSON } }), buildSdk()]);
  // The build just ran; --ignore-scripts keeps prepack from building again outside the test's lock.
  const { stdout } = await run("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", work], { cwd: SDK_DIR, env: cleanEnv() });
  const [packed] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  tarball = join(work, packed!.filename);
  packedFiles = packed!.files.map((file) => file.path);
}, 120_000);
afterAll(async () => {
  await stack?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

const CONSUMER_TSCONFIG = {
  compilerOptions: {
    target: "ES2022",
    module: "NodeNext",
    moduleResolution: "NodeNext",
    // No @types/node: fetch and AbortSignal come from the DOM lib; tRPC 11's own declarations
    // need `Disposable`, which @types/node or this lib provides.
    lib: ["ES2023", "DOM", "ESNext.Disposable"],
    types: [],
    strict: true,
    skipLibCheck: false,
    noEmitOnError: true,
    outDir: "out",
  },
  include: ["main.ts"],
};

function consumerSource(url: string): string {
  return `import { createClient, TaskgateError, type EnqueueResult, type JobStatus } from "@taskgate/client";

const baseUrl = ${JSON.stringify(url)};
const client = createClient({ baseUrl, apiKey: ${JSON.stringify(USER_A.key)} });
const created: EnqueueResult = await client.jobs.email.create({ to: "consumer@example.com", subject: "From the packed SDK", text: "Hello" });
const status: JobStatus = await client.jobs.status({ queue: "email", jobId: created.jobId });
const createdAt: Date = status.createdAt;

// A wrong input must not type-check: subject is required.
// @ts-expect-error
void (() => client.jobs.email.create({ to: "consumer@example.com", text: "no subject" }));

const admin = createClient({ baseUrl, apiKey: ${JSON.stringify(ADMIN.key)} });
const dead = await admin.deadJobs.list({ queue: "email" });
let refused = "";
try {
  await client.deadJobs.list({ queue: "email" });
} catch (error) {
  if (error instanceof TaskgateError) refused = error.code + " " + error.status;
}
console.log(JSON.stringify({
  jobId: created.jobId,
  state: status.state,
  createdAtIsDate: createdAt instanceof Date,
  deadTotal: dead.total,
  deadReason: dead.jobs[0]?.failedReason ?? null,
  refused,
}));
`;
}

describe("the packed SDK", () => {
  it("ships the built JS, one bundled index.d.ts and the bin; no sources, no per-file declarations", async () => {
    expect(packedFiles).toEqual(expect.arrayContaining(["package.json", "dist/index.js", "dist/index.d.ts", "dist/client.js", "dist/cli.js", "bin/taskgate-admin.mjs"]));
    expect(packedFiles.filter((file) => file.startsWith("src/") || file.startsWith("dist/types/") || file.startsWith("test/"))).toEqual([]);
    const types = await readFile(join(SDK_DIR, "dist/index.d.ts"), "utf8");
    const imports = [...types.matchAll(/from ['"]([^'"]+)['"]/g)].map((match) => match[1]);
    expect(new Set(imports)).toEqual(new Set(["@trpc/server"]));
    // Nothing else is referenced either: no inline import("…") types, no triple-slash references.
    expect(types).not.toMatch(/import\(["']|\/\/\/ <reference/);
  });

  it("installs from the tarball, type-checks a strict consumer with skipLibCheck false, and runs it against a live API", async () => {
    await makeDeadJobs(stack, 1, "packed");
    const project = join(work, "consumer");
    await run("mkdir", ["-p", project]);
    await writeFile(join(project, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
    // Exactly what the README tells a consumer to install (the peers at the pinned version); the
    // local npm cache serves it.
    const { peerDependencies } = JSON.parse(await readFile(join(SDK_DIR, "package.json"), "utf8")) as { peerDependencies: Record<string, string> };
    const peers = Object.entries(peerDependencies).map(([name, version]) => `${name}@${version}`);
    // Both peers at exactly the version the server runs: tRPC's client and server must match.
    const server = JSON.parse(await readFile(join(ROOT, "server/package.json"), "utf8")) as { dependencies: Record<string, string> };
    expect(server.dependencies["@trpc/server"]).toMatch(/^\d+\.\d+\.\d+$/);
    expect(peerDependencies).toEqual({ "@trpc/client": server.dependencies["@trpc/server"], "@trpc/server": server.dependencies["@trpc/server"] });
    await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", tarball, ...peers], {
      cwd: project,
      env: cleanEnv(),
    });
    const installed = JSON.parse(await readFile(join(project, "node_modules/@taskgate/client/package.json"), "utf8")) as { version: string };
    expect(installed.version).toBe("0.1.0");

    await writeFile(join(project, "tsconfig.json"), JSON.stringify(CONSUMER_TSCONFIG, null, 2));
    await writeFile(join(project, "main.ts"), consumerSource(stack.url));
    // The monorepo's TypeScript; the consumer's node_modules has no server and no workspace packages.
    const tsc = await run(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", project], { cwd: project, env: cleanEnv() }).catch(
      (error: { stdout: string }) => ({ stdout: error.stdout, failed: true }),
    );
    expect(tsc.stdout).toBe("");

    const { stdout } = await run(process.execPath, [join(project, "out/main.js")], { cwd: project, env: cleanEnv() });
    const result = JSON.parse(stdout) as Record<string, unknown>;
    expect(result).toMatchObject({ state: "waiting", createdAtIsDate: true, deadTotal: 1, refused: "FORBIDDEN 403" });
    expect(result.deadReason).toMatch(/^recipient rejected: 550/);
    expect(await stack.api.deps.queues.email.getJobState(result.jobId as string)).toBe("waiting");

    // The installed bin runs the built CLI.
    const bin = await run(join(project, "node_modules/.bin/taskgate-admin"), ["queues", "--json"], {
      cwd: project,
      env: cleanEnv({ TASKGATE_URL: stack.url, TASKGATE_API_KEY: ADMIN.key }),
    });
    expect((JSON.parse(bin.stdout) as { queues: Array<{ name: string }> }).queues[0]!.name).toBe("email");
  }, 90_000);
});
