// Pass 2 of the one-pass leak scan in bounded memory: the partition count follows the originals
// (twice the originals: twice the partitions, the same bytes loaded at once); every partition loads
// into the same reused arrays, so no earlier partition's arrays wait for the collector beside the
// next; many patterns whose windows are all common spread over partitions instead of filling one;
// the verifying reads reuse one block, also for a range longer than it.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { bytesPerOriginal } from "../../../../packages/core/src/masking/leak-scan/bucket-dedupe.js";
import { CandidateWriter, RangeReader } from "../../../../packages/core/src/masking/leak-scan/candidates.js";
import { tagOfOriginal } from "../../../../packages/core/src/masking/leak-scan/originals.js";
import { partitionsFor, WindowIndex } from "../../../../packages/core/src/masking/leak-scan/window-index.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "dbclone-partition-memory-test-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const realistic = (i: number) =>
  i % 3 === 0 ? `person.${i}@mail${i % 97}.example` : i % 3 === 1 ? `+1 555 ${String(i).padStart(7, "0")}` : `${i} Main Street`;

/** An index of `count` originals, its partitions sized as a build sizes them for `budget`. */
function indexOf(count: number, original: (i: number) => string, budget: number, partitions?: number): WindowIndex {
  let loaded = 0;
  for (let i = 0; i < count; i++) loaded += bytesPerOriginal(Buffer.byteLength(original(i)));
  const index = new WindowIndex(count, partitions ?? partitionsFor(loaded, budget), dir);
  index.addOriginals((each) => {
    for (let i = 0; i < count; i++) each(Buffer.from(original(i)), i, 0, 0);
  }, tagOfOriginal);
  return index;
}

describe("one-pass leak scan: pass 2's memory", () => {
  it("loads every partition into the same arrays, whatever the order", () => {
    const index = indexOf(6000, realistic, 128 * 1024, 8);
    try {
      const buffers = new Set<ArrayBufferLike>();
      const sizes = new Map<number, number>();
      const firstPattern = new Map<number, string>();
      let bytes = -1;
      for (const k of [3, 0, 7, 1, 6, 2, 5, 4, 3]) {
        const { set, first, strongest } = index.load(k);
        buffers.add(first.buffer);
        buffers.add(strongest.buffer);
        if (bytes < 0) bytes = index.loadedBytes;
        expect(index.loadedBytes).toBe(bytes); // sized for the largest at the first load: nothing grows
        const head = Buffer.from(set.pattern(0)).toString("latin1");
        if (sizes.has(k)) {
          // Loaded again after the others overwrote the arrays: the same patterns.
          expect(set.size).toBe(sizes.get(k));
          expect(head).toBe(firstPattern.get(k));
        }
        sizes.set(k, set.size);
        firstPattern.set(k, head);
      }
      expect(buffers.size).toBe(2);
      expect([...sizes.values()].reduce((a, n) => a + n, 0)).toBe(12000); // every pattern (UTF-8 and UTF-16) in one partition
    } finally {
      index.dispose();
    }
  });

  it("sizes the partitions to the originals: twice the originals, twice the partitions, the same bytes loaded", () => {
    const budget = 256 * 1024;
    const small = indexOf(20000, realistic, budget);
    const large = indexOf(40000, realistic, budget);
    try {
      for (const index of [small, large]) for (let k = 0; k < index.partitions; k++) index.load(k);
      expect(large.partitions).toBe(2 * small.partitions);
      expect(small.partitions).toBeGreaterThanOrEqual(8);
      expect(large.loadedBytes).toBeLessThan(1.3 * small.loadedBytes);
      // The read buffers (2 MiB) aside, one loaded partition stays near the budget.
      expect(large.loadedBytes - 2 * 1048576 - 0x10000).toBeLessThan(2 * budget);
    } finally {
      small.dispose();
      large.dispose();
    }
  });

  it("spreads patterns whose every window is common over the partitions", () => {
    // Every window of these (UTF-8 and UTF-16) is shared by hundreds of others: without a tie-break
    // by the whole pattern they would all be indexed by their first window, in one partition.
    const common = (i: number) => `Main Street ${i.toString(2).padStart(16, "0").replace(/0/g, "x").replace(/1/g, "y")}`;
    const index = indexOf(40000, common, 1, 16);
    try {
      expect(index.largestPartition).toBeLessThan((2 * (2 * 40000)) / 16);
    } finally {
      index.dispose();
    }
  });

  it("bounds pass 1's candidate write buffers however many partitions, and reads back what was written", () => {
    for (const partitions of [64, 1024]) {
      const writer = new CandidateWriter(dir, `c${partitions}`, partitions);
      try {
        expect(writer.bufferBytes).toBeLessThanOrEqual(16 * 1048576);
        // More than one buffer's worth in one partition: flushed on the way, all read back in order.
        for (let i = 0; i < 5000; i++) writer.add(partitions - 1, i * 3, i, i ^ 0x5a5a);
        writer.add(0, 7, 1, 2);
        writer.close();
        const back: number[] = [];
        writer.read(partitions - 1, (p, aux, m) => {
          if (aux !== p / 3 || m !== (aux ^ 0x5a5a)) throw new Error(`candidate ${aux} read back wrong`);
          back.push(aux);
        });
        expect(back).toEqual(Array.from({ length: 5000 }, (_, i) => i));
      } finally {
        writer.dispose();
      }
    }
  });

  it("reads ranges through one reused block, and a range longer than the block whole", () => {
    const file = path.join(dir, "data");
    const bytes = Buffer.alloc(3 * 1048576);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7 + (i >>> 11)) & 0xff;
    writeFileSync(file, bytes);
    const reader = new RangeReader(file);
    try {
      const block = reader.buffer;
      for (const [from, to] of [
        [10, 20],
        [1048000, 1049000],
        [2500000, 2500100],
      ] as const) {
        const got = reader.get(from, to);
        expect(got.subarray(from - reader.base, to - reader.base).equals(bytes.subarray(from, to))).toBe(true);
        expect(reader.buffer === block).toBe(true); // (not toBe: a failure would print two 1 MiB buffers)
      }
      const long = reader.get(100, 100 + 2 * 1048576);
      expect(long.subarray(100 - reader.base, 100 + 2 * 1048576 - reader.base).equals(bytes.subarray(100, 100 + 2 * 1048576))).toBe(true);
      const next = reader.get(3000000, 3000010);
      expect(next.subarray(3000000 - reader.base, 3000010 - reader.base).equals(bytes.subarray(3000000, 3000010))).toBe(true);
    } finally {
      reader.close();
    }
  });
});
