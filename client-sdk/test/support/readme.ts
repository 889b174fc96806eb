/**
 * The SDK's install instructions as the monorepo README gives them (section "Client SDK and admin
 * CLI"), so the packed-SDK test runs exactly what a user is told to run.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ROOT } from "./build.js";

const SECTION = "## Client SDK and admin CLI";

/** The README's `npm pack` and `npm install` commands, each split into words. */
export interface InstallInstructions {
  /** Run in the repository's root: packs the SDK into a tarball. */
  pack: string[];
  /** Run in the user's project; its one `.tgz` word is where the tarball is. */
  install: string[];
}

/** Reads the commands out of the README's `sh` blocks; throws unless there is exactly one of each. */
export async function readmeInstallInstructions(): Promise<InstallInstructions> {
  const readme = await readFile(join(ROOT, "README.md"), "utf8");
  const start = readme.indexOf(SECTION);
  if (start < 0) throw new Error(`README.md has no "${SECTION}" section`);
  const end = readme.indexOf("\n## ", start + SECTION.length);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const commands = [...section.matchAll(/```sh\n([\s\S]*?)```/g)]
    .flatMap((block) => block[1]!.split("\n"))
    // A trailing `# …` is a comment to the reader, not part of the command.
    .map((line) => line.replace(/\s+#.*$/, "").trim())
    .filter((line) => line.startsWith("npm "))
    .map((line) => line.split(/\s+/));
  const only = (verb: string): string[] => {
    const found = commands.filter((words) => words[1] === verb);
    if (found.length !== 1) throw new Error(`expected one \`npm ${verb}\` in the README's "${SECTION}" section, found ${found.length}`);
    return found[0]!;
  };
  return { pack: only("pack"), install: only("install") };
}
