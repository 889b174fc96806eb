import { describe, expect, it } from "vitest";
import { canonicalIp } from "@taskgate/shared";

describe("canonicalIp", () => {
  it.each([
    ["::1", "::1"],
    ["0:0:0:0:0:0:0:1", "::1"],
    ["2001:DB8:0:0:0:0:0:1", "2001:db8::1"],
    ["2001:db8::0:1", "2001:db8::1"],
    ["::ffff:127.0.0.1", "127.0.0.1"],
    ["::FFFF:7f00:1", "127.0.0.1"],
    ["127.0.0.1", "127.0.0.1"],
  ])("writes %s as %s", (address, canonical) => {
    expect(canonicalIp(address)).toBe(canonical);
  });

  it("gives back text that is not an address as it is", () => {
    expect(canonicalIp("unknown")).toBe("unknown");
    expect(canonicalIp("not:an:address")).toBe("not:an:address");
  });
});
