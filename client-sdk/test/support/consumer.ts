/**
 * The files of the project that consumes the packed SDK in packed.test.ts: its tsconfig, a
 * program that sends a mail through a live API, and a file of calls the server would reject,
 * each of which must be a compile error.
 */

/** A strict consumer that type-checks the SDK's bundled declarations too (`skipLibCheck: false`). */
export function consumerTsconfig(include: string[], emit: boolean): object {
  return {
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
      ...(emit ? { outDir: "out" } : { noEmit: true }),
    },
    include,
  };
}

/** A program that sends a mail and reads it back, printing what it saw as one line of JSON. */
export function consumerMain(url: string, userKey: string, adminKey: string): string {
  return `import { createClient, TaskgateError, type EnqueueResult, type JobStatus } from "@taskgate/client";

const baseUrl = ${JSON.stringify(url)};
const client = createClient({ baseUrl, apiKey: ${JSON.stringify(userKey)} });
// A subject of its own per run, so the test finds this run's mail.
const subject = "From the packed SDK " + crypto.randomUUID();
const created: EnqueueResult = await client.jobs.email.create({ to: "consumer@example.com", subject, text: "Hello" });
const status: JobStatus = await client.jobs.status({ queue: "email", jobId: created.jobId });
const createdAt: Date = status.createdAt;

const admin = createClient({ baseUrl, apiKey: ${JSON.stringify(adminKey)} });
const dead = await admin.deadJobs.list({ queue: "email", limit: 10 });
let refused = "";
try {
  await client.deadJobs.list({ queue: "email" });
} catch (error) {
  if (error instanceof TaskgateError) refused = error.code + " " + error.status;
}
console.log(JSON.stringify({
  subject,
  jobId: created.jobId,
  state: status.state,
  createdAtIsDate: createdAt instanceof Date,
  deadTotal: dead.total,
  deadReason: dead.jobs[0]?.failedReason ?? null,
  refused,
}));
`;
}

const EXPECT_ERROR = "// @ts-expect-error";

/**
 * Calls the server rejects, each on the line after a `@ts-expect-error` (so tsc fails if one of
 * them compiles), next to the valid calls they differ from (which must compile). Never run.
 */
export const MISUSE_SOURCE = `import { createClient } from "@taskgate/client";

const client = createClient({ baseUrl: "http://127.0.0.1:1" });
const mail = { to: "ada@example.com", subject: "Hi" };
const someQueue: string = "email";

export function calls(): void {
  void client.jobs.email.create({ ...mail, text: "Hello" });
  void client.jobs.email.create({ ...mail, html: "<p>Hello</p>" });
  void client.jobs.email.create({ ...mail, text: "Hello", html: "<p>Hello</p>" });
  ${EXPECT_ERROR} subject is required
  void client.jobs.email.create({ to: "ada@example.com", text: "no subject" });
  ${EXPECT_ERROR} one of text or html is required
  void client.jobs.email.create({ ...mail });

  void client.jobs.email.schedule({ ...mail, text: "Hello", sendAt: new Date(Date.now() + 60_000) });
  void client.jobs.email.schedule({ ...mail, text: "Hello", sendAt: "2030-01-01T00:00:00Z" });
  void client.jobs.email.schedule({ ...mail, html: "<p>Hello</p>", delayMs: 60_000 });
  ${EXPECT_ERROR} neither sendAt nor delayMs
  void client.jobs.email.schedule({ ...mail, text: "Hello" });
  ${EXPECT_ERROR} both sendAt and delayMs
  void client.jobs.email.schedule({ ...mail, text: "Hello", sendAt: new Date(Date.now() + 60_000), delayMs: 60_000 });
  ${EXPECT_ERROR} one of text or html is required
  void client.jobs.email.schedule({ ...mail, delayMs: 60_000 });

  void client.jobs.status({ queue: "email", jobId: "1" });
  ${EXPECT_ERROR} not a queue name
  void client.jobs.status({ queue: "sms", jobId: "1" });
  ${EXPECT_ERROR} any string is not a queue name
  void client.jobs.status({ queue: someQueue, jobId: "1" });

  void client.deadJobs.list({ queue: "email", limit: 10 });
  ${EXPECT_ERROR} not a queue name
  void client.deadJobs.list({ queue: "sms" });
  ${EXPECT_ERROR} limit is a number
  void client.deadJobs.list({ queue: "email", limit: "10" });
  void client.deadJobs.get({ queue: "email", jobId: "1" });
  ${EXPECT_ERROR} not a queue name
  void client.deadJobs.get({ queue: "sms", jobId: "1" });
  void client.deadJobs.retry({ queue: "email", jobId: "1" });
  ${EXPECT_ERROR} not a queue name
  void client.deadJobs.retry({ queue: "sms", jobId: "1" });
  void client.deadJobs.retryAll({ queue: "email", jobIds: ["1"] });
  ${EXPECT_ERROR} not a queue name
  void client.deadJobs.retryAll({ queue: someQueue });
  void client.deadJobs.delete({ queue: "email", jobId: "1" });
  ${EXPECT_ERROR} not a queue name
  void client.deadJobs.delete({ queue: "sms", jobId: "1" });

  void client.monitoring.blocked();
  void client.monitoring.blocked({ limit: 10, since: "2030-01-01T00:00:00Z", until: Date.now() });
  ${EXPECT_ERROR} limit is a number
  void client.monitoring.blocked({ limit: "10" });
}
`;

/** Lines (1-based) that a `@ts-expect-error` says must not compile. */
export function expectedErrorLines(source: string): number[] {
  return source
    .split("\n")
    .flatMap((line, index) => (line.trim().startsWith(EXPECT_ERROR) ? [index + 2] : []));
}

/** The source with its `@ts-expect-error` directives made plain comments, lines kept where they were. */
export function withoutExpectations(source: string): string {
  return source.replaceAll(EXPECT_ERROR, "// expected error:");
}

/** The lines (1-based) tsc reports errors on in `file`, from its `--pretty false` output. */
export function errorLines(tscOutput: string, file: string): number[] {
  const lines = [...tscOutput.matchAll(/^(.+?)\((\d+),\d+\): error TS\d+/gm)].filter((match) => match[1]!.endsWith(file)).map((match) => Number(match[2]));
  return [...new Set(lines)].sort((a, b) => a - b);
}
