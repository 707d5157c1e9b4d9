// gc sweeps only work dirs its pattern names: a killed multi-variant build's shared staging
// (`variants-<hex>`, the unmasked restore) must be one of them, beside builds and promotions.
import { describe, expect, it } from "vitest";
import { BUILD_DIR_PATTERN } from "../../../packages/core/src/util/build-record.js";

describe("the work dirs gc sweeps after a killed build", () => {
  it("names builds, a multi-variant build's shared staging and promotions, and nothing else", () => {
    for (const dir of ["build-0123456789", "variants-abcdef0123", "promote-00ff00ff00"]) expect(BUILD_DIR_PATTERN.test(dir)).toBe(true);
    for (const dir of ["variants-xyz", "other-0123456789", "build-0123456789/..", "variants-0123456789a"]) expect(BUILD_DIR_PATTERN.test(dir)).toBe(false);
  });
});
