// The one-pass leak scan against originals and data shaped to slip through it: originals of exactly
// the 6-byte window, multi-byte UTF-8 (whose UTF-16LE form is shorter or longer), originals that
// are substrings of others or share every window, runs of overlapping occurrences, hits at every
// offset across pass 1's 4 MiB read, at a file's first and last byte, in files shorter than a
// window, containers longer than a read, and published leaves at the 1-/4-byte header boundary and
// longer than the cache's buffer. Each case must give exactly what one scan with every original in
// one PatternSet gives (the per-batch path's semantics), over several partition counts.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LogicalContent, tagOfContainer, textLeaves, type ValueOrigin } from "../../../../packages/core/src/masking/leak-scan/explain.js";
import { matchPublishedOnePass, scanFilesOnePass } from "../../../../packages/core/src/masking/leak-scan/one-pass.js";
import { collectOriginals, tagOfOriginal } from "../../../../packages/core/src/masking/leak-scan/originals.js";
import { PatternSetBuilder, WINDOW } from "../../../../packages/core/src/masking/leak-scan/pattern-set.js";
import { PublishedCache } from "../../../../packages/core/src/masking/leak-scan/published-cache.js";
import { emptyTally, scanStream, type FileSource } from "../../../../packages/core/src/masking/leak-scan/residue-scan.js";
import { WindowIndex } from "../../../../packages/core/src/masking/leak-scan/window-index.js";
import { silentReporter } from "../../../../packages/core/src/reporter.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "dbclone-hostile-originals-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const CHUNK = 4 * 1024 * 1024;
const BIG = Number(process.env.HOSTILE_BIG ?? 5 * 1024 * 1024);

/** Hostile originals (UTF-8 strings, as the collector keeps them: ≥ 6 bytes, ≤ 64). */
const HOSTILE = [
  "abcdef", // exactly one window
  "abcdefg", // the first one is its prefix
  "zabcdefgz", // both inside it
  "日本", // 6 bytes of UTF-8; its UTF-16LE (4 bytes) is no pattern
  "日本語", // 9 bytes of UTF-8, 6 of UTF-16LE
  "😀😀", // 8 bytes of UTF-8, surrogate pairs in UTF-16LE
  "aaaaaa",
  "aaaaaaa",
  "aaaaaaaaaaaaaaaaaaaa", // every window the same, shared by the two above
  "Zoë Ångström", // Latin-1 letters: 2-byte UTF-8, 2-byte UTF-16LE each
  `q${"x".repeat(62)}q`, // 64 bytes, the longest an original is searched by
  "\u0001\u0002\u0003\u0004\u0005\u0006", // control bytes
  "ab\u0000cdef", // a NUL inside (SQL Server text can hold one)
  "person@mail.example", // the common-substring family
  "persons@mail.example",
  "person@mail.example.org",
];

const COLUMN_OF = (id: number) => id % 3;

function indexOf(values: string[], partitions: number): WindowIndex {
  const index = new WindowIndex(values.length, partitions, dir);
  index.addOriginals((each) => {
    for (const [id, v] of values.entries()) each(Buffer.from(v), id, COLUMN_OF(id), COLUMN_OF(id));
  }, tagOfOriginal);
  return index;
}

const source = (file: string): FileSource => ({ path: file, file: path.basename(file), channelOf: () => "test channel" });

/** The reference: every original (UTF-8, UTF-16LE) and container in one set; each file scanned in `feed`-sized chunks. */
async function referenceTally(values: string[], containers: { bytes: Buffer; tag: number }[], files: string[], feed = 65_537) {
  const b = new PatternSetBuilder();
  values.forEach((v, id) => {
    b.add(Buffer.from(v), tagOfOriginal(id, false));
    const utf16 = Buffer.from(v, "utf16le");
    if (utf16.length >= WINDOW) b.add(utf16, tagOfOriginal(id, true));
  });
  for (const c of containers) b.add(c.bytes, c.tag);
  const set = b.build();
  const tally = emptyTally();
  for (const file of files) {
    const data = readFileSync(file);
    await scanStream(
      (async function* () {
        for (let at = 0; at < data.length; at += feed) yield data.subarray(at, at + feed);
      })(),
      set,
      tally,
      source(file),
    );
  }
  return tally;
}

