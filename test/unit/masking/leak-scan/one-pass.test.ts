// The one-pass leak scan (one-pass.ts, window-index.ts): every window of the data hashed once
// against all originals, however many partitions they are split into; the verified matches give
// exactly what one scan with every original in one PatternSet gives; a candidate whose window
// passes the filter or even shares a pattern's hash but not its bytes is rejected; a true hit is
// found exactly once, across pass 1's chunk boundary.
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LogicalContent, tagOfContainer, textLeaves, type ValueOrigin } from "../../../../packages/core/src/masking/leak-scan/explain.js";
import { matchPublishedOnePass, scanFilesOnePass } from "../../../../packages/core/src/masking/leak-scan/one-pass.js";
import { collectOriginals, tagOfOriginal } from "../../../../packages/core/src/masking/leak-scan/originals.js";
import { PatternSetBuilder, WINDOW, windowHash } from "../../../../packages/core/src/masking/leak-scan/pattern-set.js";
import { PublishedCache } from "../../../../packages/core/src/masking/leak-scan/published-cache.js";
import { emptyTally, scanStream, type FileSource } from "../../../../packages/core/src/masking/leak-scan/residue-scan.js";
import { WindowIndex } from "../../../../packages/core/src/masking/leak-scan/window-index.js";
import { silentReporter } from "../../../../packages/core/src/reporter.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "dbclone-onepass-test-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const ORIGINALS = Array.from({ length: 3000 }, (_, i) => (i % 3 === 0 ? `person.${i}@mail${i % 7}.example` : i % 3 === 1 ? `Surname${i}` : `${i} Main Street`));
const COLUMN_OF = (id: number) => id % 3;

/** An index of `values` (ids in order) in `partitions` partitions, under dir. */
function indexOf(values: (string | Buffer)[], partitions: number): WindowIndex {
  const index = new WindowIndex(values.length, partitions, dir);
  index.addOriginals((each) => {
    for (const [id, v] of values.entries()) each(Buffer.from(v), id, COLUMN_OF(id), COLUMN_OF(id));
  }, tagOfOriginal);
  return index;
}

/** The reference: one PatternSet holding every original (UTF-8, UTF-16LE) and every container, one scan. */
async function referenceTally(values: (string | Buffer)[], containers: { bytes: Buffer; tag: number }[], file: string) {
  const b = new PatternSetBuilder();
  values.forEach((v, id) => {
    b.add(Buffer.from(v), tagOfOriginal(id, false));
    const utf16 = Buffer.from(Buffer.from(v).toString("utf8"), "utf16le");
    if (utf16.length >= WINDOW) b.add(utf16, tagOfOriginal(id, true));
  });
  for (const c of containers) b.add(c.bytes, c.tag);
  const tally = emptyTally();
  await scanStream(
    (async function* () {
      yield await import("node:fs/promises").then((f) => f.readFile(file));
    })(),
    b.build(),
    tally,
    source(file),
  );
  return tally;
}

const source = (file: string): FileSource => ({ path: file, file: path.basename(file), channelOf: () => "test channel" });

/** Deterministic filler bytes (xorshift), with originals planted at given offsets. */
function dataWith(size: number, planted: [number, Buffer][]): Buffer {
  const data = Buffer.alloc(size);
  let x = 0x9e3779b9;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    data[i] = 32 + ((x >>> 0) % 95); // printable: windows look like text
  }
  for (const [at, bytes] of planted) bytes.copy(data, at);
  return data;
}

const comparable = (t: ReturnType<typeof emptyTally>) => ({
  bytes: t.bytesScanned,
  hits: t.hits,
  explained: t.explained,
  unexplainedCount: t.unexplainedCount,
  unexplained: t.unexplained.map(({ source: _s, ...h }) => h),
  counts: [...t.counts].sort((a, b) => a[0] - b[0]),
});

