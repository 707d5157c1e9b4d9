// The originals as the masking stream delivers them (value by value, columns in any order): the
// collector deduplicates, keeps the first and first high-cardinality column of each, and past a
// tiny budget spills to disk and reads back the same set — so no original escapes the scan.
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { OriginalsCollector, ORIGINALS_BUDGET } from "../../../../packages/core/src/masking/leak-scan/originals-collector.js";
import { bytesPerOriginal } from "../../../../packages/core/src/masking/leak-scan/originals-spill.js";
import { collectOriginals, originalOfTag, type OriginalSet, type OriginalSource } from "../../../../packages/core/src/masking/leak-scan/originals.js";

const sources: OriginalSource[] = [
  { database: "d", schema: "s", table: "t", column: "first", distinct: 3, rows: 3, transformer: "firstName" },
  { database: "d", schema: "s", table: "t", column: "email", distinct: 3, rows: 3, transformer: "email" },
  { database: "d", schema: "s", table: "u", column: "alias", distinct: 3, rows: 3, transformer: "email" },
];

/** Every original of every batch: text → [first column, strongest column, has a UTF-16 twin]. */
async function contents(set: OriginalSet): Promise<Map<string, [number, number, boolean]>> {
  const out = new Map<string, [number, number, boolean]>();
  for await (const batch of set.batches()) {
    const twins = new Set<number>();
    for (let i = 0; i < batch.patterns.size; i++) if (originalOfTag(batch.patterns.tags[i]!).utf16) twins.add(originalOfTag(batch.patterns.tags[i]!).index);
    for (let i = 0; i < batch.patterns.size; i++) {
      const { index, utf16 } = originalOfTag(batch.patterns.tags[i]!);
      if (utf16) continue;
      out.set(Buffer.from(batch.patterns.pattern(i)).toString("utf8"), [
        batch.sourceOfId(index),
        batch.strongestSourceOf[index - batch.firstId]!,
        twins.has(index),
      ]);
    }
  }
  return out;
}

/** The slot the collector's table gives a value (its FNV-1a hash, folded; a copy, to choose colliding values). */
function slotOf(value: string, size: number): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(value)) h = Math.imul(h ^ b, 0x01000193);
  return ((h ^ (h >>> 16)) >>> 0) & (size - 1);
}

