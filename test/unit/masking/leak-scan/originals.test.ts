// What the leak scan searches for: every distinct original long enough to be evidence, in UTF-8
// and UTF-16LE, each tied to the column it came from (and to its strongest column for copies).
import { describe, expect, it } from "vitest";
import {
  collectOriginals,
  emptyOriginals,
  isHighCardinality,
  originalOfTag,
  OriginalSet,
  tagOfOriginal,
  truncateUtf8,
  type OriginalsSpillReader,
  type OriginalSource,
} from "../../../../packages/core/src/masking/leak-scan/originals.js";
import { PatternSetBuilder } from "../../../../packages/core/src/masking/leak-scan/pattern-set.js";

const src = (column: string, over: Partial<OriginalSource> = {}): OriginalSource => ({ database: "d", schema: "s", table: "t", column, distinct: 10, ...over });
/** Every pattern of a set as "id/utf8|utf16:text". */
const patterns = (set: OriginalSet) =>
  Array.from({ length: set.patterns.size }, (_, i) => {
    const { index, utf16 } = originalOfTag(set.patterns.tags[i]!);
    return `${index}/${utf16 ? "utf16" : "utf8"}:${Buffer.from(set.patterns.pattern(i)).toString(utf16 ? "utf16le" : "utf8")}`;
  });

describe("isHighCardinality: whether a copy of the column fails the build", () => {
  it("unique columns and identifying transformers are high whatever their counts", () => {
    expect(isHighCardinality(src("c", { unique: true, transformer: "firstName", rows: 100, distinct: 1 }))).toBe(true);
    for (const t of ["email", "phone", "nationalId", "iban", "creditCard", "fullName"])
      expect(isHighCardinality(src("c", { transformer: t, rows: 100, distinct: 1 })), t).toBe(true);
  });
  it("an address is high for its street, the full address or no part; low for city, postcode, country", () => {
    expect(isHighCardinality(src("c", { transformer: "address", rows: 100, distinct: 1 }))).toBe(true);
    expect(isHighCardinality(src("c", { transformer: "address", part: "street", rows: 100, distinct: 1 }))).toBe(true);
    expect(isHighCardinality(src("c", { transformer: "address", part: "full", rows: 100, distinct: 1 }))).toBe(true);
    for (const part of ["city", "postcode", "country"])
      expect(isHighCardinality(src("c", { transformer: "address", part, rows: 100, distinct: 100 })), part).toBe(false);
  });
  it("first and last names and companies are low even when every value is distinct", () => {
    for (const t of ["firstName", "lastName", "company"]) expect(isHighCardinality(src("c", { transformer: t, rows: 10, distinct: 10 })), t).toBe(false);
  });
  it("any other column by its data: ≥ 90 % distinct per row is high; unknown or zero rows assume the worst", () => {
    expect(isHighCardinality(src("c", { transformer: "text", rows: 100, distinct: 90 }))).toBe(true);
    expect(isHighCardinality(src("c", { transformer: "text", rows: 100, distinct: 89 }))).toBe(false);
    expect(isHighCardinality(src("c", { rows: 100, distinct: 90 }))).toBe(true);
    expect(isHighCardinality(src("c", { rows: 100, distinct: 5 }))).toBe(false);
    expect(isHighCardinality(src("c", { distinct: 5 }))).toBe(true);
    expect(isHighCardinality(src("c", { rows: 0, distinct: 0 }))).toBe(true);
  });
});

