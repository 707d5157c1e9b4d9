// The TTL cap and expiry as a careless or hostile caller meets them: a zero or negative TTL is
// refused with the value named, and an expiry is exactly the TTL after its start (a wrong sign or
// unit would hand out a clone that never expires, or one already dead).
import { describe, expect, it } from "vitest";
import { capTtl, expiryFrom } from "../../../packages/core/src/clones/ttl.js";

describe("TTL gate", () => {
  it("refuses a TTL that is not positive and says which value it got", () => {
    expect(() => capTtl(-5, 3600)).toThrow("ttl must be greater than zero seconds, got -5");
    expect(() => capTtl(Number.NaN, undefined)).toThrow("ttl must be greater than zero seconds, got NaN");
  });

  it("an expiry is the capped TTL after the start, to the second", () => {
    const from = new Date("2026-01-01T00:00:00.000Z");
    expect(expiryFrom(capTtl(7 * 86400, 3600), from)).toBe("2026-01-01T01:00:00.000Z");
    expect(expiryFrom(90, from)).toBe("2026-01-01T00:01:30.000Z");
    expect(expiryFrom(undefined, from)).toBeUndefined();
  });
});
