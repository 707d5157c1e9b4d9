// The raw-byte half of the leak scan, on streams, a disk blob and a synthetic data directory:
// every stored original is found however the bytes are chunked and in either encoding; only
// published values (and live tuples) explain a hit. No PostgreSQL: pages are built byte by byte.
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { LogicalContent, storedForm, tagOfContainer } from "../../../../packages/core/src/masking/leak-scan/explain.js";
import { collectOriginals, type OriginalSet } from "../../../../packages/core/src/masking/leak-scan/originals.js";
import { PatternSetBuilder } from "../../../../packages/core/src/masking/leak-scan/pattern-set.js";
import {
  emptyTally,
  scanBlob,
  scanDataFiles,
  scanStream,
  type ResidueTally,
  type StreamSource,
} from "../../../../packages/core/src/masking/leak-scan/residue-scan.js";
import { heapPage, HEAP_XMIN_COMMITTED, PAGE } from "./heap-page.js";

const dir = mkdtempSync(path.join(os.tmpdir(), "dbclone-residue-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const source = (column: string) => ({ database: "d", schema: "s", table: "t", column, distinct: 3, rows: 3 });
const EMAIL = "mellie.kozey@example.org";
// Built in each test, not at load (a "static" mutant to Stryker otherwise: docs/testing.md).
let originals: OriginalSet;
beforeEach(() => {
  originals = collectOriginals([{ source: source("email"), values: [EMAIL, "ann.lee@example.org", "bo.ek@example.org"] }]);
});

async function* chunked(bytes: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}
const src = (over: Partial<StreamSource> = {}): StreamSource => ({ file: "disk.img", channelOf: (o) => `channel@${o}`, ...over });

async function scan(
  bytes: Buffer,
  chunk: number,
  plan: Parameters<typeof scanStream>[1] = originals.patterns,
  over: Partial<StreamSource> = {},
): Promise<ResidueTally> {
  const tally = emptyTally();
  await scanStream(chunked(bytes, chunk), plan, tally, src(over));
  return tally;
}

describe("scanStream: residue is found wherever the chunks fall", () => {
  it("an original split across every possible chunk boundary is found exactly once, at its offset", async () => {
    const disk = Buffer.concat([Buffer.alloc(37, 0x20), Buffer.from(EMAIL), Buffer.alloc(41, 0x20)]);
    for (let chunk = 1; chunk <= disk.length; chunk++) {
      const tally = await scan(disk, chunk);
      expect(tally.unexplainedCount, `chunk ${chunk}`).toBe(1);
      expect(tally.hits).toBe(1);
      expect(tally.unexplained).toEqual([{ original: 0, utf16: false, file: "disk.img", offset: 37, channel: "channel@37" }]);
      expect(tally.bytesScanned).toBe(disk.length);
      expect(tally.counts.get(0)).toBe(1);
    }
  });

  it("an original stored as UTF-16LE (SQL Server nvarchar) is found and reported as the UTF-16 twin", async () => {
    const disk = Buffer.concat([Buffer.alloc(10), Buffer.from("ann.lee@example.org", "utf16le"), Buffer.alloc(10)]);
    const tally = await scan(disk, 7);
    expect(tally.unexplained).toEqual([{ original: 1, utf16: true, file: "disk.img", offset: 10, channel: "channel@10" }]);
  });

  it("an original at the very start and one at the very end of the stream are both found", async () => {
    const disk = Buffer.concat([Buffer.from(EMAIL), Buffer.alloc(3), Buffer.from("bo.ek@example.org")]);
    const tally = await scan(disk, 5);
    expect(tally.unexplained.map((h) => [h.original, h.offset])).toEqual([
      [0, 0],
      [2, EMAIL.length + 3],
    ]);
    expect(tally.counts).toEqual(
      new Map([
        [0, 1],
        [2, 1],
      ]),
    );
  });

  it("keeps 20 examples but counts every hit, so a disk full of residue is reported whole", async () => {
    const disk = Buffer.concat(Array.from({ length: 25 }, () => Buffer.from(` ${EMAIL} `)));
    const tally = await scan(disk, 1000);
    expect(tally.unexplainedCount).toBe(25);
    expect(tally.unexplained).toHaveLength(20);
    expect(tally.counts.get(0)).toBe(25);
    expect(tally.unexplained[19]!.offset).toBe(19 * (EMAIL.length + 2) + 1);
  });

  it("adds to a tally that already holds another file's figures", async () => {
    const tally = emptyTally();
    const disk = Buffer.from(` ${EMAIL} `);
    await scanStream(chunked(disk, 4), originals.patterns, tally, src());
    await scanStream(chunked(disk, 4), originals.patterns, tally, src({ file: "second" }));
    expect(tally.bytesScanned).toBe(2 * disk.length);
    expect(tally.hits).toBe(2);
    expect(tally.counts.get(0)).toBe(2);
    expect(tally.unexplained.map((h) => h.file)).toEqual(["disk.img", "second"]);
  });

  it("a clean stream leaves every figure at zero", async () => {
    const tally = await scan(Buffer.alloc(5000, 0x41), 64);
    expect(tally).toEqual({ ...emptyTally(), bytesScanned: 5000 });
    expect(Object.values(tally.explained).every((v) => v === 0)).toBe(true);
  });
});

describe("scanStream: what explains a hit", () => {
  // An original inside a published masked value (its stored form) is explained; outside it, residue.
  const published = `note: ${EMAIL} was here`; // an unmasked column quoting an original
  let plan: ReturnType<LogicalContent["scanSet"]>;
  beforeEach(() => {
    const content = new LogicalContent(originals);
    content.addValue([Buffer.from(published)], { kind: "unmasked", column: { database: "d", schema: "s", table: "t", column: "note" } });
    plan = content.scanSet();
  });

  it("an original inside a published value is explained; the same original outside one is residue", async () => {
    const disk = Buffer.concat([storedForm(Buffer.from(published)).bytes, Buffer.alloc(30), Buffer.from(EMAIL), Buffer.alloc(30)]);
    for (const chunk of [1, 9, 64, disk.length]) {
      const tally = await scan(disk, chunk, plan);
      expect(tally.explained["unmasked-value"], `chunk ${chunk}`).toBe(1);
      expect(tally.hits).toBe(2);
      expect(tally.unexplainedCount).toBe(1);
      expect(tally.unexplained[0]!.offset).toBe(disk.length - 30 - EMAIL.length);
    }
  });

  it("a hit covered but for fewer than WINDOW bytes is explained; by WINDOW or more bytes outside it is residue", async () => {
    const b = new PatternSetBuilder();
    b.add(Buffer.from(EMAIL), 0);
    b.add(Buffer.from(EMAIL.slice(5)), -1 - 1); // a container: masked-value (tag −2)
    b.add(Buffer.from(EMAIL.slice(6)), -1 - 8 - 1); // another masked-value container, shorter
    const set = b.build();
    // "mellie.kozey…": the first container misses 5 bytes (< WINDOW): explained.
    const near = await scan(Buffer.concat([Buffer.alloc(8), Buffer.from(EMAIL), Buffer.alloc(8)]), 3, set);
    expect(near.explained["masked-value"]).toBe(1);
    expect(near.unexplainedCount).toBe(0);
    const only = new PatternSetBuilder();
    only.add(Buffer.from(EMAIL), 0);
    only.add(Buffer.from(EMAIL.slice(6)), -2);
    const far = await scan(Buffer.concat([Buffer.alloc(8), Buffer.from(EMAIL), Buffer.alloc(8)]), 3, only.build());
    expect(far.explained["masked-value"]).toBe(0);
    expect(far.unexplainedCount).toBe(1);
  });

  it("two published values that together cover an original explain it; with a gap of WINDOW bytes they do not", async () => {
    const mk = (a: string, c: string) => {
      const b = new PatternSetBuilder();
      b.add(Buffer.from(EMAIL), 0);
      b.add(Buffer.from(a), -2); // masked-value
      b.add(Buffer.from(c), -3); // unmasked-value
      return b.build();
    };
    const disk = Buffer.concat([Buffer.alloc(20), Buffer.from(EMAIL), Buffer.alloc(20)]);
    const joined = await scan(disk, 4, mk(`\0\0${EMAIL.slice(0, 12)}`, `${EMAIL.slice(12)}\0\0`));
    expect(joined.unexplainedCount).toBe(0);
    expect(joined.explained["masked-value"] + joined.explained["unmasked-value"]).toBe(1);
    expect(joined.explained["masked-value"]).toBe(1); // the larger share: 14 bytes of 24 with the zeros
    const gap = await scan(disk, 4, mk(`\0\0${EMAIL.slice(0, 6)}`, `${EMAIL.slice(12)}\0\0`));
    expect(gap.unexplainedCount).toBe(1);
  });

  it("an original the image publishes as a whole value is explained wherever it sits (a compressed copy of it)", async () => {
    const disk = Buffer.concat([Buffer.alloc(5), Buffer.from(EMAIL), Buffer.alloc(5), Buffer.from("ann.lee@example.org")]);
    const whole = new Uint8Array(3);
    whole[0] = 1;
    const tally = await scan(disk, 6, { set: originals.patterns, wholeValues: whole });
    expect(tally.explained["published-value"]).toBe(1);
    expect(tally.unexplained.map((h) => h.original)).toEqual([1]);
    const plain = await scan(disk, 6, { set: originals.patterns });
    expect(plain.unexplainedCount).toBe(2);
  });

  it("the file's structure gets a last look at a hit nothing published explains, with its offset and length", async () => {
    const disk = Buffer.concat([Buffer.alloc(11), Buffer.from(EMAIL), Buffer.alloc(3), Buffer.from("bo.ek@example.org")]);
    const asked: [number, number][] = [];
    const tally = await scan(disk, 8, originals.patterns, {
      explainByStructure: async (offset, length) => {
        asked.push([offset, length]);
        return offset === 11 ? "compressed" : undefined;
      },
    });
    expect(asked).toEqual([
      [11, EMAIL.length],
      [11 + EMAIL.length + 3, "bo.ek@example.org".length],
    ]);
    expect(tally.explained.compressed).toBe(1);
    expect(tally.unexplainedCount).toBe(1);
    expect(tally.unexplained[0]!.original).toBe(2);
  });

  it("past 64 containers (pruned as the scan moves on) the one covering a hit still explains it", async () => {
    const b = new PatternSetBuilder();
    b.add(Buffer.from(EMAIL), 0);
    const fillers = Array.from({ length: 70 }, (_, i) => Buffer.from(`filler-${String(i).padStart(4, "0")}`));
    for (const [i, f] of fillers.entries()) b.add(f, tagOfContainer(i + 1, "masked-value"));
    b.add(Buffer.from(`<${EMAIL}>`), tagOfContainer(400, "unmasked-value"));
    const disk = Buffer.concat([...fillers, Buffer.from(`<${EMAIL}>`), ...fillers, Buffer.from(EMAIL)]);
    const tally = await scan(disk, 97, b.build());
    expect(tally.explained["masked-value"]).toBe(0); // containers are not hits
    expect(tally.hits).toBe(2);
    expect(tally.explained["unmasked-value"]).toBe(1);
    expect(tally.unexplainedCount).toBe(1);
    expect(tally.unexplained[0]!.offset).toBe(disk.length - EMAIL.length);
  });
});

describe("scanBlob and scanDataFiles", () => {
  it("scanBlob reads every byte of the sealed disk, reports progress and names the blob", async () => {
    const blob = path.join(dir, "disk.raw");
    writeFileSync(blob, Buffer.concat([Buffer.alloc(5 * 1024 * 1024), Buffer.from(EMAIL), Buffer.alloc(100)]));
    const tally = emptyTally();
    const progress: number[] = [];
    await scanBlob(blob, originals.patterns, tally, (d) => progress.push(d));
    expect(tally.bytesScanned).toBe(5 * 1024 * 1024 + EMAIL.length + 100);
    expect(progress.at(-1)).toBe(tally.bytesScanned);
    expect(progress.length).toBeGreaterThan(1);
    expect(tally.unexplained).toEqual([
      { original: 0, utf16: false, file: "disk.raw", offset: 5 * 1024 * 1024, channel: "the disk outside the data files (free space or filesystem metadata)" },
    ]);
  });

  it("a dead tuple's original is residue, a live tuple's is not, and a kept WAL segment's is residue, each named by file and role", async () => {
    const root = path.join(dir, "pgdata");
    mkdirSync(path.join(root, "base", "5"), { recursive: true });
    mkdirSync(path.join(root, "pg_wal"), { recursive: true });
    const { page, dataAt } = heapPage([
      { data: Buffer.from(EMAIL) }, // live
      { data: Buffer.from("bo.ek@example.org"), xmax: 900, infomask: HEAP_XMIN_COMMITTED }, // deleted
    ]);
    writeFileSync(path.join(root, "base", "5", "16384"), Buffer.concat([Buffer.alloc(PAGE), page]));
    writeFileSync(path.join(root, "pg_wal", "000000010000000000000001"), Buffer.concat([Buffer.alloc(99), Buffer.from("ann.lee@example.org")]));
    writeFileSync(path.join(root, "PG_VERSION"), "15\n");
    symlinkSync(path.join(root, "pg_wal", "000000010000000000000001"), path.join(root, "a-link")); // not followed: counted once
    const tally = emptyTally();
    await scanDataFiles(root, originals.patterns, tally);
    expect(tally.explained["live-tuple"]).toBe(1);
    expect(tally.unexplained).toEqual([
      {
        original: 2,
        utf16: false,
        file: path.join("base", "5", "16384"),
        offset: PAGE + dataAt[1]!,
        channel: "a table page (dead tuple or a row no longer published) in relation file base/5/16384",
      },
      {
        original: 1,
        utf16: false,
        file: path.join("pg_wal", "000000010000000000000001"),
        offset: 99,
        channel: "a kept WAL segment (pg_wal/000000010000000000000001)",
      },
    ]);
    expect(tally.bytesScanned).toBe(2 * PAGE + 99 + 19 + 3);
  });

  it("the same original in a WAL segment is not explained by a page reading (only relation files have pages)", async () => {
    const root = path.join(dir, "walonly");
    mkdirSync(path.join(root, "pg_wal"), { recursive: true });
    const { page } = heapPage([{ data: Buffer.from(EMAIL) }]);
    writeFileSync(path.join(root, "pg_wal", "000000010000000000000002"), page); // looks like a live tuple, but it is WAL
    const tally = emptyTally();
    await scanDataFiles(root, originals.patterns, tally);
    expect(tally.explained["live-tuple"]).toBe(0);
    expect(tally.unexplainedCount).toBe(1);
  });
});