describe("collectOriginals", () => {
  it("every distinct value once, in first-seen order, with a UTF-16LE twin; short values counted, not searched", () => {
    const set = collectOriginals([
      { source: src("a"), values: ["Mellie Kozey", "Bo", "Mellie Kozey", "Annabel"] },
      { source: src("b"), values: ["Annabel", "Ann", "Zoë Ærø"] },
    ]);
    expect(patterns(set)).toEqual(["0/utf8:Mellie Kozey", "0/utf16:Mellie Kozey", "1/utf8:Annabel", "1/utf16:Annabel", "2/utf8:Zoë Ærø", "2/utf16:Zoë Ærø"]);
    expect([...set.sourceOf]).toEqual([0, 0, 1]);
    expect(set.searched).toBe(3);
    expect(set.distinctTotal).toBe(5);
    expect(set.batchCount).toBe(1);
    expect(set.firstId).toBe(0);
    expect(set.sourceOfId(2)).toBe(1);
  });

  it("an original shared with a stronger (high-cardinality) column later counts against that column; never downgraded", () => {
    const low = src("first", { transformer: "firstName" });
    const high = src("email", { transformer: "email" });
    const up = collectOriginals([
      { source: low, values: ["Annabel"] },
      { source: high, values: ["Annabel"] },
    ]);
    expect([...up.sourceOf, ...up.strongestSourceOf]).toEqual([0, 1]);
    const down = collectOriginals([
      { source: high, values: ["Annabel"] },
      { source: low, values: ["Annabel"] },
      { source: src("other", { transformer: "phone" }), values: ["Annabel"] },
    ]);
    expect([...down.sourceOf, ...down.strongestSourceOf]).toEqual([0, 0]);
  });

  it("minBytes and maxBytes: shorter values counted only, longer ones searched by their first bytes, cut on a character", () => {
    const set = collectOriginals([{ source: src("a"), values: ["abcdefgh", "abcdefg", `${"x".repeat(20)}étail`] }], { minBytes: 8, maxBytes: 21 });
    expect(patterns(set)).toEqual(["0/utf8:abcdefgh", "0/utf16:abcdefgh", `1/utf8:${"x".repeat(20)}`, `1/utf16:${"x".repeat(20)}`]);
    expect(set.distinctTotal).toBe(3);
    const floor = collectOriginals([{ source: src("a"), values: ["abcdef", "abcde"] }], { minBytes: 2 });
    expect(floor.searched).toBe(1); // never below WINDOW
    const long = collectOriginals([{ source: src("a"), values: ["y".repeat(100)] }]);
    expect(long.patterns.pattern(0).length).toBe(64);
    const tight = collectOriginals([{ source: src("a"), values: ["abcdefghij"] }], { minBytes: 8, maxBytes: 4 });
    expect(tight.patterns.pattern(0).length).toBe(8); // maxBytes never below minBytes
  });

  it("an original whose UTF-16LE form is exactly WINDOW bytes keeps its twin (three accented letters: 6 bytes either way)", () => {
    const set = collectOriginals([{ source: src("a"), values: ["éüö"] }]);
    expect(patterns(set)).toEqual(["0/utf8:éüö", "0/utf16:éüö"]);
  });

  it("two values that agree in their first maxBytes are one original", () => {
    const set = collectOriginals([{ source: src("a"), values: [`${"z".repeat(64)}1`, `${"z".repeat(64)}2`] }]);
    expect(set.searched).toBe(1);
    expect(set.distinctTotal).toBe(1);
  });

  it("no columns, no originals", () => {
    const e = emptyOriginals();
    expect([e.searched, e.distinctTotal, e.patterns.size]).toEqual([0, 0, 0]);
  });
});

describe("truncateUtf8", () => {
  it("keeps whole characters only", () => {
    expect(truncateUtf8("abc", 3).toString()).toBe("abc");
    expect(truncateUtf8("abcd", 3).toString()).toBe("abc");
    expect(truncateUtf8("aé", 2).toString()).toBe("a");
    expect(truncateUtf8("a€b", 3).toString()).toBe("a");
    expect(truncateUtf8("a€b", 4).toString()).toBe("a€");
    expect(truncateUtf8("€", 2).length).toBe(0);
  });
});

describe("tags and OriginalSet", () => {
  it("an original's tag carries its index and encoding", () => {
    for (const i of [0, 1, 12345, 2 ** 29]) {
      expect(originalOfTag(tagOfOriginal(i, false))).toEqual({ index: i, utf16: false });
      expect(originalOfTag(tagOfOriginal(i, true))).toEqual({ index: i, utf16: true });
    }
  });

  it("markInsideOutput marks originals a masked output holds (UTF-8 only)", () => {
    const set = collectOriginals([{ source: src("a"), values: ["Annabel", "Mellie Kozey", "Zoltan"] }]);
    set.markInsideOutput(Buffer.from("dear Annabel,"));
    expect([...set.insideOutputs]).toEqual([1, 0, 0]);
    set.markInsideOutput(Buffer.from("Zoltan", "utf16le"));
    set.markInsideOutput(Buffer.from("to Mellie Kozey"));
    expect([...set.insideOutputs]).toEqual([1, 1, 0]);
  });

  it("a spilled set refuses its in-memory patterns, reports the spill's counts and yields every batch, and dispose reaches the spill", async () => {
    const loaded: number[] = [];
    let disposed = 0;
    const b = new PatternSetBuilder();
    b.add(Buffer.from("Annabel"), tagOfOriginal(0, false));
    const reader: OriginalsSpillReader = {
      searched: 7,
      distinctTotal: 9,
      batchCount: 3,
      load(i) {
        loaded.push(i);
        return new OriginalSet([src("a")], b.build(), [0], [0], 9, i);
      },
      dispose: () => disposed++,
    };
    const set = new OriginalSet([src("a")], new PatternSetBuilder().build(), [], [], 0, 0, reader);
    expect(() => set.patterns).toThrow(/spilled/);
    expect([set.searched, set.distinctTotal, set.batchCount]).toEqual([7, 9, 3]);
    const firstIds: number[] = [];
    for await (const batch of set.batches()) firstIds.push(batch.firstId);
    expect(firstIds).toEqual([0, 1, 2]);
    expect(loaded).toEqual([0, 1, 2]);
    set.dispose();
    expect(disposed).toBe(1);
    const mem = collectOriginals([{ source: src("a"), values: ["Annabel"] }]);
    const batches: OriginalSet[] = [];
    for await (const batch of mem.batches()) batches.push(batch);
    expect(batches).toEqual([mem]);
    expect(() => mem.dispose()).not.toThrow();
  });
});
