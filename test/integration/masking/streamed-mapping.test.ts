// The engine-neutral pieces of streamed masking against their in-memory oracles: unique-family
// resolution chunk by chunk equals mapFamily(); fingerprints have no false negatives; originals
// collected value by value equal collectOriginals() over whole columns; the worker pool maps as
// maskValue does and fails cleanly when a worker dies.
import { afterEach, describe, expect, it } from "vitest";
import { BuildError } from "../../../packages/core/src/errors.js";
import { OriginalsCollector } from "../../../packages/core/src/masking/leak-scan/originals-collector.js";
import { collectOriginals, isHighCardinality, type OriginalSource } from "../../../packages/core/src/masking/leak-scan/originals.js";
import type { ColumnRule } from "../../../packages/core/src/masking/policy/types.js";
import { mapFamily, maskValue } from "../../../packages/core/src/masking/transformers/family-mapping.js";
import { startMappingPool } from "../../../packages/core/src/masking/transformers/mapping-pool.js";
import { FingerprintSet, resolveUniqueChunk } from "../../../packages/core/src/masking/transformers/unique-resolver.js";

const key = Buffer.from("unit-streaming-key-0123456789");

/** The streamed algorithm over an in-memory "server": sorted inputs, chunks, exact checks. */
async function streamedUnique(family: string, rule: ColumnRule, inputs: string[], chunk: number): Promise<Map<string, string>> {
  const sorted = [...new Set(inputs)].sort();
  const server = new Set(sorted); // inputs, then every committed output
  const taken = new FingerprintSet(2 * sorted.length);
  for (const v of sorted) taken.add(v);
  const out = new Map<string, string>();
  for (let at = 0; at < sorted.length; at += chunk) {
    const values = sorted.slice(at, at + chunk);
    const first = values.map((v) => maskValue(key, family, rule, v));
    const outputs = await resolveUniqueChunk(values, first, {
      family,
      taken,
      remap: (v, attempt) => maskValue(key, family, rule, v, attempt),
      isTaken: async (m) => server.has(m),
    });
    values.forEach((v, i) => {
      out.set(v, outputs[i]!);
      server.add(outputs[i]!);
    });
  }
  return out;
}

describe("unique families, chunk by chunk", () => {
  it("equal mapFamily() for first names (a small output space: many collisions) with chunks of 1, 3 and 50", async () => {
    const rule: ColumnRule = { transformer: "firstName" };
    const inputs = Array.from({ length: 400 }, (_, i) => `${["\u{E000}", "\u{1F600}", "a", "Z"][i % 4]}n${i}`);
    const oracle = mapFamily(key, "firstName", rule, new Set(inputs), true);
    const firstTry = inputs.filter((v) => oracle.get(v) !== maskValue(key, "firstName", rule, v)).length;
    expect(firstTry).toBeGreaterThan(20); // the oracle needed retries: collisions are exercised
    for (const chunk of [1, 3, 50]) expect(await streamedUnique("firstName", rule, inputs, chunk)).toEqual(oracle);
  });

  it("retries when an output equals another input (a forced collision), as mapFamily() does", async () => {
    const rule: ColumnRule = { transformer: "email" };
    const planted = maskValue(key, "email", rule, "victim@example.test");
    const inputs = ["victim@example.test", planted, "other@example.test"];
    const streamed = await streamedUnique("email", rule, inputs, 1);
    expect(streamed.get("victim@example.test")).not.toBe(planted);
    expect(streamed).toEqual(mapFamily(key, "email", rule, new Set(inputs), true));
  });
});

describe("FingerprintSet", () => {
  it("never misses a value it holds, and mostly says no to others", () => {
    const set = new FingerprintSet(20_000);
    for (let i = 0; i < 20_000; i++) set.add(`value-${i}`);
    let missed = 0;
    for (let i = 0; i < 20_000; i++) if (!set.mightHave(`value-${i}`)) missed++;
    expect(missed).toBe(0);
    let falsePositives = 0;
    for (let i = 0; i < 20_000; i++) if (set.mightHave(`absent-${i}`)) falsePositives++;
    expect(falsePositives).toBeLessThan(5);
  });
});

