/**
 * The SDK as a user gets it, following the README word for word: `npm pack` in the repository,
 * then `npm install` of the tarball and the pinned tRPC peers in a fresh project outside the
 * monorepo. The tarball's manifest points only at files it ships; the project's package.json pins
 * tRPC exactly; a strict consumer (`skipLibCheck: false`, types from the one bundled index.d.ts,
 * no server source) type-checks while every call the server would reject fails to compile; and
 * the consumer sends mail through a live stack (real Redis, worker and SMTP server), run with and
 * without `node --conditions=source`.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN, API_KEYS_JSON, startStack, USER_A, type TestStack } from "#test-support/stack.js";
import { startTestSmtp, type TestSmtpServer } from "#test-support/smtp.js";
import { cleanEnv } from "#test-support/processes.js";
import { pollUntil } from "#test-support/time.js";
import { npmPackLocked, ROOT, SDK_DIR } from "./support/build.js";
import { consumerMain, consumerTsconfig, errorLines, expectedErrorLines, MISUSE_SOURCE, withoutExpectations } from "./support/consumer.js";
import { readmeInstallInstructions, type InstallInstructions } from "./support/readme.js";

const run = promisify(execFile);
const DEAD_RECIPIENT = "dead@example.com";

interface Packed {
  filename: string;
  files: Array<{ path: string }>;
}

let stack: TestStack;
let smtp: TestSmtpServer;
let work: string;
let readme: InstallInstructions;
let tarball: string;
let packedFiles: string[];
let manifestBefore: Buffer;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "taskgate-sdk-"));
  readme = await readmeInstallInstructions();
  manifestBefore = await readFile(join(SDK_DIR, "package.json"));
  smtp = await startTestSmtp({ onRecipient: (address) => (address === DEAD_RECIPIENT ? { code: 550, message: "5.1.1 user unknown" } : undefined) });
  // The README's pack command as written, told where to put the tarball (not the repository's
  // root, which other work shares) and to say what it wrote.
  const pack = npmPackLocked([...readme.pack.slice(1), "--json", "--pack-destination", work], ROOT);
  const started = startStack({ env: { API_KEYS: API_KEYS_JSON, SMTP_URL: smtp.url } });
  const [{ stdout }] = await Promise.all([pack, started.then((running) => (stack = running))]);
  // Any output of the lifecycle scripts comes before the JSON report, which starts on a line of its own.
  const [packed] = JSON.parse(stdout.slice(stdout.search(/^\[$/m))) as Packed[];
  tarball = join(work, packed!.filename);
  packedFiles = packed!.files.map((file) => file.path);
}, 60_000);
afterAll(async () => {
  await stack?.close();
  await smtp?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

/** What `file` (a packed path) imports by relative path, and the source map it names. */
function relativeReferences(file: string, text: string): string[] {
  const specifiers = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)["'](\.{1,2}\/[^"']+)["']|sourceMappingURL=(\S+)/g)].map((match) => match[1] ?? match[2]!);
  const dir = file.split("/").slice(0, -1);
  return specifiers.map((specifier) => {
    const parts = [...dir];
    for (const part of specifier.split("/")) {
      if (part === "..") parts.pop();
      else if (part !== ".") parts.push(part);
    }
    return parts.join("/");
  });
}