describe("OriginalsCollector", () => {
  it("deduplicates a value met in several columns, keeping its lowest column and lowest high-cardinality column", async () => {
    const c = new OriginalsCollector(sources);
    c.add("shared@example.org", 2, 2);
    c.add("shared@example.org", 1, 1);
    c.add("shared@example.org", 0, -1);
    c.add("Annabel", 0, -1);
    c.add("Annabel", 0, -1);
    c.add("Bo", 0, -1);
    c.add("Bo", 1, 1);
    const set = c.finish();
    expect(c.spillDirectory).toBeUndefined();
    expect(set.searched).toBe(2);
    expect(set.distinctTotal).toBe(3); // "Bo" counted, not searched
    expect(await contents(set)).toEqual(
      new Map([
        ["shared@example.org", [0, 1, true]],
        ["Annabel", [0, 0, true]],
      ]),
    );
  });

  it("a later high-cardinality column does not replace a lower one already kept", async () => {
    const c = new OriginalsCollector(sources);
    c.add("shared@example.org", 1, 1);
    c.add("shared@example.org", 2, 2);
    expect(await contents(c.finish())).toEqual(new Map([["shared@example.org", [1, 1, true]]]));
  });

  it("builds the same set as collectOriginals over whole columns, through several rehashes of its table", async () => {
    const columns = [
      Array.from({ length: 1500 }, (_, i) => `name-${i}`),
      Array.from({ length: 2500 }, (_, i) => `user${i}@example.org`),
      [...Array.from({ length: 500 }, (_, i) => `user${i * 3}@example.org`), "x", "ab"],
    ];
    const c = new OriginalsCollector(sources);
    for (const [i, vals] of columns.entries()) for (const v of vals) c.add(v, i, c.isHigh(i) ? i : -1);
    const got = c.finish();
    const want = collectOriginals(columns.map((values, i) => ({ source: sources[i]!, values })));
    expect(got.searched).toBe(want.searched);
    expect(got.distinctTotal).toBe(want.distinctTotal);
    expect(await contents(got)).toEqual(await contents(want));
    expect([...got.sourceOf]).toEqual([...want.sourceOf]); // same ids, in the same order
  });

  it("cuts a long value to its first 64 bytes, like collectOriginals", async () => {
    const c = new OriginalsCollector(sources);
    c.add("q".repeat(70), 0, -1);
    c.add(`${"q".repeat(64)}other tail`, 1, 1);
    expect(await contents(c.finish())).toEqual(new Map([["q".repeat(64), [0, 1, true]]]));
  });

  it("with a tiny budget spills to a private directory and reads back the same set, whatever the arrival order; dispose removes it", async () => {
    const values = Array.from({ length: 300 }, (_, i) => `spilled.${i}@example.org`);
    const run = async (order: string[]) => {
      const c = new OriginalsCollector(sources, { budget: 4000 });
      c.add("Bo", 0, -1);
      for (const v of order) c.add(v, 1, 1);
      c.add(order[0]!, 0, -1); // met again, in a lower column, after the spill
      const dir = c.spillDirectory;
      const set = c.finish();
      return { dir, set };
    };
    const a = await run(values);
    const b = await run([...values].reverse());
    try {
      expect(a.dir).toBeDefined();
      expect(existsSync(a.dir!)).toBe(true);
      expect(a.set.batchCount).toBeGreaterThan(1);
      expect(a.set.searched).toBe(300);
      expect(a.set.distinctTotal).toBe(301);
      const got = await contents(a.set);
      expect(got.size).toBe(300);
      expect(got.get(values[0]!)).toEqual([0, 1, true]);
      expect(got.get(values[1]!)).toEqual([1, 1, true]);
      // Deterministic ids: both orders give each value the same id.
      const ids = async (set: OriginalSet) => {
        const m = new Map<string, number>();
        for await (const batch of set.batches())
          for (let i = 0; i < batch.patterns.size; i++) m.set(Buffer.from(batch.patterns.pattern(i)).toString("latin1"), batch.patterns.tags[i]!);
        return m;
      };
      const [ia, ib] = [await ids(a.set), await ids(b.set)];
      for (const v of values.slice(1, -1)) expect(ia.get(v)).toBe(ib.get(v));
    } finally {
      a.set.dispose();
      b.set.dispose();
    }
    expect(existsSync(a.dir!)).toBe(false);
  });

  it("short values alone past the budget spill too, and a failed build's dispose removes the spill", () => {
    const c = new OriginalsCollector(sources, { budget: 100 });
    c.add("a1", 0, -1);
    c.add("a1", 0, -1);
    expect(c.spillDirectory).toBeUndefined();
    c.add("a2", 0, -1);
    c.add("a3", 0, -1);
    const dir = c.spillDirectory;
    expect(dir).toBeDefined();
    c.dispose();
    expect(existsSync(dir!)).toBe(false);
  });

  it("a short value met again does not count twice against the budget", () => {
    const c = new OriginalsCollector(sources, { budget: 100 });
    try {
      for (let i = 0; i < 3; i++) c.add("a1", 0, -1);
      expect(c.spillDirectory).toBeUndefined();
    } finally {
      c.dispose();
    }
  });

  it("originals that fill the budget exactly stay in memory; one byte more spills", () => {
    const exact = new OriginalsCollector(sources, { budget: bytesPerOriginal(18) });
    const shorts = new OriginalsCollector(sources, { budget: 96 }); // two short values of 48 each
    const over = new OriginalsCollector(sources, { budget: bytesPerOriginal(18) - 1 });
    try {
      exact.add("shared@example.org", 1, 1); // 18 bytes
      expect(exact.spillDirectory).toBeUndefined();
      shorts.add("a1", 0, -1);
      shorts.add("a2", 0, -1);
      expect(shorts.spillDirectory).toBeUndefined();
      over.add("shared@example.org", 1, 1);
      expect(over.spillDirectory).toBeDefined();
    } finally {
      for (const c of [exact, shorts, over]) c.dispose();
    }
  });

  it("column 0 counts as a high-cardinality column: met there later, it becomes the value's strongest", async () => {
    const hi = [{ ...sources[1]!, column: "email0" }, sources[1]!, sources[2]!];
    const later = new OriginalsCollector(hi);
    later.add("shared@example.org", 1, 1);
    later.add("shared@example.org", 0, 0);
    expect(await contents(later.finish())).toEqual(new Map([["shared@example.org", [0, 0, true]]]));
    const first = new OriginalsCollector(hi);
    first.add("shared@example.org", 0, 0);
    first.add("shared@example.org", 2, 2);
    expect(await contents(first.finish())).toEqual(new Map([["shared@example.org", [0, 0, true]]]));
  });

  it("each original's twin is its UTF-16LE bytes, kept only when that is a whole hash window", () => {
    const c = new OriginalsCollector(sources);
    c.add("Annabel", 0, -1);
    c.add("東京", 0, -1); // 6 bytes of UTF-8, 4 of UTF-16LE: no twin
    c.add("éüö", 0, -1); // 6 bytes either way: a twin
    const set = c.finish();
    const twins = Array.from({ length: set.patterns.size }, (_, i) => [originalOfTag(set.patterns.tags[i]!), Buffer.from(set.patterns.pattern(i))] as const)
      .filter(([t]) => t.utf16)
      .map(([t, b]) => [t.index, b.toString("utf16le"), b.length]);
    expect(twins).toEqual([
      [0, "Annabel", 14],
      [2, "éüö", 6],
    ]);
  });

  it("a collector that never spilled has nothing to dispose", () => {
    const c = new OriginalsCollector(sources);
    c.add("Annabel", 0, -1);
    expect(() => c.dispose()).not.toThrow();
  });

  it("the first original's slot is never given to another: met again after a value on the same slot and after a rehash, it is still one original", () => {
    const first = "first@example.org";
    const sameSlot = (size: number) => {
      for (let i = 0; ; i++) if (slotOf(`other${i}@example.org`, size) === slotOf(first, size)) return `other${i}@example.org`;
    };
    const c = new OriginalsCollector(sources);
    c.add(first, 1, 1);
    c.add(sameSlot(2048), 1, 1); // the table starts with 2048 slots
    c.add(first, 1, 1);
    c.add(sameSlot(4096), 1, 1); // and has 4096 after the rehash
    for (let i = 0; i < 1100; i++) c.add(`filler${i}@example.org`, 1, 1); // past half full: a rehash
    c.add(first, 2, 2);
    expect(c.finish().searched).toBe(1103);
  });

  it("defaults to a 128 MiB budget; isHigh follows the source's cardinality", () => {
    expect(ORIGINALS_BUDGET).toBe(128 * 1024 * 1024);
    const c = new OriginalsCollector(sources);
    expect([c.isHigh(0), c.isHigh(1)]).toEqual([false, true]);
    for (let i = 0; i < 2000; i++) c.add(`within.budget.${i}`, 0, -1);
    expect(c.spillDirectory).toBeUndefined();
  });
});
