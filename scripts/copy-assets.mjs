// Copies the Lua files (scripts and the pieces they `--- @include`, in any subfolder) next to the
// compiled JS (`npm run build`): tsc copies only TypeScript.
import { cpSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

function walk(dir, found = []) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, found);
    else if (name.endsWith(".lua")) found.push(path);
  }
  return found;
}

for (const pkg of ["shared", "server", "worker"]) {
  for (const file of walk(join(pkg, "src"))) cpSync(file, file.replace(`${pkg}/src/`, `${pkg}/dist/`));
}
