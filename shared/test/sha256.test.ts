/** The one-shot SHA-256 helpers give the standard digests (FIPS 180-2 test vectors) of UTF-8 text. */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { sha256Bytes, sha256Hex } from "../src/sha256.js";

describe("sha256", () => {
  it("hashes the FIPS 180-2 vectors", () => {
    expect(sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(sha256Hex("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(sha256Bytes("abc").toString("hex")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(sha256Bytes("abc")).toHaveLength(32);
  });

  it("hashes strings as their UTF-8 bytes", () => {
    // "é" is c3 a9 in UTF-8 (and e9 in Latin-1, which must not be what is hashed).
    expect(sha256Hex("é")).toBe(createHash("sha256").update(Buffer.from([0xc3, 0xa9])).digest("hex"));
    expect(sha256Hex("é")).not.toBe(createHash("sha256").update(Buffer.from([0xe9])).digest("hex"));
  });
});
