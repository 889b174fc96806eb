// Sets the repository's client-sdk/package.json aside while a pack runs and puts it back byte for
// byte. The backup records which npm process set it aside, so a guard only ever restores its own.
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

/** The package's manifest. */
export const MANIFEST = fileURLToPath(new URL("../package.json", import.meta.url));
/** Where the repository's manifest waits during a pack: `{ owner, original }` (base64 bytes). Not in `files`, so never packed. */
export const BACKUP = fileURLToPath(new URL("../.package.json.packing", import.meta.url));

/** Replaces `path` in one step, so no reader (npm, tsc, another test) ever sees half a file. */
async function writeAtomically(path, data) {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, data);
  await rename(temporary, path);
}

/**
 * The manifest set aside by a pack, if one is.
 *
 * @returns {Promise<{ owner: number | null, original: Buffer } | undefined>}
 */
export async function readBackup() {
  let text;
  try {
    text = await readFile(BACKUP, "utf8");
  } catch (error) {
    if (error.code === "ENOENT") return undefined;
    throw error;
  }
  const { owner, original } = JSON.parse(text);
  return { owner, original: Buffer.from(original, "base64") };
}

/**
 * Sets the manifest aside for the pack run by process `owner` and writes `transform(original)` in
 * its place. The backup is written first, so a failure in between leaves something to restore.
 *
 * @param {number | null} owner pid of the npm process that packs; null when unknown
 * @param {(original: Buffer) => string} transform
 */
export async function swapIn(owner, transform) {
  const original = await readFile(MANIFEST);
  await writeAtomically(BACKUP, JSON.stringify({ owner, original: original.toString("base64") }));
  await writeAtomically(MANIFEST, transform(original));
}

/**
 * Puts the set-aside manifest back and removes the backup; with `owner`, only that pack's.
 *
 * @param {number} [owner]
 * @returns {Promise<boolean>} whether there was one to put back
 */
export async function restore(owner) {
  const backup = await readBackup();
  if (!backup || (owner !== undefined && backup.owner !== owner)) return false;
  await writeAtomically(MANIFEST, backup.original);
  await rm(BACKUP, { force: true });
  return true;
}
