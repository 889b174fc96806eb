/**
 * zod → JSON Schema (2020-12, the dialect of OpenAPI 3.1) for the document: `z.toJSONSchema`
 * with dates written as the ISO 8601 strings REST clients see.
 */
import { z, type ZodType } from "zod";

/** A JSON Schema object, as plain data. */
export type JsonSchema = Record<string, unknown>;

/**
 * JSON Schema of `schema` as a REST client sees it: `input` for what it may send (defaults
 * make fields optional, coercions show their input), `output` for what it gets back.
 */
export function jsonSchemaOf(schema: ZodType, io: "input" | "output"): JsonSchema {
  const generated = z.toJSONSchema(schema, {
    io,
    // Refinements and transforms cannot be expressed; the document describes what they check.
    unrepresentable: "any",
    override: (ctx) => {
      // REST bodies carry dates as ISO 8601 strings (tRPC carries them as Dates via superjson).
      if ((ctx.zodSchema as { _zod?: { def?: { type?: string } } })._zod?.def?.type === "date") {
        ctx.jsonSchema.type = "string";
        ctx.jsonSchema.format = "date-time";
      }
    },
  }) as JsonSchema;
  delete generated.$schema;
  if ("$defs" in generated) throw new Error("a schema with $defs (a recursive or shared schema) needs components of its own");
  // Responses may gain fields (a client must ignore what it does not know), so they are not closed.
  return io === "output" ? openObjects(generated) : generated;
}

function openObjects(schema: unknown): JsonSchema {
  if (Array.isArray(schema)) return schema.map(openObjects) as unknown as JsonSchema;
  if (typeof schema !== "object" || schema === null) return schema as JsonSchema;
  const copy: JsonSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === "additionalProperties" && value === false) continue;
    copy[key] = openObjects(value);
  }
  return copy;
}

/** The schema without some of its top-level properties (those taken from the path, or fixed). */
export function withoutProperties(schema: JsonSchema, names: readonly string[]): JsonSchema {
  const properties = { ...(schema.properties as Record<string, JsonSchema> | undefined) };
  for (const name of names) delete properties[name];
  const required = ((schema.required as string[] | undefined) ?? []).filter((name) => !names.includes(name));
  const copy: JsonSchema = { ...schema, properties };
  if (required.length > 0) copy.required = required;
  else delete copy.required;
  return copy;
}
