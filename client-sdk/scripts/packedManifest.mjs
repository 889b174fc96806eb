// The package.json a packed @taskgate/client ships: the repository's, without what only the
// monorepo uses and the tarball cannot back.

/** The export condition the monorepo resolves to TypeScript sources (`src/`, which is not packed). */
export const SOURCE_CONDITION = "source";

/**
 * `manifest` without the `source` export condition (a consumer running `node --conditions=source`
 * would otherwise load `./src/index.ts` and fail with ERR_MODULE_NOT_FOUND), without `scripts`
 * (they build with tools and files the tarball lacks; an installed package runs none) and without
 * `devDependencies` (workspace packages that are not published).
 *
 * @param {Record<string, unknown>} manifest the repository's package.json, parsed
 * @returns {Record<string, unknown>}
 */
export function packedManifest(manifest) {
  const { scripts: _scripts, devDependencies: _devDependencies, ...shipped } = manifest;
  if (shipped.exports !== undefined) shipped.exports = withoutCondition(shipped.exports, SOURCE_CONDITION);
  return shipped;
}

/** `exports` with `condition` removed at every level (conditions may nest). */
function withoutCondition(exports, condition) {
  if (Array.isArray(exports)) return exports.map((entry) => withoutCondition(entry, condition));
  if (typeof exports !== "object" || exports === null) return exports;
  return Object.fromEntries(
    Object.entries(exports)
      .filter(([key]) => key !== condition)
      .map(([key, value]) => [key, withoutCondition(value, condition)]),
  );
}
