import { describe, expect, it } from "vitest";
import { PatternSetBuilder, StreamScanner, WINDOW, type PatternMatch } from "../../../packages/core/src/masking/leak-scan/pattern-set.js";
import { collectOriginals, isHighCardinality } from "../../../packages/core/src/masking/leak-scan/originals.js";
import { storedForm } from "../../../packages/core/src/masking/leak-scan/explain.js";

/** A tiny seeded generator so the test is the same on every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function naive(hay: Buffer, patterns: Buffer[]): string[] {
  const out: string[] = [];
  patterns.forEach((p, i) => {
    for (let at = hay.indexOf(p); at >= 0; at = hay.indexOf(p, at + 1)) out.push(`${i}@${at}`);
  });
  return out.sort();
}

describe("PatternSet (rolling-hash prefix table, verified)", () => {
  it("finds exactly what a naive search finds, across every chunk boundary", () => {
    const r = rng(7);
    const alphabet = "abcde";
    const word = (n: number) => Array.from({ length: n }, () => alphabet[Math.floor(r() * alphabet.length)]).join("");
    const patterns = Array.from({ length: 300 }, () => Buffer.from(word(WINDOW + Math.floor(r() * 12))));
    const hay = Buffer.from(word(40_000));
    const b = new PatternSetBuilder();
    for (const [i, p] of patterns.entries()) b.add(p, i);
    const set = b.build();
    const expected = naive(hay, patterns);
    expect(expected.length).toBeGreaterThan(50);
    for (const chunk of [1, 7, 64, 4096, hay.length]) {
      const found: string[] = [];
      const s = new StreamScanner(set, (m: PatternMatch) => found.push(`${m.tag}@${m.offset}`));
      for (let at = 0; at < hay.length; at += chunk) s.feed(hay.subarray(at, at + chunk));
      s.finish();
      expect(found.sort(), `chunk ${chunk}`).toEqual(expected);
    }
  });

  it("holds 200 k originals in under 200 bytes each (UTF-8 + UTF-16LE + tables)", () => {
    const values = Array.from({ length: 200_000 }, (_, i) => `person.${i}@example.test`);
    const originals = collectOriginals([
      { source: { database: "d", schema: "s", table: "t", column: "email", distinct: values.length, rows: values.length }, values },
    ]);
    expect(originals.searched).toBe(200_000);
    expect(originals.patterns.bytes / originals.searched).toBeLessThan(200); // UTF-8 + UTF-16LE + tables
  });

  it("rejects a pattern shorter than the hash window", () => {
    expect(() => new PatternSetBuilder().add(Buffer.from("abc"), 0)).toThrow(/at least/);
  });
});

describe("PatternSet: what the scan reports and what the set holds", () => {
  const hits = (set: ReturnType<PatternSetBuilder["build"]>, hay: Buffer) => {
    const out: { tag: number; offset: number; anchor: number }[] = [];
    set.scanAll(hay, (m) => out.push({ tag: m.tag, offset: m.offset, anchor: m.anchor }));
    return out;
  };

  it("two patterns sharing their first window are indexed by different windows, so one chain does not collect every email of one format", () => {
    const b = new PatternSetBuilder();
    b.add(Buffer.from("abcdefXXXX"), 1);
    b.add(Buffer.from("abcdefYYYY"), 2);
    const hay = Buffer.from("..abcdefXXXX..abcdefYYYY..");
    // The anchor is where the window that found the match starts: the second pattern's is one byte in.
    expect(hits(b.build(), hay)).toEqual([
      { tag: 1, offset: 2, anchor: 2 },
      { tag: 2, offset: 14, anchor: 15 },
    ]);
  });

  it("a published value far larger than the arena (a 200 KB text holding an original) is held and found whole", () => {
    const big = Buffer.alloc(200 * 1024, "x");
    Buffer.from("mellie.kozey@example.org").copy(big, 100_000);
    const b = new PatternSetBuilder();
    b.add(Buffer.from("mellie.kozey@example.org"), 0);
    b.add(big, 7);
    const set = b.build();
    expect(Buffer.from(set.pattern(1)).equals(big)).toBe(true);
    expect(hits(set, Buffer.concat([Buffer.from("--"), big])).map((h) => [h.tag, h.offset])).toEqual([
      [7, 2],
      [0, 100_002],
    ]);
  });

  it("bytesAt gives each pattern added so far, the last one included", () => {
    const b = new PatternSetBuilder();
    b.add(Buffer.from("first-pattern"), 0);
    b.add(Buffer.from("second"), 1);
    expect(Buffer.from(b.bytesAt(0)).toString()).toBe("first-pattern");
    expect(Buffer.from(b.bytesAt(1)).toString()).toBe("second");
    expect(b.size).toBe(2);
  });

  it("the memory report counts the arena (without spare room) and every table, sized for the number of patterns", () => {
    const b = new PatternSetBuilder();
    for (let i = 0; i < 100; i++) b.add(Buffer.from(`value-${String(i).padStart(4, "0")}`), i); // 10 bytes each
    const n = 100;
    const tableSlots = 256; // 2n rounded up to a power of two
    const filterWords = (tableSlots * 8) / 32; // 8 filter bits per slot
    expect(b.build().bytes).toBe(n * 10 + (n + 1) * 4 + n * 4 + n * 4 + n * 2 + tableSlots * 4 + n * 4 + filterWords * 4);
  });

  it("a stream scanner used again after finish() reports offsets that continue the stream", () => {
    const b = new PatternSetBuilder();
    b.add(Buffer.from("needle-1"), 0);
    const set = b.build();
    const found: number[] = [];
    const s = new StreamScanner(set, (m) => found.push(m.offset));
    s.feed(Buffer.from("aaaaneedle-1aaaa")); // 16 bytes
    s.finish();
    s.feed(Buffer.from("bbneedle-1"));
    s.finish();
    expect(found).toEqual([4, 18]);
  });
});

describe("originals", () => {
  it("are every distinct value, deterministic, short ones counted but not searched", () => {
    const source = { database: "d", schema: "s", table: "t", column: "c", distinct: 4, rows: 4 };
    const a = collectOriginals([{ source, values: ["Greenland", "Mellie", "Al", "Greenland"] }]);
    const b = collectOriginals([{ source, values: ["Greenland", "Mellie", "Al", "Greenland"] }]);
    expect(a.searched).toBe(2);
    expect(a.distinctTotal).toBe(3);
    expect(Buffer.from(a.patterns.pattern(0))).toEqual(Buffer.from(b.patterns.pattern(0)));
  });

  it("a value of 6 UTF-8 bytes but 2 characters is searched in UTF-8 only", () => {
    const o = collectOriginals([{ source: { database: "d", schema: "s", table: "t", column: "c", distinct: 1 }, values: ["東京"] }]);
    expect(o.searched).toBe(1);
    expect(o.patterns.size).toBe(1);
  });

  it("call a column high-cardinality when it identifies a person, is unique, or is ≥ 90% distinct per row", () => {
    const base = { database: "d", schema: "s", table: "t", column: "c" };
    expect(isHighCardinality({ ...base, distinct: 3, rows: 1000, transformer: "email" })).toBe(true);
    expect(isHighCardinality({ ...base, distinct: 990, rows: 1000, transformer: "address", part: "city" })).toBe(false);
    expect(isHighCardinality({ ...base, distinct: 990, rows: 1000, transformer: "firstName" })).toBe(false);
    expect(isHighCardinality({ ...base, distinct: 10, rows: 1000, transformer: "address", part: "street" })).toBe(true);
    expect(isHighCardinality({ ...base, distinct: 950, rows: 1000 })).toBe(true);
    expect(isHighCardinality({ ...base, distinct: 300, rows: 1000 })).toBe(false);
    expect(isHighCardinality({ ...base, distinct: 3, rows: 1000, unique: true })).toBe(true);
    expect(isHighCardinality({ ...base, distinct: 3 })).toBe(true); // rows unknown: assume the worst
  });

  it("stored form: PostgreSQL's 1-byte varlena header ((len+1)<<1)|1 can spell an original's first letter", () => {
    const masked = "ellie.kozey.123@example.com"; // 27 bytes → header 0x39 ('9')
    expect(storedForm(Buffer.from(masked)).bytes[0]).toBe(((27 + 1) << 1) | 1);
    const thirtySeven = "x".repeat(37);
    expect(String.fromCharCode(storedForm(Buffer.from(thirtySeven)).bytes[0]!)).toBe("M"); // the case
  });
});

describe("residue scan: explained hits versus residue", () => {
  it("a hit inside a published value's stored form is explained; the same original elsewhere is residue", async () => {
    const { LogicalContent } = await import("../../../packages/core/src/masking/leak-scan/explain.js");
    const { emptyTally, scanStream } = await import("../../../packages/core/src/masking/leak-scan/residue-scan.js");
    const originals = collectOriginals([
      { source: { database: "d", schema: "s", table: "t", column: "first_name", distinct: 2, rows: 2 }, values: ["Mellie", "Greenland"] },
    ]);
    const content = new LogicalContent(originals);
    const masked = "x".repeat(37); // stored behind the byte "M", then "ellie…" is not there: use a real-looking one
    const maskedEmail = `ellie.kozey${"0".repeat(26)}`; // 37 bytes: header 'M' + "ellie" spells the original
    content.addValue([Buffer.from(maskedEmail)], { kind: "masked" });
    content.addValue([Buffer.from(masked)], { kind: "masked" });
    content.addValue([Buffer.from("Greenland")], { kind: "unmasked", column: { database: "d", schema: "s", table: "t", column: "country" } });
    const set = content.scanSet();
    const disk = Buffer.concat([
      Buffer.alloc(100),
      storedForm(Buffer.from(maskedEmail)).bytes, // explained: length header
      Buffer.alloc(50),
      storedForm(Buffer.from("Greenland")).bytes, // explained: a published (unmasked) value
      Buffer.alloc(50),
      Buffer.from("\u000fMellie\u0001dead tuple", "latin1"), // residue: the original itself, stored
    ]);
    for (const chunk of [3, 17, disk.length]) {
      const tally = emptyTally();
      const chunks = (async function* () {
        for (let at = 0; at < disk.length; at += chunk) yield disk.subarray(at, at + chunk);
      })();
      await scanStream(chunks, set, tally, { file: "disk", channelOf: () => "test channel" });
      expect(tally.explained["length-header"], `chunk ${chunk}`).toBe(1);
      expect(tally.explained["unmasked-value"]).toBe(1);
      expect(tally.unexplainedCount).toBe(1);
      expect(tally.unexplained[0]!.offset).toBe(disk.length - 17);
      expect(tally.unexplained[0]!.channel).toBe("test channel");
    }
    expect([...content.copies.values()].map((c) => c.column)).toEqual(["country"]);
  });
});
