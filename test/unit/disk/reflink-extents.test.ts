// Which ranges of a reflink clone a promote must carry: its own extents, and zeros where it has a
// hole over the image's data; shared extents and holes over holes are the image's, carried by none.
import { describe, expect, it } from "vitest";
import { differingRanges, subtract } from "../../../packages/core/src/disk/reflink/extents.js";

const K = 4096;
const e = (offset: number, length: number, shared = false) => ({ offset: offset * K, length: length * K, shared });
const r = (offset: number, length: number) => ({ offset: offset * K, length: length * K });

describe("subtract", () => {
  it("keeps what the second list does not cover, splitting ranges around it", () => {
    expect(subtract([r(0, 10)], [r(2, 3), r(7, 1)])).toEqual([r(0, 2), r(5, 2), r(8, 2)]);
    expect(subtract([r(0, 4), r(10, 4)], [r(3, 8)])).toEqual([r(0, 3), r(11, 3)]);
    expect(subtract([r(0, 4)], [r(0, 4)])).toEqual([]);
    expect(subtract([r(5, 2)], [])).toEqual([r(5, 2)]);
  });
});

describe("differingRanges", () => {
  it("copies the clone's own extents and zeroes its holes over image data, nothing shared", () => {
    // Image: data at 0-99. Clone: 0-39 shared, 40-49 rewritten (own), 50-59 discarded (hole),
    // 60-99 shared, and 200-209 written past the image's data (own).
    const image = [e(0, 100)];
    const clone = [e(0, 40, true), e(40, 10), e(60, 40, true), e(200, 10)];
    expect(differingRanges(clone, image)).toEqual({ copy: [r(40, 10), r(200, 10)], zero: [r(50, 10)] });
  });

  it("an untouched clone differs in nothing", () => {
    expect(differingRanges([e(0, 8, true), e(16, 8, true)], [e(0, 8), e(16, 8)])).toEqual({ copy: [], zero: [] });
  });
});
