/**
 * superjson, with one guard on the way in: an input holding the key `__proto__` is refused
 * (400 naming where) instead of being dropped silently by superjson, so tRPC answers what REST
 * answers for `{"headers": {"__proto__": …}}`. The wire format is superjson's, unchanged.
 */
import { TRPCError } from "@trpc/server";
import superjson from "superjson";
import { ValidationError } from "../errors/appErrors.js";

/** Dotted path of the first own `__proto__` key in a parsed JSON value, if there is one. */
export function protoKeyPath(value: unknown, path: string[] = []): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  if (Object.hasOwn(value, "__proto__")) return [...path, "__proto__"].join(".");
  for (const [key, inner] of Object.entries(value)) {
    const found = protoKeyPath(inner, [...path, key]);
    if (found !== undefined) return found;
  }
  return undefined;
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
