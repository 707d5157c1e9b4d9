// Pass 2 of the one-pass leak scan reads the bytes around each candidate, ascending, through
// RangeReader; every candidate asks for the longest pattern's reach on both sides. With a container
// longer than the 1 MiB block (a long published text holding an original), a block just as wide as
// the range was read again for every candidate: 400 candidates 40 KB apart in a 16 MiB file took
// 400 reads of 8 MiB (0.45 s against 0.03 s; hours at the disk scan's millions of candidates).
// Consecutive candidates must be served from one block.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RangeReader } from "../../../../packages/core/src/masking/leak-scan/candidates.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "dbclone-range-reader-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("pass 2's range reader", () => {
  it("serves ascending candidates with a reach past its block from a few reads, with the right bytes", () => {
    const file = path.join(dir, "data");
    const data = Buffer.alloc(16 * 1024 * 1024);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >>> 13)) & 255;
    writeFileSync(file, data);
    const reach = 4 * 1024 * 1024;
    const reader = new RangeReader(file);
    try {
      for (let k = 0; k < 400; k++) {
        const p = 1000 + k * 40_000;
        const buf = reader.get(p - reach, p + reach + 6);
        const at = p - reader.base;
        expect(buf.subarray(at, at + 6).equals(data.subarray(p, p + 6))).toBe(true);
        expect(reader.base).toBeLessThanOrEqual(Math.max(0, p - reach));
        expect(reader.base + buf.length).toBeGreaterThanOrEqual(Math.min(data.length, p + reach + 6));
      }
      // 400 × 40 KB = 16 MB of progress, re-read at most once per reach or so (400 before).
      expect(reader.reads).toBeLessThanOrEqual(8);
    } finally {
      reader.close();
    }
  });
});
