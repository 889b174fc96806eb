/**
 * The Dockerfile and docker-compose.yml, read as files (no Docker engine on the test machines):
 * node is PID 1 so `docker stop` reaches the drain, nothing is published on every interface,
 * and the runtime user owns what it writes.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { REPO_ROOT } from "#test-support/buildLock.js";

const dockerfile = readFileSync(join(REPO_ROOT, "Dockerfile"), "utf8");
interface ComposeService {
  command?: string[] | string;
  ports?: Array<string | { host_ip?: string; published?: string | number }>;
}
const compose = parse(readFileSync(join(REPO_ROOT, "docker-compose.yml"), "utf8")) as { services: Record<string, ComposeService> };

/** The final stage's instructions: every line after the last FROM, continuations joined. */
function finalStage(): string[] {
  const lines = dockerfile.replace(/\\\n/g, " ").split("\n").map((line) => line.trim()).filter((line) => line && !line.startsWith("#"));
  const from = lines.findLastIndex((line) => /^FROM\s/i.test(line));
  return lines.slice(from);
}

const argv = (command: string[] | string | undefined) => (Array.isArray(command) ? command : (command ?? "").split(/\s+/));

describe("Dockerfile", () => {
  it("runs node itself as PID 1, in exec form, never npm or a shell", () => {
    const cmd = finalStage().filter((line) => /^(CMD|ENTRYPOINT)\s/i.test(line));
    expect(cmd).toHaveLength(1);
    const [, json] = /^CMD\s+(\[.*\])$/i.exec(cmd[0]!) ?? [];
    expect(json, "CMD in exec (JSON) form, so no shell sits between docker and node").toBeDefined();
    expect(JSON.parse(json!)).toEqual(["node", "server/dist/main.js"]);
  });

  it("runs as a non-root user that owns the data folder, while the code stays root's", () => {
    const stage = finalStage();
    const user = stage.findLastIndex((line) => /^USER\s+node$/i.test(line));
    expect(user).toBeGreaterThan(0);
    const chown = stage.findIndex((line) => /chown\s+(-R\s+)?node(:node)?\s+\/app\/\.data\b/.test(line));
    expect(chown, "the outbox's folder belongs to the runtime user").toBeGreaterThan(0);
    expect(chown).toBeLessThan(user);
    expect(stage.some((line) => /--chown=node/.test(line) && /\s\/app\/?$/.test(line)), "the code is not handed to the runtime user").toBe(false);
  });
});

describe("docker-compose.yml", () => {
  it("starts every Taskgate service with node, not npm", () => {
    for (const name of ["api", "worker"]) {
      const command = argv(compose.services[name]?.command);
      expect(command[0], name).toBe("node");
      expect(command.join(" "), name).not.toMatch(/\bnpm\b/);
    }
  });

  it("publishes no port on every interface, and never the catcher's SMTP port", () => {
    const published = Object.entries(compose.services).flatMap(([name, service]) => (service.ports ?? []).map((port) => ({ name, port })));
    expect(published.length).toBeGreaterThan(0);
    for (const { name, port } of published) {
      if (typeof port === "string") expect(port, `${name}: ${port}`).toMatch(/^127\.0\.0\.1:/);
      else expect(port.host_ip, name).toBe("127.0.0.1");
    }
    expect(published.filter(({ name }) => name === "mail").map(({ port }) => String(port))).not.toContainEqual(expect.stringMatching(/:1025$/));
  });
});
