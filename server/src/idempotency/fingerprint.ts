/**
 * Request fingerprints for idempotency: the same validated body always hashes the same, so a
 * retried request is recognised however its JSON was written.
 */
import { sha256Hex } from "@taskgate/shared";

/**
 * The canonical JSON of a value: what `JSON.stringify` gives (Dates as ISO strings through
 * `toJSON`, `undefined`/function/symbol members dropped, `null` in arrays), with object keys
 * sorted by UTF-16 code units at every depth. For plain JSON data this is the RFC 8785 (JCS)
 * form. Throws a TypeError on cycles and BigInts, as `JSON.stringify` does.
 */
export function canonicalJson(value: unknown): string {
  const out = serialize(value, "", new Set());
  // Only a top-level undefined/function/symbol has no JSON form; hash it as null rather than
  // let the literal "undefined" collide with nothing meaningful.
  return out ?? "null";
}

/** SHA-256 hex (64 characters) of the canonical JSON of a validated request body. */
export function fingerprint(body: unknown): string {
  return sha256Hex(canonicalJson(body));
}

function serialize(input: unknown, key: string, ancestors: Set<object>): string | undefined {
  let value = input;
  // Honour toJSON like JSON.stringify does, which is what turns Dates into ISO strings.
  if (typeof value === "object" && value !== null && typeof (value as { toJSON?: unknown }).toJSON === "function") {
    value = (value as { toJSON(key: string): unknown }).toJSON(key);
  }
  switch (typeof value) {
    case "string":
    case "number":
    case "boolean":
      return JSON.stringify(value);
    case "bigint":
      throw new TypeError("fingerprint: BigInt has no JSON form");
    case "undefined":
    case "function":
    case "symbol":
      return undefined;
  }
  if (value === null) return "null";
  const object = value as object;
  if (ancestors.has(object)) throw new TypeError("fingerprint: cyclic structure");
  ancestors.add(object);
  try {
    if (Array.isArray(object)) {
      return `[${object.map((item, index) => serialize(item, String(index), ancestors) ?? "null").join(",")}]`;
    }
    const members: string[] = [];
    const record = object as Record<string, unknown>;
    for (const name of Object.keys(record).sort()) {
      const member = serialize(record[name], name, ancestors);
      if (member !== undefined) members.push(`${JSON.stringify(name)}:${member}`);
    }
    return `{${members.join(",")}}`;
  } finally {
    ancestors.delete(object);
  }
}
