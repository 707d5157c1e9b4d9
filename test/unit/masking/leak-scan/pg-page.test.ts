// The page reader of the leak scan: a hit in a live tuple is published data; the same original in a
// dead tuple (deleted, updated, aborted insert), free space or a dead line pointer is residue.
// Pages are built byte by byte (heap-page.ts), no PostgreSQL.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { channelOfFile, explainInPage, insideCompressedDatum, isRelationFile } from "../../../../packages/core/src/masking/leak-scan/pg-page.js";
import {
  compressedDatum,
  heapPage,
  HEAP_XMAX_INVALID,
  HEAP_XMAX_LOCK_ONLY,
  HEAP_XMIN_COMMITTED,
  HEAP_XMIN_INVALID,
  indexPage,
  LP_DEAD,
  LP_UNUSED,
  PAGE,
} from "./heap-page.js";

const dir = mkdtempSync(path.join(os.tmpdir(), "dbclone-pgpage-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
/** Write pages to a file; the hit offsets below are file offsets. */
function file(...pages: Buffer[]): string {
  const f = path.join(dir, `f${n++}`);
  writeFileSync(f, Buffer.concat(pages));
  return f;
}

const ORIGINAL = Buffer.from("mellie.kozey@example.org");
const W = 6;

describe("explainInPage: live tuples explain, dead ones do not", () => {
  it("an original inside a live tuple is published data; the same original in a deleted tuple on the same page is residue", async () => {
    const { page, dataAt } = heapPage([
      { data: ORIGINAL }, // live: xmin committed, xmax invalid
      { data: ORIGINAL, xmax: 200, infomask: HEAP_XMIN_COMMITTED }, // deleted by a committed xmax
    ]);
    const f = file(page);
    expect(await explainInPage(f, dataAt[0]!, ORIGINAL.length, W)).toBe("live-tuple");
    expect(await explainInPage(f, dataAt[1]!, ORIGINAL.length, W)).toBeUndefined();
  });

  it("reads the page the hit is on, not the first page of the file", async () => {
    const dead = heapPage([{ data: ORIGINAL, xmax: 7, infomask: 0 }]);
    const live = heapPage([{ data: ORIGINAL }]);
    const f = file(dead.page, live.page);
    expect(await explainInPage(f, PAGE + live.dataAt[0]!, ORIGINAL.length, W)).toBe("live-tuple");
    expect(await explainInPage(f, dead.dataAt[0]!, ORIGINAL.length, W)).toBeUndefined();
  });

  it("an aborted insert (xmin invalid, not committed) is residue; a frozen tuple (both bits) and a lock-only or invalid xmax are live", async () => {
    const { page, dataAt } = heapPage([
      { data: ORIGINAL, infomask: HEAP_XMIN_INVALID | HEAP_XMAX_INVALID },
      { data: ORIGINAL, infomask: HEAP_XMIN_INVALID | HEAP_XMIN_COMMITTED | HEAP_XMAX_INVALID },
      { data: ORIGINAL, xmax: 300, infomask: HEAP_XMIN_COMMITTED | HEAP_XMAX_LOCK_ONLY },
      { data: ORIGINAL, xmax: 300, infomask: HEAP_XMAX_INVALID },
      { data: ORIGINAL, xmax: 0, infomask: 0 },
    ]);
    const f = file(page);
    const verdicts = await Promise.all(dataAt.map((at) => explainInPage(f, at, ORIGINAL.length, W)));
    expect(verdicts).toEqual([undefined, "live-tuple", "live-tuple", "live-tuple", "live-tuple"]);
  });

  it("a dead or unused line pointer, or one too short for a tuple header, explains nothing, though its bytes look live", async () => {
    const { page, dataAt } = heapPage([
      { data: ORIGINAL, flags: LP_DEAD },
      { data: ORIGINAL, flags: LP_UNUSED },
      { data: ORIGINAL, lpLen: 23 },
    ]);
    const f = file(page);
    for (const at of dataAt) expect(await explainInPage(f, at, ORIGINAL.length, W)).toBeUndefined();
  });

  it("a line pointer too short for a tuple header does not make the bytes it claims live", async () => {
    const { page, tupleAt } = heapPage([{ data: ORIGINAL, lpLen: 23 }]);
    expect(await explainInPage(file(page), tupleAt[0]! + 8, 12, W)).toBeUndefined(); // inside the 23 bytes it claims
    page.writeUInt32LE((tupleAt[0]! | (1 << 15) | (24 << 17)) >>> 0, 24);
    expect(await explainInPage(file(page), tupleAt[0]! + 8, 12, W)).toBe("live-tuple"); // a whole header: a tuple
  });

  it("a stale line pointer in free space past pd_lower does not make free space live", async () => {
    const { page } = heapPage([{ data: Buffer.from("someone else entirely") }]);
    ORIGINAL.copy(page, 4000 + 24);
    page.writeUInt32LE((4000 | (1 << 15) | ((24 + ORIGINAL.length) << 17)) >>> 0, 28); // right after pd_lower (28)
    page.writeUInt16LE(HEAP_XMIN_COMMITTED | HEAP_XMAX_INVALID, 4000 + 20);
    expect(await explainInPage(file(page), 4000 + 24, ORIGINAL.length, W)).toBeUndefined();
    page.writeUInt16LE(32, 12); // the same pointer inside pd_lower is read
    expect(await explainInPage(file(page), 4000 + 24, ORIGINAL.length, W)).toBe("live-tuple");
  });

  it("a line pointer past the page's end is ignored", async () => {
    const { page, dataAt, tupleAt } = heapPage([{ data: ORIGINAL }]);
    page.writeUInt32LE((tupleAt[0]! | (1 << 15) | ((PAGE - tupleAt[0]! + 1) << 17)) >>> 0, 24);
    expect(await explainInPage(file(page), dataAt[0]!, ORIGINAL.length, W)).toBeUndefined();
  });

  it("free space is residue: bytes between the line pointers and the tuples", async () => {
    const { page } = heapPage([{ data: Buffer.from("someone else entirely") }]);
    ORIGINAL.copy(page, 4000);
    expect(await explainInPage(file(page), 4000, ORIGINAL.length, W)).toBeUndefined();
  });

  it("a hit running out of a live tuple into free space by WINDOW bytes or more is residue; by fewer it is the tuple's", async () => {
    const { page, tupleAt } = heapPage([{ data: ORIGINAL }]);
    const f = file(page);
    const start = tupleAt[0]!;
    expect(await explainInPage(f, start - (W - 1), ORIGINAL.length, W)).toBe("live-tuple");
    expect(await explainInPage(f, start - W, ORIGINAL.length, W)).toBeUndefined();
  });

  it("two adjacent live tuples together cover a hit spanning both", async () => {
    const { page, tupleAt } = heapPage([{ data: Buffer.alloc(40, 0x61) }, { data: Buffer.alloc(40, 0x62) }]);
    const f = file(page);
    // The second tuple sits below the first; a hit from inside it into the first one.
    const gapFree = tupleAt[1]! + 64 === tupleAt[0]!;
    expect(gapFree).toBe(true);
    expect(await explainInPage(f, tupleAt[0]! - 20, 40, W)).toBe("live-tuple");
  });

  it("a file shorter than a page (a torn last page) explains nothing", async () => {
    const { page, dataAt } = heapPage([{ data: ORIGINAL }]);
    const f = file(page.subarray(0, PAGE - 1));
    expect(await explainInPage(f, dataAt[0]!, ORIGINAL.length, W)).toBeUndefined();
  });

  it("a page with a nonsense pd_lower is not read as a heap page", async () => {
    const { page, dataAt } = heapPage([{ data: ORIGINAL }]);
    page.writeUInt16LE(20, 12);
    expect(await explainInPage(file(page), dataAt[0]!, ORIGINAL.length, W)).toBeUndefined();
    page.writeUInt16LE(PAGE + 4, 12);
    expect(await explainInPage(file(page), dataAt[0]!, ORIGINAL.length, W)).toBeUndefined();
  });
});

describe("compressed datums: pglz literals of published values", () => {
  const payload = Buffer.concat([Buffer.from([0]), ORIGINAL, Buffer.from([0, 1, 2, 3])]);
  const datum = compressedDatum(payload, 400);

  it("an index page's compressed datum explains a hit inside it; the same bytes uncompressed do not", async () => {
    const { page, dataAt } = indexPage(datum);
    const f = file(page);
    const hit = dataAt + 9;
    expect(page.subarray(hit, hit + ORIGINAL.length).equals(ORIGINAL)).toBe(true);
    expect(await explainInPage(f, hit, ORIGINAL.length, W)).toBe("compressed");
    expect(await insideCompressedDatum(f, hit, ORIGINAL.length)).toBe(true);
    const plain = Buffer.from(datum);
    plain.writeUInt32LE(((datum.length << 2) | 0x00) >>> 0, 0); // an uncompressed 4-byte header
    const g = file(indexPage(plain).page);
    expect(await explainInPage(g, hit, ORIGINAL.length, W)).toBeUndefined();
  });

  it("a compressed header whose raw size is not larger than what is stored, or whose datum ends before the hit, explains nothing", async () => {
    const small = compressedDatum(payload, payload.length);
    expect(await insideCompressedDatum(file(indexPage(small).page), indexPage(small).dataAt + 9, ORIGINAL.length)).toBe(false);
    const short = Buffer.from(datum);
    short.writeUInt32LE(((12 << 2) | 0x02) >>> 0, 0);
    expect(await insideCompressedDatum(file(indexPage(short).page), indexPage(short).dataAt + 9, ORIGINAL.length)).toBe(false);
  });

  it("a hit past the end of the index tuple, or in its own header, is not inside its datum", async () => {
    const { page, dataAt } = indexPage(datum);
    const f = file(page);
    expect(await insideCompressedDatum(f, dataAt + datum.length - 2, 6)).toBe(false);
    expect(await insideCompressedDatum(f, dataAt + 4, 6)).toBe(false);
    expect(await insideCompressedDatum(f, 2000, 6)).toBe(false);
  });

  it("a datum ending exactly where the hit ends, a hit right after the raw-size word and a raw size just above the stored one all explain", async () => {
    const { page, dataAt } = indexPage(datum);
    const f = file(page);
    expect(await insideCompressedDatum(f, dataAt + datum.length - 6, 6)).toBe(true);
    expect(await insideCompressedDatum(f, dataAt + 8, 6)).toBe(true);
    const barely = compressedDatum(payload, payload.length + 1);
    const b = indexPage(barely);
    expect(await insideCompressedDatum(file(b.page), b.dataAt + 9, ORIGINAL.length)).toBe(true);
  });

  it("a datum claiming to run past its tuple, or a line pointer and datum claiming to run past the page, explain nothing", async () => {
    const long = Buffer.from(datum);
    long.writeUInt32LE((((datum.length + 40) << 2) | 0x02) >>> 0, 0);
    const a = indexPage(long);
    expect(await insideCompressedDatum(file(a.page), a.dataAt + 9, ORIGINAL.length)).toBe(false);
    const b = indexPage(datum);
    const lpOff = b.dataAt - 8;
    const huge = PAGE - lpOff + 64;
    b.page.writeUInt32LE((lpOff | (1 << 15) | (huge << 17)) >>> 0, 24);
    b.page.writeUInt32LE((((PAGE - b.dataAt + 32) << 2) | 0x02) >>> 0, b.dataAt);
    expect(await insideCompressedDatum(file(b.page), b.dataAt + 9, ORIGINAL.length)).toBe(false);
  });

  it("a compressed-looking word before the tuple (free space) or in a heap tuple's header is not the tuple's datum", async () => {
    const plainData = Buffer.concat([Buffer.alloc(8, 0x20), payload]);
    const a = indexPage(plainData);
    const lpOff = a.dataAt - 8;
    a.page.writeUInt32LE((((8 + 8 + plainData.length) << 2) | 0x02) >>> 0, lpOff - 8); // covers the whole tuple
    a.page.writeUInt32LE(9999, lpOff - 4);
    expect(await insideCompressedDatum(file(a.page), a.dataAt + 9, ORIGINAL.length)).toBe(false);
    const h = heapPage([{ data: plainData }]);
    const t = h.tupleAt[0]!;
    h.page.writeUInt32LE((((24 - 8 + plainData.length) << 2) | 0x02) >>> 0, t + 8); // t_cid
    h.page.writeUInt32LE(9999, t + 12); // t_ctid
    expect(await insideCompressedDatum(file(h.page), h.dataAt[0]! + 9, ORIGINAL.length)).toBe(false);
  });

  it("a datum on the second page of a file, and a torn page whose datum survived, are judged by their own page", async () => {
    const { page, dataAt } = indexPage(datum);
    const f = file(heapPage([]).page, page);
    expect(await insideCompressedDatum(f, PAGE + dataAt + 9, ORIGINAL.length)).toBe(true);
    expect(await insideCompressedDatum(file(page.subarray(0, PAGE - 1)), dataAt + 9, ORIGINAL.length)).toBe(false);
  });

  it("a heap tuple ending exactly at the page's end still has its datum read", async () => {
    const fit = compressedDatum(Buffer.concat([payload, Buffer.alloc(3)]), 400); // 24 + 40 bytes: ends at 8192
    const { page, dataAt, tupleAt } = heapPage([{ data: fit }]);
    expect(tupleAt[0]! + 24 + fit.length).toBe(PAGE);
    expect(await insideCompressedDatum(file(page), dataAt[0]! + 9, ORIGINAL.length)).toBe(true);
  });

  it("a stale index line pointer past pd_lower does not make its bytes a datum", async () => {
    const { page } = indexPage(Buffer.from("another entry"));
    const off = 4000;
    datum.copy(page, off + 8);
    page.writeUInt32LE((off | (1 << 15) | ((8 + datum.length) << 17)) >>> 0, 28);
    expect(await insideCompressedDatum(file(page), off + 8 + 9, ORIGINAL.length)).toBe(false);
    page.writeUInt16LE(32, 12);
    expect(await insideCompressedDatum(file(page), off + 8 + 9, ORIGINAL.length)).toBe(true);
  });

  it("in a heap page the datum starts after the tuple header (t_hoff)", async () => {
    const { page, dataAt } = heapPage([{ data: datum }]);
    const f = file(page);
    expect(await insideCompressedDatum(f, dataAt[0]! + 9, ORIGINAL.length)).toBe(true);
    expect(await insideCompressedDatum(file(page.subarray(0, 100)), dataAt[0]! + 9, ORIGINAL.length)).toBe(false);
  });

  it("a dead tuple's compressed datum on a table page is residue (only index pages' compression explains)", async () => {
    const { page, dataAt } = heapPage([{ data: datum, xmax: 9, infomask: HEAP_XMIN_COMMITTED }]);
    expect(await explainInPage(file(page), dataAt[0]! + 9, ORIGINAL.length, W)).toBeUndefined();
  });

  it("a page with pd_special past the page or pd_lower below the header is not parsed", async () => {
    const { page, dataAt } = indexPage(datum);
    page.writeUInt16LE(10, 12);
    expect(await insideCompressedDatum(file(page), dataAt + 9, ORIGINAL.length)).toBe(false);
    const b = indexPage(datum);
    b.page.writeUInt16LE(PAGE + 8, 16);
    expect(await insideCompressedDatum(file(b.page), b.dataAt + 9, ORIGINAL.length)).toBe(false);
  });
});

describe("channels: where the error says residue is", () => {
  it("knows relation files by their place under base/ or global/ and their numeric name", () => {
    expect(isRelationFile(path.join("base", "5", "16384"))).toBe(true);
    expect(isRelationFile(path.join("base", "5", "16384.1"))).toBe(true);
    expect(isRelationFile(path.join("global", "1262"))).toBe(true);
    expect(isRelationFile(path.join("base", "5", "16384.12"))).toBe(true);
    expect(isRelationFile(path.join("data", "base", "5", "16384"))).toBe(true);
    expect(isRelationFile(path.join("base", "5", "16384_fsm"))).toBe(false);
    expect(isRelationFile(path.join("base", "5", "x16384"))).toBe(false);
    expect(isRelationFile(path.join("pg_wal", "000000010000000000000001"))).toBe(false);
    expect(isRelationFile("16384")).toBe(false);
  });

  it("names a WAL segment, a table page, an index page, an unrecognised page and any other file", async () => {
    const root = path.join(dir, "pgdata");
    mkdirSync(path.join(root, "base", "5"), { recursive: true });
    const heap = heapPage([{ data: ORIGINAL }]).page;
    const index = indexPage(ORIGINAL).page;
    writeFileSync(path.join(root, "base", "5", "16384"), Buffer.concat([heap, index, Buffer.alloc(PAGE)]));
    const rel = path.join("base", "5", "16384");
    const full = path.join(root, rel);
    expect(await channelOfFile(full, rel, 100)).toBe("a table page (dead tuple or a row no longer published) in relation file base/5/16384");
    expect(await channelOfFile(full, rel, PAGE + 100)).toBe("an index page (old or extra index entry) in relation file base/5/16384");
    expect(await channelOfFile(full, rel, 2 * PAGE + 100)).toBe("an unrecognised page in relation file base/5/16384");
    expect(await channelOfFile(full, path.join("mnt", rel), 100)).toContain("in relation file base/5/16384");
    expect(await channelOfFile(full, path.join("global", "1262"), 100)).toContain("in relation file global/1262");
    expect(await channelOfFile("/nonexistent", path.join("pg_wal", "000000010000000000000001"), 5)).toBe(
      "a kept WAL segment (pg_wal/000000010000000000000001)",
    );
    expect(await channelOfFile("/nonexistent", path.join("base", "5", "pg_filenode.map"), 5)).toBe("file base/5/pg_filenode.map");
    expect(await channelOfFile("/nonexistent", "postgresql.conf", 5)).toBe("file postgresql.conf");
    expect(await channelOfFile("/nonexistent", path.join("conf.d", "x.conf"), 5)).toBe("file conf.d/x.conf");
    expect(await channelOfFile("/nonexistent", path.join("pg_xact", "0000"), 5)).toBe("file pg_xact/0000");
    expect(await channelOfFile("/nonexistent", path.join("base", "5", "x16384"), 5)).toBe("file base/5/x16384");
    expect(await channelOfFile("/nonexistent", path.join("base", "5", "16384_fsm"), 5)).toBe("file base/5/16384_fsm");
    expect(await channelOfFile("/nonexistent", path.join("mnt", "pg_wal", "0001"), 5)).toBe("a kept WAL segment (pg_wal/0001)");
    expect(await channelOfFile(full, path.join("mnt", "global", "1262"), 100)).toContain("in relation file global/1262");
    writeFileSync(path.join(root, "base", "5", "16384.12"), Buffer.concat([heap]));
    expect(await channelOfFile(path.join(root, "base", "5", "16384.12"), path.join("base", "5", "16384.12"), 100)).toContain("a table page");
    const odd = Buffer.from(heap);
    odd.writeUInt16LE(9000, 16); // pd_special past the page
    writeFileSync(path.join(root, "base", "5", "16385"), odd);
    expect(await channelOfFile(path.join(root, "base", "5", "16385"), path.join("base", "5", "16385"), 100)).toBe(
      "an unrecognised page in relation file base/5/16385",
    );
  });
});
