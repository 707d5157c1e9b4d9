import { describe, expect, it } from "vitest";
import { VERSION_PATTERN } from "../../../packages/core/src/image/manifest.js";
import { resolveVersion } from "../../../actions/build-image/src/version.js";

describe("build-image version", () => {
  const now = new Date("2026-11-27T05:15:00Z");

  it("auto → UTC time plus the run number, a valid version", () => {
    const v = resolveVersion("auto", { GITHUB_RUN_NUMBER: "42" }, now);
    expect(v).toBe("20261127-051500-run42");
    expect(v).toMatch(VERSION_PATTERN);
  });

  it("auto outside a runner → the UTC time alone", () => {
    expect(resolveVersion(undefined, {}, now)).toBe("20261127-051500");
  });

  it("keeps an explicit version as given", () => {
    expect(resolveVersion("v1.2.0", { GITHUB_RUN_NUMBER: "42" }, now)).toBe("v1.2.0");
  });
});