/** Every file path a manifest names: export targets, `types`, `main`, `bin`. */
function manifestTargets(manifest: Record<string, unknown>): string[] {
  const leaves = (value: unknown): string[] =>
    typeof value === "string" ? [value] : typeof value === "object" && value !== null ? Object.values(value).flatMap(leaves) : [];
  return [manifest.exports, manifest.types, manifest.main, manifest.bin].flatMap(leaves).map((path) => path.replace(/^\.\//, ""));
}

async function tsc(project: string, config: string): Promise<string> {
  // The monorepo's TypeScript; the consumer's node_modules has no server and no workspace packages.
  const args = [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", join(project, config), "--pretty", "false"];
  return run(process.execPath, args, { cwd: project, env: cleanEnv() }).then(
    ({ stdout }) => stdout,
    (error: { stdout: string }) => error.stdout || String(error),
  );
}

describe("the packed SDK", () => {
  it("is packed by the README's command into a tarball whose manifest names only files it ships, leaving package.json as it was", async () => {
    expect(readme.pack.slice(0, 2)).toEqual(["npm", "pack"]);
    expect(packedFiles).toEqual(expect.arrayContaining(["package.json", "dist/index.js", "dist/index.d.ts", "dist/client.js", "dist/cli.js", "bin/taskgate-admin.mjs"]));
    expect(packedFiles.filter((file) => file.startsWith("src/") || file.startsWith("dist/types/") || file.startsWith("test/") || file.startsWith("scripts/"))).toEqual([]);
    expect(await readFile(join(SDK_DIR, "package.json"))).toEqual(manifestBefore);

    await run("tar", ["-xzf", tarball, "-C", work]);
    const manifest = JSON.parse(await readFile(join(work, "package/package.json"), "utf8")) as Record<string, unknown>;
    // No `source` condition: it names src/index.ts, which a user's `--conditions=source` would load.
    expect(JSON.stringify(manifest.exports)).not.toContain("source");
    expect(manifest).not.toHaveProperty("scripts");
    expect(manifest).not.toHaveProperty("devDependencies");
    expect(manifest.peerDependencies).toEqual({ "@trpc/client": "11.25.2", "@trpc/server": "11.25.2" });
    for (const target of manifestTargets(manifest)) expect(packedFiles, `package.json names ${target}`).toContain(target);
    for (const file of packedFiles.filter((path) => /\.(m?js|d\.ts)$/.test(path))) {
      const text = await readFile(join(work, "package", file), "utf8");
      for (const reference of relativeReferences(file, text)) expect(packedFiles, `${file} refers to ${reference}`).toContain(reference);
    }

    const types = await readFile(join(work, "package/dist/index.d.ts"), "utf8");
    const imports = [...types.matchAll(/from ['"]([^'"]+)['"]/g)].map((match) => match[1]);
    expect(new Set(imports)).toEqual(new Set(["@trpc/server"]));
    // Nothing else is referenced either: no inline import("…") types, no triple-slash references.
    expect(types).not.toMatch(/import\(["']|\/\/\/ <reference/);
  });

  it("restores the repository's package.json byte for byte when the pack fails after its prepack", async () => {
    const failed = await npmPackLocked(["pack", "--pack-destination", join(work, "no-such-dir")], SDK_DIR).then(
      () => false,
      () => true,
    );
    expect(failed).toBe(true);
    // npm skips postpack after a failed pack; the guard the prepack left restores it once npm has exited.
    await pollUntil(() => readFile(join(SDK_DIR, "package.json")), (now) => now.equals(manifestBefore), 10_000, 100);
    await expect(readFile(join(SDK_DIR, ".package.json.packing"))).rejects.toMatchObject({ code: "ENOENT" });
  }, 60_000);

  it("installs as the README says with tRPC pinned, rejects misuse at compile time, and sends mail with and without --conditions=source", async () => {
    const dead = await stack.request("POST", "/jobs/email", { key: USER_A.key, body: { to: DEAD_RECIPIENT, subject: "dies", text: "x" } });
    const { jobId: deadJobId } = (await dead.json()) as { jobId: string };

    const project = join(work, "consumer");
    await mkdir(project, { recursive: true });
    await writeFile(join(project, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
    // The README's install command word for word, the tarball where this test packed it. The
    // local npm cache serves the peers (npm settings, not words of the command, keep it quiet).
    const placeholder = readme.install.filter((word) => word.endsWith(".tgz"));
    expect(placeholder.map((word) => word.split("/").at(-1))).toEqual([tarball.split("/").at(-1)]);
    const server = JSON.parse(await readFile(join(ROOT, "server/package.json"), "utf8")) as { dependencies: Record<string, string> };
    const trpc = server.dependencies["@trpc/server"]!;
    expect(trpc).toMatch(/^\d+\.\d+\.\d+$/);
    expect(readme.install).toEqual(expect.arrayContaining([`@trpc/client@${trpc}`, `@trpc/server@${trpc}`]));
    const [npm, ...args] = readme.install.map((word) => (word.endsWith(".tgz") ? tarball : word));
    await run(npm!, args, {
      cwd: project,
      env: cleanEnv({ npm_config_prefer_offline: "true", npm_config_audit: "false", npm_config_fund: "false", npm_config_loglevel: "error" }),
    });
    const consumer = JSON.parse(await readFile(join(project, "package.json"), "utf8")) as { dependencies: Record<string, string> };
    // Exact versions, no `^`: tRPC's client and server must be the server's version.
    expect(consumer.dependencies).toEqual({ "@taskgate/client": expect.stringMatching(/^file:.*\.tgz$/), "@trpc/client": trpc, "@trpc/server": trpc });
    const installed = JSON.parse(await readFile(join(project, "node_modules/@taskgate/client/package.json"), "utf8")) as { version: string };
    expect(installed.version).toBe("0.1.0");

    // Every misuse is a compile error (an unused @ts-expect-error fails tsc) and the rest compiles…
    await writeFile(join(project, "main.ts"), consumerMain(stack.url, USER_A.key, ADMIN.key));
    await writeFile(join(project, "misuse.ts"), MISUSE_SOURCE);
    await writeFile(join(project, "tsconfig.json"), JSON.stringify(consumerTsconfig(["main.ts", "misuse.ts"], true)));
    expect(await tsc(project, "tsconfig.json")).toBe("");
    // …and each error is the misuse's own: without the directives, tsc fails on exactly those lines.
    await writeFile(join(project, "bare.ts"), withoutExpectations(MISUSE_SOURCE));
    await writeFile(join(project, "tsconfig.bare.json"), JSON.stringify(consumerTsconfig(["bare.ts"], false)));
    const bare = await tsc(project, "tsconfig.bare.json");
    const expected = expectedErrorLines(MISUSE_SOURCE);
    expect(expected.length, "the misuse file is not vacuous").toBeGreaterThan(10);
    expect(errorLines(bare, "bare.ts")).toEqual(expected);
    expect(bare.split("\n").filter((line) => /: error TS/.test(line) && !line.startsWith("bare.ts("))).toEqual([]);

    await pollUntil(() => stack.api.deps.queues.email.getJobState(deadJobId), (state) => state === "failed", 15_000);
    for (const conditions of [[], ["--conditions=source"]]) {
      const { stdout } = await run(process.execPath, [...conditions, join(project, "out/main.js")], { cwd: project, env: cleanEnv() });
      const result = JSON.parse(stdout) as Record<string, unknown>;
      expect(result, conditions.join(" ")).toMatchObject({ createdAtIsDate: true, deadTotal: 1, refused: "FORBIDDEN 403" });
      expect(["waiting", "active", "completed"]).toContain(result.state);
      expect(result.deadReason).toMatch(/^recipient rejected: 550/);
      await pollUntil(async () => smtp.received.some((mail) => mail.parsed.subject === result.subject), Boolean, 15_000);
      const mail = smtp.received.find((received) => received.parsed.subject === result.subject)!;
      expect(mail.envelopeTo).toEqual(["consumer@example.com"]);
      expect(mail.parsed.text?.trim()).toBe("Hello");
    }

    // The installed bin runs the built CLI.
    const bin = await run(join(project, "node_modules/.bin/taskgate-admin"), ["queues", "--json"], {
      cwd: project,
      env: cleanEnv({ TASKGATE_URL: stack.url, TASKGATE_API_KEY: ADMIN.key }),
    });
    expect((JSON.parse(bin.stdout) as { queues: Array<{ name: string }> }).queues[0]!.name).toBe("email");
  }, 60_000);
});
