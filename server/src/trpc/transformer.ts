/**
 * superjson, with one guard on the way in: an input holding the key `__proto__` is refused
 * (400 naming where) instead of being dropped silently by superjson, so tRPC answers what REST
 * answers for `{"headers": {"__proto__": …}}`. The wire format is superjson's, unchanged.
 */
import { TRPCError } from "@trpc/server";
import superjson from "superjson";
import { ValidationError } from "../errors/appErrors.js";

/** One value met on the walk, with the key it was under and where that was. */
interface Visit {
  value: unknown;
  key: string;
  parent: Visit | undefined;
}

/**
 * Dotted path of the first own `__proto__` key in a parsed JSON value (depth first, in key
 * order), if there is one. A loop with its own stack, not recursion: a body of 100 kB can nest
 * 50 000 levels deep, which would overflow the call stack; and the path is built only when found,
 * so the walk stays linear in the value's size however deep it nests.
 */
export function protoKeyPath(root: unknown): string | undefined {
  const pending: Visit[] = [{ value: root, key: "", parent: undefined }];
  for (let visit = pending.pop(); visit !== undefined; visit = pending.pop()) {
    const { value } = visit;
    if (typeof value !== "object" || value === null) continue;
    if (Object.hasOwn(value, "__proto__")) return [...keysTo(visit), "__proto__"].join(".");
    const entries = Object.entries(value);
    // Pushed last to first, so the first key is walked first.
    for (let i = entries.length - 1; i >= 0; i--) pending.push({ value: entries[i]![1], key: entries[i]![0], parent: visit });
  }
  return undefined;
}

/** The keys from the root down to `visit`. */
function keysTo(visit: Visit): string[] {
  const keys: string[] = [];
  for (let at: Visit | undefined = visit; at?.parent !== undefined; at = at.parent) keys.push(at.key);
  return keys.reverse();
}

export const transformer = {
  input: {
    serialize: (value: unknown) => superjson.serialize(value),
    deserialize: (value: unknown) => {
      // superjson's envelope is `{ json, meta? }`; the path is reported inside `json`.
      const found = protoKeyPath((value as { json?: unknown } | null)?.json);
      if (found !== undefined) {
        const error = new ValidationError([{ path: found, message: "'__proto__' may not be used as a key" }]);
        throw new TRPCError({ code: "BAD_REQUEST", message: error.message, cause: error });
      }
      return superjson.deserialize(value as Parameters<typeof superjson.deserialize>[0]);
    },
  },
  output: superjson,
};