function filler(size: number, seed = 0x9e3779b9): Buffer {
  const data = Buffer.alloc(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    data[i] = 32 + ((x >>> 0) % 95);
  }
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

async function onePass(values: string[], containers: { bytes: Buffer; tag: number }[], files: string[], partitions: number) {
  const index = indexOf(values, partitions);
  try {
    const b = new PatternSetBuilder();
    for (const c of containers) b.add(c.bytes, c.tag);
    index.addContainers(b.parts());
    const tally = emptyTally();
    await scanFilesOnePass(index, files.map(source), tally, undefined, silentReporter, "test");
    return tally;
  } finally {
    index.dispose();
  }
}

describe("the one-pass scan of data files, against hostile originals", () => {
  it.each([1, 4, 32])("finds what one scan finds: every original, its UTF-16LE form, overlaps and runs (%i partitions)", async (partitions) => {
    const planted: Buffer[] = [];
    HOSTILE.forEach((v) => {
      planted.push(Buffer.from(v));
      const utf16 = Buffer.from(v, "utf16le");
      if (utf16.length >= WINDOW) planted.push(utf16);
    });
    planted.push(Buffer.from("a".repeat(200))); // every "a" original, at every offset of a run
    planted.push(Buffer.from("zabcdefgzabcdefgz")); // overlapping copies
    const data = filler(300_000);
    let at = 0; // the first at offset 0
    for (const p of planted) {
      p.copy(data, at);
      at += p.length + 1000;
    }
    const last = Buffer.from(HOSTILE[0]!);
    last.copy(data, data.length - last.length); // the last at the file's very end
    const file = path.join(dir, "data");
    writeFileSync(file, data);
    const expected = await referenceTally(HOSTILE, [], [file]);
    expect(expected.hits).toBeGreaterThan(planted.length + 150);
    for (let id = 0; id < HOSTILE.length; id++) expect(expected.counts.get(id) ?? 0, HOSTILE[id]).toBeGreaterThan(0);
    expect(comparable(await onePass(HOSTILE, [], [file], partitions))).toEqual(comparable(expected));
  });

  it("finds an original whose window straddles pass 1's read at every offset, once each", async () => {
    // Pass 1's first read fills its whole buffer: 4 MiB + 5 bytes of carry room + 1.
    const boundary = CHUNK + WINDOW;
    // A 6-byte original is its only window: planted at every start from wholly before the read's
    // end to wholly after it. 64-byte ones around it too. Each in its own file (they would overlap).
    const plants: [string, number][] = [
      ...Array.from({ length: 9 }, (_, i): [string, number] => [`#${i}#${"~!"[i % 2]}~#`, boundary - 7 + i]),
      ...[-64, -40, -1, 0].map((d, i): [string, number] => [`${i}|${"x".repeat(60)}|${i}`, boundary + d]),
    ];
    const data = filler(boundary + 200);
    const files = plants.map(([v, at], i) => {
      const d = Buffer.from(data);
      Buffer.from(v).copy(d, at);
      const f = path.join(dir, `f${i}`);
      writeFileSync(f, d);
      return f;
    });
    const values = plants.map(([v]) => v);
    expect(values.every((v) => Buffer.byteLength(v) >= WINDOW)).toBe(true);
    const expected = await referenceTally(values, [], files, CHUNK);
    expect(expected.hits).toBe(values.length);
    expect(comparable(await onePass(values, [], files, 8))).toEqual(comparable(expected));
  }, 60_000);

  it("handles empty files, files shorter than a window and an original split across two files like one scan", async () => {
    const values = ["abcdefgh", "short!"];
    const files = [
      ["empty", Buffer.alloc(0)],
      ["five", Buffer.from("abcde")],
      ["six", Buffer.from("short!")],
      ["head", Buffer.from("xxxxabcd")], // with the next file: "abcdefgh" spans two files, in none
      ["tail", Buffer.from("efghxxxx")],
    ].map(([name, bytes]) => {
      const f = path.join(dir, name as string);
      writeFileSync(f, bytes as Buffer);
      return f;
    });
    const expected = await referenceTally(values, [], files);
    expect(expected.hits).toBe(1);
    expect(comparable(await onePass(values, [], files, 2))).toEqual(comparable(expected));
  });

  it("explains an original inside a container longer than pass 1's read, and still finds the bare one next to it", async () => {
    const original = "needle.person@example.com";
    const container = Buffer.concat([filler(CHUNK + 1000, 7), Buffer.from(original), filler(1000, 9)]);
    const data = Buffer.concat([filler(3000, 11), container, Buffer.from("  "), Buffer.from(original), filler(3000, 13)]);
    const file = path.join(dir, "data");
    writeFileSync(file, data);
    const containers = [{ bytes: container, tag: tagOfContainer(0, "masked-value") }];
    const expected = await referenceTally([original], containers, [file], CHUNK);
    expect(expected.hits).toBe(2);
    expect(expected.explained["masked-value"]).toBe(1);
    expect(expected.unexplainedCount).toBe(1);
    expect(comparable(await onePass([original], containers, [file], 2))).toEqual(comparable(expected));
  }, 60_000);
});

describe("the one-pass match of published data, against hostile originals and leaves", () => {
  const masked: ValueOrigin = { kind: "masked" };
  const unmasked: ValueOrigin = { kind: "unmasked", column: { database: "d", schema: "s", table: "notes", column: "body" } };

  it.each([1, 8])("gives the containers, copies and whole values of one match (%i partitions)", async (partitions) => {
    const sources = [0, 1, 2].map((c) => ({ database: "d", schema: "s", table: "t", column: `c${c}`, distinct: 100, rows: 100, unique: true }));
    const all = collectOriginals(sources.map((s, c) => ({ source: s, values: HOSTILE.filter((_, id) => COLUMN_OF(id) === c) })));
    const byId = sources.flatMap((_, c) => HOSTILE.filter((_, id) => COLUMN_OF(id) === c));
    const index = new WindowIndex(byId.length, partitions, dir);
    index.addOriginals((each) => {
      for (const [id, v] of byId.entries()) each(Buffer.from(v), id, all.sourceOf[id]!, all.strongestSourceOf[id]!);
    }, tagOfOriginal);
    const VALUES: [unknown, ValueOrigin][] = [
      ...HOSTILE.map((v): [unknown, ValueOrigin] => [v, masked]), // each a whole value
      [HOSTILE[0]!.slice(1), masked], // 5 bytes: "bcdef" behind its length byte
      [`${"y".repeat(126 - HOSTILE[2]!.length)}${HOSTILE[2]}`, unmasked], // 126 bytes: the last 1-byte header
      [`${"y".repeat(127 - HOSTILE[2]!.length)}${HOSTILE[2]}`, unmasked], // 127 bytes: a 4-byte header
      [[`pre ${HOSTILE[4]}`, { k: HOSTILE[5] }], unmasked], // array and JSON leaves
      [`${"z".repeat(BIG)}${HOSTILE[13]}`, unmasked], // a leaf longer than the cache's buffer
      [Buffer.from(HOSTILE[10]!, "utf16le"), unmasked], // bytes holding a UTF-16LE original
      ["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", unmasked], // a run
    ];
    const direct = new LogicalContent(all);
    for (const [v, o] of VALUES) direct.addValue(textLeaves(v), o);
    const cache = new PublishedCache(dir);
    for (const [v, o] of VALUES) cache.addValue(textLeaves(v), o);
    cache.seal();
    const content = new LogicalContent(all);
    try {
      await matchPublishedOnePass(index, cache.describe(), content, silentReporter);
      const summary = (c: LogicalContent) => ({
        containers: c.containerParts(),
        // Per source column: the one-pass match meets the columns in another order (same sets).
        copies: [...c.copies].map(([k, f]) => [k, [...f.bySource].map(([s, ids]) => [s, [...ids].sort()]).sort((a, b) => Number(a[0]) - Number(b[0]))]),
        whole: [...c.wholeValues.entries()].filter(([, v]) => v).map(([i]) => i),
      });
      const expected = summary(direct);
      expect(expected.whole.length).toBe(HOSTILE.length);
      expect(expected.copies).toHaveLength(1);
      const got = summary(content);
      expect(got.whole).toEqual(expected.whole);
      expect(got.copies).toEqual(expected.copies);
      expect([...got.containers.tags]).toEqual([...expected.containers.tags]);
      expect([...got.containers.offsets]).toEqual([...expected.containers.offsets]);
      expect(Buffer.from(got.containers.arena).equals(Buffer.from(expected.containers.arena))).toBe(true);
    } finally {
      cache.dispose();
      index.dispose();
    }
  });
});