describe("the one-pass scan of the data files", () => {
  it("hashes every window once for 16 partitions and finds what one scan with all originals finds", async () => {
    const container = Buffer.from(`Dear ${ORIGINALS[4]}, thank you`); // a published value holding an original: explains it
    const planted: [number, Buffer][] = [
      [1000, Buffer.from(ORIGINALS[0]!)],
      [50_000, Buffer.from(ORIGINALS[2999]!, "utf16le")],
      [90_000, container],
      [120_000, Buffer.from(ORIGINALS[1500]!)],
      [120_000 + ORIGINALS[1500]!.length, Buffer.from(ORIGINALS[1501]!)], // two adjacent
    ];
    const file = path.join(dir, "data");
    writeFileSync(file, dataWith(200_000, planted));
    const index = indexOf(ORIGINALS, 16);
    const containers = [{ bytes: container, tag: tagOfContainer(0, "unmasked-value") }];
    const b = new PatternSetBuilder();
    for (const c of containers) b.add(c.bytes, c.tag);
    index.addContainers(b.parts());
    for (let k = 0; k < 16; k++) expect(index.load(k).set.size).toBeGreaterThan(0); // every partition holds originals
    const tally = emptyTally();
    const stats = await scanFilesOnePass(index, [source(file)], tally, undefined, silentReporter, "test");
    expect(stats.positions).toBe(200_000 - WINDOW + 1); // each window once, not once per partition
    expect(stats.bytes).toBe(200_000);
    const expected = await referenceTally(ORIGINALS, containers, file);
    expect(expected.hits).toBeGreaterThanOrEqual(5);
    expect(expected.explained["unmasked-value"]).toBe(1);
    expect(comparable(tally)).toEqual(comparable(expected));
    expect(tally.unexplained.map((h) => h.source)).toEqual(tally.unexplained.map((h) => COLUMN_OF(h.original)));
    index.dispose();
  });

  it("rejects candidates that pass the filter, and one whose window has a pattern's hash but not its bytes", async () => {
    // A second 6-byte window with the hash of a pattern's only window (birthday search, seeded).
    const seen = new Map<number, Buffer>();
    let pair: [Buffer, Buffer] | undefined;
    let x = 0x12345678;
    while (!pair) {
      const w = Buffer.alloc(WINDOW);
      for (let k = 0; k < WINDOW; k++) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        w[k] = x & 255;
      }
      const m = windowHash(w, 0);
      const other = seen.get(m);
      if (other && !other.equals(w)) pair = [other, w];
      else seen.set(m, w);
    }
    const [pattern, impostor] = pair;
    expect(windowHash(impostor, 0)).toBe(windowHash(pattern, 0));
    const values: (string | Buffer)[] = [pattern, ...ORIGINALS.slice(0, 200)];
    const file = path.join(dir, "data");
    writeFileSync(
      file,
      dataWith(20_000, [
        [5000, impostor],
        [9000, Buffer.from(values[7]!)],
      ]),
    );
    const index = indexOf(values, 8);
    index.filter.bits.fill(0xffffffff); // every window passes the filter: only verification decides
    const tally = emptyTally();
    const stats = await scanFilesOnePass(index, [source(file)], tally, undefined, silentReporter, "test");
    expect(stats.candidates).toBe(20_000 - WINDOW + 1);
    expect(stats.hashHits).toBeGreaterThan(0); // the impostor's window is indexed (the pattern's hash)
    expect(tally.hits).toBe(1);
    expect([...tally.counts]).toEqual([[7, 1]]);
    expect(comparable(tally)).toEqual(comparable(await referenceTally(values, [], file)));
    index.dispose();
  });

  it("finds a true hit exactly once, across pass 1's chunk boundary, and keeps its files private until removed", async () => {
    const at = 4 * 1024 * 1024 - 3; // straddles the first 4 MiB read
    const file = path.join(dir, "data");
    writeFileSync(file, dataWith(4 * 1024 * 1024 + 4096, [[at, Buffer.from(ORIGINALS[42]!)]]));
    const index = indexOf(ORIGINALS, 32);
    expect(statSync(index.dir).mode & 0o777).toBe(0o700);
    expect(statSync(path.join(index.dir, "p0")).mode & 0o777).toBe(0o600);
    const tally = emptyTally();
    const stats = await scanFilesOnePass(index, [source(file)], tally, undefined, silentReporter, "test");
    expect(stats.matches).toBe(1);
    expect(tally.hits).toBe(1);
    expect(tally.unexplained).toEqual([{ original: 42, utf16: false, file: "data", offset: at, channel: "test channel", source: COLUMN_OF(42) }]);
    index.dispose();
    expect(existsSync(index.dir)).toBe(false);
  });

  it("lets timers run between pass 1's chunks and over the published data (the progress bar, the RSS sampler)", async () => {
    const file = path.join(dir, "data");
    writeFileSync(file, dataWith(3 * 4 * 1024 * 1024, [[5000, Buffer.from(ORIGINALS[7]!)]]));
    const index = indexOf(ORIGINALS, 8);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    try {
      const seen: number[] = [];
      const stats = await scanFilesOnePass(index, [source(file)], emptyTally(), undefined, silentReporter, "test", () => seen.push(ticks));
      expect(stats.matches).toBe(1);
      expect(seen).toHaveLength(3);
      expect(seen[2]!).toBeGreaterThan(seen[0]!); // a timer ran while pass 1 worked
      const after = ticks;
      const cache = new PublishedCache(dir);
      for (let i = 0; i < 200; i++) cache.addValue(textLeaves(`note ${i} ${"x".repeat(100_000)}`), { kind: "masked" }); // 20 MB: 5 reads
      cache.seal();
      await matchPublishedOnePass(index, cache.describe(), new LogicalContent(collectOriginals([])), silentReporter);
      cache.dispose();
      expect(ticks).toBeGreaterThan(after + 2); // and while the published data's pass 1 worked
    } finally {
      clearInterval(timer);
      index.dispose();
    }
  });

  it("refuses to verify against a partition cut short", async () => {
    const file = path.join(dir, "data");
    writeFileSync(file, dataWith(10_000, [[100, Buffer.from(ORIGINALS[3]!)]]));
    const index = indexOf(ORIGINALS, 4);
    const part = path.join(index.dir, "p1");
    writeFileSync(part, Buffer.alloc(Math.max(0, statSync(part).size - 7)));
    await expect(scanFilesOnePass(index, [source(file)], emptyTally(), undefined, silentReporter, "test")).rejects.toThrow(/cut short or changed/);
    index.dispose();
  });
});

