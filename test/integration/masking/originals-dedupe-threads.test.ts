// The leak scan's spilled originals deduplicated and sorted on the mapping worker threads
// (OriginalsSpill.finishWith + MappingPool.dedupe) give the same batches and ids as in the process.
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { OriginalsCollector } from "../../../packages/core/src/masking/leak-scan/originals-collector.js";
import { isHighCardinality, type OriginalSet, type OriginalSource } from "../../../packages/core/src/masking/leak-scan/originals.js";
import { startMappingPool } from "../../../packages/core/src/masking/transformers/mapping-pool.js";

const sources: OriginalSource[] = [
  { database: "d", schema: "s", table: "t", column: "email", distinct: 3000, rows: 3000, transformer: "email" },
  { database: "d", schema: "s", table: "t", column: "first", distinct: 400, rows: 3000, transformer: "firstName" },
];
const columns = [
  Array.from({ length: 3000 }, (_, i) => `person.${i}@spill.example`),
  [...Array.from({ length: 400 }, (_, i) => `Name${i}`), "Ann", "person.7@spill.example"], // a short, and one email again
];

function fill(reverse: boolean): OriginalsCollector {
  const collector = new OriginalsCollector(sources, { budget: 20_000 });
  const high = sources.map(isHighCardinality);
  const pairs = columns.flatMap((values, c) => values.map((v) => [v, c] as const));
  for (const [v, c] of reverse ? pairs.reverse() : pairs) collector.add(v, c, high[c] ? c : -1);
  return collector;
}

async function listing(s: OriginalSet): Promise<string[]> {
  const out: string[] = [];
  for await (const batch of s.batches()) {
    for (let i = 0; i < batch.patterns.size; i++) {
      const tag = batch.patterns.tags[i]!;
      out.push(`${tag}:${Buffer.from(batch.patterns.pattern(i)).toString("hex")}:${tag & 1 ? "" : batch.sourceOfId(tag >>> 1)}`);
    }
  }
  return out;
}

describe("spilled originals finished on the worker threads", () => {
  it("give the same batches, ids and columns as finished in the process", async () => {
    const inProcess = fill(false).finish();
    const threaded = fill(true);
    const dir = threaded.spillDirectory;
    let pool: Awaited<ReturnType<typeof startMappingPool>> | undefined;
    let set: OriginalSet | undefined;
    try {
      pool = await startMappingPool(Buffer.from("spill-test-key"), 2);
      const workers = pool;
      let calls = 0;
      set = await threaded.finishWith((records) => {
        calls++;
        return workers.dedupe(records);
      }, workers.size);
      expect(dir).toBeDefined();
      expect(calls).toBeGreaterThan(3); // every bucket went to a worker
      expect(set.batchCount).toBeGreaterThan(1);
      expect([set.batchCount, set.searched, set.distinctTotal]).toEqual([inProcess.batchCount, inProcess.searched, inProcess.distinctTotal]);
      expect(await listing(set)).toEqual(await listing(inProcess));
    } finally {
      await pool?.close();
      inProcess.dispose();
      set?.dispose();
      threaded.dispose();
    }
    expect(existsSync(dir!)).toBe(false);
  });
});
