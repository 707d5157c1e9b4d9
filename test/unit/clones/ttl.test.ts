import { describe, expect, it } from "vitest";
import { UsageError } from "../../../packages/core/src/errors.js";
import { capTtl, expiryFrom, formatDuration, isExpired, parseDuration } from "../../../packages/core/src/clones/ttl.js";

describe("parseDuration", () => {
  it.each([
    ["90s", 90],
    ["30m", 1800],
    ["2h", 7200],
    ["1d", 86400],
    ["1h30m", 5400],
    ["1d2h3m4s", 93784],
    [" 2H ", 7200],
    ["3600", 3600],
  ])("reads %s as %i seconds", (input, seconds) => {
    expect(parseDuration(input)).toBe(seconds);
  });

  it("reads decimals as the one duration grammar does: 1.5 seconds, 1.5h", () => {
    expect(parseDuration("1.5")).toBe(1.5);
    expect(parseDuration("1.5h")).toBe(5400);
  });

  it.each(["", "0", "0m", "2x", "h", "1h1h", "30m1h", "-5m", "1h 30m", "2hh", "1.h"])("refuses %j with a UsageError that shows examples", (input) => {
    let caught: unknown;
    try {
      parseDuration(input);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(UsageError);
    expect((caught as UsageError).exitCode).toBe(2);
    expect((caught as Error).message).toMatch(/is not a duration: .*\(e\.g\. 90s, 1\.5, 30m, 2h, 1h30m, 1d\)/);
  });

  it("formats seconds back into the same notation", () => {
    expect(formatDuration(5400)).toBe("1h30m");
    expect(formatDuration(93784)).toBe("1d2h3m4s");
    expect(parseDuration(formatDuration(93784))).toBe(93784);
  });
});

describe("capTtl", () => {
  it("keeps a request under the cap, cuts one over it, and defaults to the cap", () => {
    expect(capTtl(600, 3600)).toBe(600);
    expect(capTtl(7200, 3600)).toBe(3600);
    expect(capTtl(undefined, 3600)).toBe(3600);
    expect(capTtl(7200, undefined)).toBe(7200);
    expect(capTtl(undefined, undefined)).toBeUndefined();
    expect(capTtl(7200, 0)).toBe(7200);
    expect(() => capTtl(0, 3600)).toThrow(UsageError);
  });
});

describe("isExpired", () => {
  const now = new Date("2026-01-01T12:00:00Z");
  it("is true only once expiresAt has passed, and never without one", () => {
    expect(isExpired({ expiresAt: "2026-01-01T11:59:59Z" }, now)).toBe(true);
    expect(isExpired({ expiresAt: "2026-01-01T12:00:00Z" }, now)).toBe(true);
    expect(isExpired({ expiresAt: "2026-01-01T12:00:01Z" }, now)).toBe(false);
    expect(isExpired({}, now)).toBe(false);
    expect(isExpired({ expiresAt: expiryFrom(60, now) }, new Date(now.getTime() + 61_000))).toBe(true);
  });
});
