import { describe, expect, it } from "vitest";
import { protoKeyPath, transformer } from "../../src/trpc/transformer.js";

/** `{"a":{"a":…{"a": leaf}}}`, `depth` levels, parsed as the wire would give it. */
function nested(depth: number, leaf: string): unknown {
  return JSON.parse(`${'{"a":'.repeat(depth)}${leaf}${"}".repeat(depth)}`);
}

describe("protoKeyPath", () => {
  it("finds an own __proto__ key and names where it is", () => {
    expect(protoKeyPath(JSON.parse('{"to":"x","headers":{"ok":1,"__proto__":{"polluted":true}}}'))).toBe("headers.__proto__");
    expect(protoKeyPath(JSON.parse('[{"a":1},{"b":{"__proto__":1}}]'))).toBe("1.b.__proto__");
    expect(protoKeyPath({ a: { b: [1, 2, { c: "d" }] } })).toBeUndefined();
  });

  it("reports the first one in key order, depth first, as a recursive walk would", () => {
    expect(protoKeyPath(JSON.parse('{"x":{"y":{"__proto__":1}},"z":{"__proto__":2}}'))).toBe("x.y.__proto__");
  });

  it("walks 50 000 levels deep without overflowing the call stack", () => {
    const found = protoKeyPath(nested(50_000, '{"__proto__":1}'));
    expect(found?.split(".")).toHaveLength(50_001);
    expect(found?.endsWith("a.a.__proto__")).toBe(true);
    expect(protoKeyPath(nested(50_000, "1"))).toBeUndefined();
  });

  it("is what the input transformer refuses, with the path inside the envelope's json", () => {
    const refusal = (() => {
      try {
        transformer.input.deserialize({ json: JSON.parse('{"metadata":{"__proto__":{}}}') });
      } catch (error) {
        return error as { code?: string; cause?: { issues?: unknown } };
      }
      return undefined;
    })();
    expect(refusal?.code).toBe("BAD_REQUEST");
    expect(refusal?.cause).toMatchObject({ issues: [{ path: "metadata.__proto__" }] });
    expect(transformer.input.deserialize({ json: { to: "a@example.com" } })).toEqual({ to: "a@example.com" });
  });
});