describe("the one-pass match of the published data", () => {
  const masked: ValueOrigin = { kind: "masked" };
  const unmasked: ValueOrigin = { kind: "unmasked", column: { database: "d", schema: "s", table: "notes", column: "body" } };
  const VALUES: [unknown, ValueOrigin][] = [
    [ORIGINALS[1]!, masked],
    [`see ${ORIGINALS[3]} and ${ORIGINALS[6]}`, unmasked],
    [ORIGINALS[3]!.slice(1), masked], // behind its length byte
    [`${"y".repeat(300)}${ORIGINALS[2998]}`, unmasked], // a 4-byte header
    ["nothing here at all", masked],
  ];

  it("gives the containers, copies and whole values of one match against all originals, over 8 partitions", async () => {
    const sources = [0, 1, 2].map((c) => ({ database: "d", schema: "s", table: "t", column: `c${c}`, distinct: 1000, rows: 1000, unique: true }));
    const all = collectOriginals(sources.map((s, c) => ({ source: s, values: ORIGINALS.filter((_, id) => COLUMN_OF(id) === c) })));
    // collectOriginals numbers by column: the index reads the same ids in the same order.
    const byId: string[] = sources.flatMap((_, c) => ORIGINALS.filter((_, id) => COLUMN_OF(id) === c));
    const index = new WindowIndex(byId.length, 8, dir);
    index.addOriginals((each) => {
      for (const [id, v] of byId.entries()) each(Buffer.from(v), id, all.sourceOf[id]!, all.strongestSourceOf[id]!);
    }, tagOfOriginal);
    const direct = new LogicalContent(all);
    for (const [v, o] of VALUES) direct.addValue(textLeaves(v), o);
    const cache = new PublishedCache(dir);
    for (const [v, o] of VALUES) cache.addValue(textLeaves(v), o);
    cache.seal();
    const onePass = new LogicalContent(all);
    const stats = await matchPublishedOnePass(index, cache.describe(), onePass, silentReporter);
    const summary = (c: LogicalContent) => ({
      containers: c.containerParts(),
      copies: [...c.copies].map(([k, f]) => [k, [...f.bySource].map(([s, ids]) => [s, [...ids].sort()])]),
      whole: [...c.wholeValues.entries()].filter(([, v]) => v).map(([i]) => i),
    });
    const expected = summary(direct);
    expect(expected.containers.tags.length).toBeGreaterThanOrEqual(3);
    expect(expected.copies).toHaveLength(1);
    expect(summary(onePass)).toEqual(expected);
    expect(stats.matches).toBeGreaterThanOrEqual(3);
    cache.dispose();
    index.dispose();
  });
});
