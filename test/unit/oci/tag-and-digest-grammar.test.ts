// A registry's tags and digests are data from outside: a tag list or a descriptor naming a tag or
// digest outside the OCI grammar (a path, an empty string, a prefix or suffix around a valid one)
// is refused, so it never reaches a URL, a file name or a log line as it came.
import { describe, expect, it } from "vitest";
import { isValidDigest, isValidTag } from "../../../packages/core/src/repository/oci/descriptor.js";

const HEX = "0123456789abcdef".repeat(4);

describe("the OCI tag grammar", () => {
  it("accepts tags of 1 to 128 characters that start with a letter, digit or underscore", () => {
    for (const tag of ["v1", "1.0.0", "_x", "latest", "a-b_c.d", "a".repeat(128)]) expect(isValidTag(tag), tag).toBe(true);
  });

  it("refuses paths, empty tags, a leading dot or dash, other characters, and tags past 128 characters", () => {
    for (const tag of ["", ".hidden", "-x", "../etc", "x/y", "v1 ", " v1", "v1\n", "v1:2", "a".repeat(129), "é"])
      expect(isValidTag(tag), JSON.stringify(tag)).toBe(false);
  });
});

describe("the digest grammar", () => {
  it("accepts only sha256: and 64 lowercase hex digits, nothing before or after", () => {
    expect(isValidDigest(`sha256:${HEX}`)).toBe(true);
    for (const d of [`xsha256:${HEX}`, `/sha256:${HEX}`, `sha256:${HEX}0`, `sha256:${HEX.toUpperCase()}`, `sha512:${HEX}`, "", null, undefined]) {
      expect(isValidDigest(d), String(d)).toBe(false);
    }
  });
});
