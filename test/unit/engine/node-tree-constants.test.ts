import { describe, expect, it } from "vitest";
import { nodeTreeConstants } from "../../../packages/core/src/engine/postgres/masking/node-tree-constants.js";

// outfuncs.c's text of `WHERE email = 'é@x'` (a 4-byte varlena header, then UTF-8; bytes ≥ 128
// printed as signed chars), a by-value int4 constant and a NULL constant.
const TREE =
  "({OPEXPR :opno 98 :args ({VAR :varno 1 :varattno 2} {CONST :consttype 25 :constlen -1 :constbyval false :constisnull false :location 40 :constvalue 8 [ 32 0 0 0 -61 -87 64 120 ]}" +
  " {CONST :consttype 23 :constlen 4 :constbyval true :constisnull false :location 50 :constvalue 4 [ 42 0 0 0 0 0 0 0 ]}" +
  " {CONST :consttype 25 :constlen -1 :constbyval false :constisnull true :location 60 :constvalue <>}) :location 38})";

describe("nodeTreeConstants", () => {
  it("decodes a by-reference constant's bytes, signed chars included, and skips by-value and NULL constants", () => {
    const found = nodeTreeConstants(TREE).map((b) => Buffer.from(b));
    expect(found).toHaveLength(1);
    expect(found[0]!.subarray(4).toString("utf8")).toBe("é@x");
  });

  it("finds nothing in a tree without constants, or with a malformed byte list", () => {
    expect(nodeTreeConstants("({VAR :varno 1 :varattno 2})")).toEqual([]);
    expect(nodeTreeConstants(":constvalue 3 [ 1 2 ]")).toEqual([]);
  });
});
