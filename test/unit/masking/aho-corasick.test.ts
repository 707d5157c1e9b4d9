import { describe, expect, it } from "vitest";
import { AhoCorasick, selectProbes } from "../../../packages/core/src/masking/index.js";

describe("Aho-Corasick", () => {
  it("finds every occurrence of every pattern, across chunk boundaries, with offsets", () => {
    const patterns = ["he", "she", "his", "hers"].map((p) => Buffer.from(p));
    const ac = new AhoCorasick(patterns);
    const text = Buffer.from("ushers and his hers");
    const found: string[] = [];
    for (let i = 0; i < text.length; i += 3) ac.feed(text.subarray(i, i + 3), (m) => found.push(`${patterns[m.pattern]}@${m.offset}`));
    expect(found.sort()).toEqual(["he@2", "he@15", "hers@15", "hers@2", "his@11", "she@1"].sort());
  });

  it("matches UTF-16LE patterns in binary data", () => {
    const probe = Buffer.from("Zoë Smith", "utf16le");
    const data = Buffer.concat([Buffer.alloc(1000, 0xff), probe, Buffer.alloc(10)]);
    const hits: number[] = [];
    new AhoCorasick([probe]).feed(data, (m) => hits.push(m.offset));
    expect(hits).toEqual([1000]);
  });
});

describe("leak-scan probes", () => {
  it("samples values from every column, skips short ones and ones that occur inside masked outputs", () => {
    const src = (column: string) => ({ database: "d", schema: "public", table: "t", column });
    const probes = selectProbes(
      [
        { source: src("a"), values: Array.from({ length: 800 }, (_, i) => `alpha-value-${i}`) },
        { source: src("b"), values: ["abc", "Jackson", ...Array.from({ length: 800 }, (_, i) => `beta-value-${i}`)] },
      ],
      ["Mr Jackson Jr"],
      { target: 1000 },
    );
    const values = new Set(probes.map((p) => p.value));
    expect(values.size).toBe(1000);
    expect(probes).toHaveLength(2000); // UTF-8 and UTF-16LE
    expect(values.has("abc")).toBe(false);
    expect(values.has("Jackson")).toBe(false);
    expect(probes.filter((p) => p.source.column === "a").length).toBeGreaterThan(800);
  });
});