describe("originals collected from the stream", () => {
  it("equal collectOriginals() over whole columns: same patterns, counts, sources and strongest sources", () => {
    const sources: OriginalSource[] = [
      { database: "d", schema: "s", table: "t", column: "city", distinct: 3, rows: 10, transformer: "address", part: "city" },
      { database: "d", schema: "s", table: "t", column: "email", distinct: 3, rows: 3, transformer: "email" },
      { database: "d", schema: "s", table: "u", column: "note", distinct: 3, rows: 3, transformer: "text" },
    ];
    const columns = [
      ["Greenland", "Springfield", "abc"],
      ["someone@example.test", "Greenland", "x".repeat(100)],
      ["Springfield", `${"x".repeat(100)}tail`, "someone@example.test"],
    ];
    const expected = collectOriginals(columns.map((values, i) => ({ source: sources[i]!, values })));
    // The stream meets values family by family, in any order; each carries its first and first high column.
    const collector = new OriginalsCollector(sources);
    const high = sources.map(isHighCardinality);
    const where = new Map<string, number[]>(); // value → the columns holding it
    for (const [i, vals] of columns.entries()) for (const v of vals) where.set(v, [...(where.get(v) ?? []), i]);
    // Each column its own family here, met in reverse order: (first, firstHigh) of that family is (c, c or −1).
    for (const [value, cols] of [...where].reverse()) for (const c of [...cols].reverse()) collector.add(value, c, high[c] ? c : -1);
    const got = collector.finish();
    expect(got.searched).toBe(expected.searched);
    expect(got.distinctTotal).toBe(expected.distinctTotal);
    expect(got.patterns.size).toBe(expected.patterns.size);
    const byBytes = (set: typeof got) => {
      const m = new Map<string, [number, number]>();
      for (let i = 0; i < set.patterns.size; i++) {
        const tag = set.patterns.tags[i]!;
        if (tag & 1) continue;
        m.set(Buffer.from(set.patterns.pattern(i)).toString("latin1"), [set.sourceOf[tag >>> 1]!, set.strongestSourceOf[tag >>> 1]!]);
      }
      return m;
    };
    expect(byBytes(got)).toEqual(byBytes(expected));
  });
});

describe("the mapping pool", () => {
  afterEach(() => {
    delete process.env.DBCLONE_TEST_CRASH_AT;
  });

  it("maps a chunk over its workers exactly as maskValue does, in order", async () => {
    const pool = await startMappingPool(key, 2);
    try {
      const values = Array.from({ length: 3000 }, (_, i) => `person${i}@example.test`);
      const rule: ColumnRule = { transformer: "email" };
      expect(await pool.map("email", rule, values)).toEqual(values.map((v) => maskValue(key, "email", rule, v)));
    } finally {
      await pool.close();
    }
  }, 60_000);

  it("writes the same mapping as COPY text rows, escapes included, in order over every worker", async () => {
    const pool = await startMappingPool(key, 2);
    try {
      const values = Array.from({ length: 2500 }, (_, i) => (i % 7 === 0 ? `tab\there\\back\nline ${i}` : `Street ${i}`));
      const rule: ColumnRule = { transformer: "redact", keep: 3 };
      const rows = (await pool.mapToCopyText("redact[keep=3]", rule, values)).join("").split("\n").slice(0, -1);
      const field = (s: string) => s.replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n").replace(/\r/g, "\\r");
      expect(rows).toEqual(values.map((v) => `f\t${field(v)}\t${field(maskValue(key, "redact[keep=3]", rule, v))}`));
      await expect(pool.mapToCopyText("x", rule, ["a\u0000b"])).rejects.toBeInstanceOf(BuildError);
      await expect(pool.map("x", rule, ["a\u0000b"])).rejects.toBeInstanceOf(BuildError);
    } finally {
      await pool.close();
    }
  }, 60_000);

  it("rejects with a BuildError (no value in it) when a worker dies", async () => {
    process.env.DBCLONE_TEST_CRASH_AT = "mapping-worker";
    const pool = await startMappingPool(key, 2);
    try {
      const failure = await pool.map("email", { transformer: "email" }, ["secret.value@example.test"]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(failure).toBeInstanceOf(BuildError);
      expect((failure as Error).message).not.toContain("secret.value");
    } finally {
      await pool.close();
    }
  }, 60_000);
});
