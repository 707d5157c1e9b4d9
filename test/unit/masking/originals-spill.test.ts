// Originals past the memory budget: spilled (encrypted, private directory), read back batch by
// batch as the same set collectOriginals() builds in memory, with deterministic ids, removed by dispose().
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { OriginalsCollector } from "../../../packages/core/src/masking/leak-scan/originals-collector.js";
import { collectOriginals, isHighCardinality, type OriginalSet, type OriginalSource } from "../../../packages/core/src/masking/leak-scan/originals.js";

const sources: OriginalSource[] = [
  { database: "d", schema: "s", table: "t", column: "email", distinct: 3000, rows: 3000, transformer: "email" },
  { database: "d", schema: "s", table: "t", column: "first", distinct: 400, rows: 3000, transformer: "firstName" },
  { database: "d", schema: "s", table: "u", column: "note", distinct: 1200, rows: 1200, transformer: "text" },
];
const columns = [
  Array.from({ length: 3000 }, (_, i) => `person.${i}@spill.example`),
  [...Array.from({ length: 400 }, (_, i) => `Name${i}`), "Ann", "Bo", "person.7@spill.example"], // shorts, and one email again
  [...Array.from({ length: 1200 }, (_, i) => `note ${i} ${"x".repeat(i % 90)}`), "Ann", "Name3"],
];

/** Per original bytes (UTF-8 pattern): [first source, strongest source, UTF-16 twin present], over every batch. */
async function byBytes(set: OriginalSet): Promise<Map<string, [number, number, boolean]>> {
  const m = new Map<string, [number, number, boolean]>();
  const twins = new Set<number>();
  for await (const batch of set.batches()) {
    for (let i = 0; i < batch.patterns.size; i++) {
      const tag = batch.patterns.tags[i]!;
      const id = tag >>> 1;
      if (tag & 1) {
        twins.add(id);
        continue;
      }
      expect(id - batch.firstId).toBeGreaterThanOrEqual(0);
      m.set(Buffer.from(batch.patterns.pattern(i)).toString("latin1"), [batch.sourceOfId(id), batch.strongestSourceOf[id - batch.firstId]!, false]);
    }
    for (let i = 0; i < batch.patterns.size; i++) {
      const tag = batch.patterns.tags[i]!;
      if (!(tag & 1)) m.get(Buffer.from(batch.patterns.pattern(i)).toString("latin1"))![2] = twins.has(tag >>> 1);
    }
  }
  return m;
}

function collect(budget: number, order: "forward" | "reverse"): { set: OriginalSet; dir?: string } {
  const { collector, dir } = fill(budget, order);
  return { set: collector.finish(), dir };
}

function fill(budget: number, order: "forward" | "reverse"): { collector: OriginalsCollector; dir?: string } {
  const collector = new OriginalsCollector(sources, { budget });
  const high = sources.map(isHighCardinality);
  const where = new Map<string, number[]>();
  for (const [i, vals] of columns.entries()) for (const v of vals) where.set(v, [...(where.get(v) ?? []), i]);
  const entries = order === "forward" ? [...where] : [...where].reverse();
  for (const [value, cols] of entries) for (const c of order === "forward" ? cols : [...cols].reverse()) collector.add(value, c, high[c] ? c : -1);
  return { collector, dir: collector.spillDirectory };
}

describe("originals past the memory budget", () => {
  it("are read back in several batches as the same set collectOriginals() builds in memory", async () => {
    const expected = collectOriginals(columns.map((values, i) => ({ source: sources[i]!, values })));
    const { set, dir } = collect(20_000, "reverse");
    try {
      expect(dir).toBeDefined();
      expect(set.batchCount).toBeGreaterThan(3);
      expect(set.searched).toBe(expected.searched);
      expect(set.distinctTotal).toBe(expected.distinctTotal);
      expect(await byBytes(set)).toEqual(await byBytes(expected));
      // Reading the patterns of the whole set at once would search nothing: it refuses.
      expect(() => set.patterns).toThrow(/batch by batch|batches\(\)/);
      // Ids are global and each original is in exactly one batch.
      const ids = new Set<number>();
      for await (const batch of set.batches()) for (const tag of batch.patterns.tags) if (!(tag & 1)) ids.add(tag >>> 1);
      expect(ids.size).toBe(expected.searched);
      expect(Math.max(...ids)).toBe(expected.searched - 1);
    } finally {
      set.dispose();
    }
    expect(existsSync(dir!)).toBe(false);
  });

  it("give the same ids whatever order the stream met them in", async () => {
    const a = collect(20_000, "forward");
    const b = collect(20_000, "reverse");
    try {
      const ids = async (s: OriginalSet) => {
        const out: string[] = [];
        for await (const batch of s.batches())
          for (let i = 0; i < batch.patterns.size; i++) out.push(`${batch.patterns.tags[i]}:${Buffer.from(batch.patterns.pattern(i)).toString("hex")}`);
        return out;
      };
      expect(await ids(a.set)).toEqual(await ids(b.set));
    } finally {
      a.set.dispose();
      b.set.dispose();
    }
  });

  it("are stored encrypted in a private directory: no original's bytes in any file", () => {
    const { set, dir } = collect(20_000, "forward");
    try {
      expect(statSync(dir!).mode & 0o777).toBe(0o700);
      const files = readdirSync(dir!);
      expect(files.length).toBeGreaterThan(0);
      for (const f of files) {
        expect(statSync(path.join(dir!, f)).mode & 0o077).toBe(0);
        const bytes = readFileSync(path.join(dir!, f));
        expect(bytes.includes("@spill.example")).toBe(false);
        expect(bytes.includes("note 1")).toBe(false);
      }
    } finally {
      set.dispose();
    }
  });

  it("within the budget stay in memory (one batch, no directory)", () => {
    const { set, dir } = collect(64 * 1024 * 1024, "forward");
    expect(dir).toBeUndefined();
    expect(set.batchCount).toBe(1);
    expect(set.patterns.size).toBeGreaterThan(0);
  });
});
