// The one-pass leak scan's index of every original: the global window filter (window-filter.ts)
// and the originals split into K partitions by the hash of the window each is indexed by, so a
// candidate position (its window hash) needs only its own partition's patterns to be verified.
// Partitions live in a private directory (0700), one file each (0600), encrypted with AES-256-CTR
// under a key held only in memory, like the originals spill; each file's record count and size are
// checked when it is read back, so a cut or garbled partition stops the scan.
import crypto from "node:crypto";
import { closeSync, openSync, readSync, writeSync } from "node:fs";
import path from "node:path";
import { BuildError } from "../../errors.js";
import { makePrivateTempDir, type PrivateTempDir } from "../../util/private-temp-dir.js";
import { PatternSet, WINDOW, type PatternParts } from "./pattern-set.js";
import { ReusedArrays } from "./reused-arrays.js";
import { WindowFilter } from "./window-filter.js";

/** One searched original in id order, as the spill holds it: UTF-8, its first column and its strongest. */
export type OriginalsReader = (each: (utf8: Uint8Array, id: number, first: number, strongest: number) => void) => void;

const HEADER = 16; // u16 length, u16 indexed window, i32 tag, i32 first column, i32 strongest column
/** Write buffers of all partitions together (each at most 256 KiB): many partitions, smaller buffers. */
const WRITE_BUFFERS = 16 * 1024 * 1024;
const MAX_FLUSH = 256 * 1024;
/** A partition is read back and decrypted this many bytes at a time. */
const READ_CHUNK = 1 << 20;

interface Partition {
  file: string;
  iv: Buffer;
  cipher: crypto.Cipher | undefined;
  pending: Buffer;
  used: number;
  records: number;
  bytes: number;
  /** Containers (in memory: the published data's stored forms) filed in this partition. */
  containers: { bytes: Uint8Array; tag: number; at: number }[];
}

/** A partition's patterns, with each one's columns (containers: −1). */
export interface LoadedPartition {
  set: PatternSet;
  first: Int32Array;
  strongest: Int32Array;
}

/**
 * Partitions for originals of `loadedBytes` (bytesPerOriginal: pattern bytes and tables) so that one
 * loaded partition holds about `budget` bytes: a power of two, growing with the originals, so pass 2's
 * memory does not.
 */
export function partitionsFor(loadedBytes: number, budget: number): number {
  return 2 ** Math.max(0, Math.ceil(Math.log2(Math.max(1, loadedBytes / Math.max(1, budget)))));
}

export class WindowIndex {
  readonly filter: WindowFilter;
  readonly dir: string;
  private readonly temp: PrivateTempDir;
  private readonly key = crypto.randomBytes(32);
  private readonly parts: Partition[];
  private readonly mask: number;
  /** The longest pattern (originals and containers): how far a scan must see around a window. */
  maxLength = 0;
  originalPatterns = 0;
  containerPatterns = 0;
  containersAdded = false;
  /** One set of arrays for every partition loaded (load()), and the read buffers. */
  private readonly reuse = new ReusedArrays();
  private reserved = false;
  private readonly raw = Buffer.allocUnsafeSlow(READ_CHUNK);
  private readonly stage = Buffer.allocUnsafeSlow(READ_CHUNK + HEADER + 0xffff);

  /**
   * `searched`: originals to come (sizes the filter); `partitions`: a power of two, enough that
   * one partition's set fits the memory budget; `parent`: where the private directory goes.
   */
  constructor(searched: number, partitions: number, parent?: string) {
    if (partitions < 1 || (partitions & (partitions - 1)) !== 0) throw new Error("internal: leak-scan partitions must be a power of two");
    this.filter = new WindowFilter(2 * searched);
    this.mask = partitions - 1;
    this.temp = makePrivateTempDir("dbclone-leak-index-", parent);
    this.dir = this.temp.path;
    const flushAt = Math.max(16 * 1024, Math.min(MAX_FLUSH, Math.floor(WRITE_BUFFERS / partitions)));
    this.parts = Array.from({ length: partitions }, (_, i) => {
      const file = path.join(this.dir, `p${i}`);
      closeSync(openSync(file, "wx", 0o600));
      const iv = crypto.randomBytes(16);
      return {
        file,
        iv,
        cipher: crypto.createCipheriv("aes-256-ctr", this.key, iv),
        pending: Buffer.allocUnsafe(flushAt),
        used: 0,
        records: 0,
        bytes: 0,
        containers: [],
      };
    });
  }

  get partitions(): number {
    return this.parts.length;
  }

  /** The partition of a window hash: its low bits (the filter and a set's table use the high ones). */
  partitionOf(m: number): number {
    return m & this.mask;
  }

  /** Every original from `read` (UTF-8 and UTF-16LE patterns, tagged by `tagOf`: OriginalSet's tags), once. */
  addOriginals(read: OriginalsReader, tagOf: (id: number, utf16: boolean) => number): void {
    const { filter } = this;
    const scratch = Buffer.allocUnsafe(2 * 0xffff);
    read((utf8) => {
      filter.count(utf8);
      const utf16 = utf16Of(utf8, scratch);
      if (utf16.length >= 6) filter.count(utf16);
    });
    read((utf8, id, first, strongest) => {
      this.addOriginal(utf8, tagOf(id, false), first, strongest);
      const utf16 = utf16Of(utf8, scratch);
      if (utf16.length >= 6) this.addOriginal(utf16, tagOf(id, true), first, strongest);
    });
    for (const p of this.parts) {
      this.flush(p);
      p.cipher = undefined;
      p.pending = Buffer.alloc(0); // sealed: its write buffer goes back
    }
  }

  private addOriginal(bytes: Uint8Array, tag: number, first: number, strongest: number): void {
    const { at, m } = this.filter.add(bytes);
    const p = this.parts[this.partitionOf(m)]!;
    if (bytes.length > 0xffff) throw new Error("internal: a leak-scan pattern is longer than a partition record holds");
    if (p.used + HEADER + bytes.length > p.pending.length) {
      this.flush(p);
      if (HEADER + bytes.length > p.pending.length) p.pending = Buffer.allocUnsafe(HEADER + bytes.length);
    }
    const b = p.pending;
    b.writeUInt16LE(bytes.length, p.used);
    b.writeUInt16LE(at, p.used + 2);
    b.writeInt32LE(tag, p.used + 4);
    b.writeInt32LE(first, p.used + 8);
    b.writeInt32LE(strongest, p.used + 12);
    b.set(bytes, p.used + HEADER);
    p.used += HEADER + bytes.length;
    p.records++;
    this.originalPatterns++;
    this.maxLength = Math.max(this.maxLength, bytes.length);
    if (p.used === p.pending.length) this.flush(p);
  }

  private flush(p: Partition): void {
    if (p.used === 0) return;
    if (!p.cipher) throw new Error("internal: the leak-scan index was sealed");
    const out = p.cipher.update(p.pending.subarray(0, p.used));
    const fd = openSync(p.file, "a");
    try {
      let done = 0;
      while (done < out.length) done += writeSync(fd, out, done, out.length - done);
    } finally {
      closeSync(fd);
    }
    p.bytes += p.used;
    p.used = 0;
  }

  /** The published data's containers (after the published pass), searched in the data files beside the originals. */
  addContainers(c: PatternParts): void {
    if (this.containersAdded) throw new Error("internal: the leak scan's containers were added to its index twice");
    this.containersAdded = true;
    this.reserved = false; // the largest partition grows by its containers: sized again at the next load
    for (let k = 0; k < c.tags.length; k++) this.filter.count(c.arena.subarray(c.offsets[k]!, c.offsets[k + 1]!));
    for (let k = 0; k < c.tags.length; k++) {
      const bytes = c.arena.subarray(c.offsets[k]!, c.offsets[k + 1]!);
      const { at, m } = this.filter.add(bytes);
      this.parts[this.partitionOf(m)]!.containers.push({ bytes, tag: c.tags[k]!, at });
      this.maxLength = Math.max(this.maxLength, bytes.length);
      this.containerPatterns++;
    }
    this.filter.dropSketches(); // no pattern comes after the containers
  }

  /**
   * Partition k's originals (and its containers, when added), indexed by the windows chosen for
   * them. Every partition loads into the same reused arrays (sized once for the largest), read and
   * decrypted in bounded chunks: what load() returns is valid until the next load().
   */
  load(k: number): LoadedPartition {
    const p = this.parts[k]!;
    const reuse = this.reuse;
    if (!this.reserved) {
      // The largest partition's arrays, once: no buffer grows (and none waits for the collector) later.
      let maxN = 0;
      let maxArena = 0;
      for (const q of this.parts) {
        maxN = Math.max(maxN, q.records + q.containers.length);
        maxArena = Math.max(maxArena, q.bytes - q.records * HEADER + q.containers.reduce((a, c) => a + c.bytes.length, 0));
      }
      reuse.u8("arena", maxArena);
      reuse.u32("offsets", maxN + 1);
      reuse.i32("tags", maxN);
      reuse.u16("indexAt", maxN);
      reuse.i32("first", maxN);
      reuse.i32("strongest", maxN);
      PatternSet.reserve(reuse, maxN);
      this.reserved = true;
    }
    const n = p.records + p.containers.length;
    let arenaBytes = p.bytes - p.records * HEADER;
    for (const c of p.containers) arenaBytes += c.bytes.length;
    const arena = reuse.u8("arena", arenaBytes);
    const offsets = reuse.u32("offsets", n + 1);
    const tags = reuse.i32("tags", n);
    const indexAt = reuse.u16("indexAt", n);
    const first = reuse.i32("first", n).fill(-1);
    const strongest = reuse.i32("strongest", n).fill(-1);
    const stage = this.stage;
    let used = 0;
    let i = 0;
    let have = 0; // decrypted bytes in stage
    let at = 0; // next record in stage
    let read = 0;
    let fd: number | undefined;
    try {
      fd = openSync(p.file, "r");
      const decipher = crypto.createDecipheriv("aes-256-ctr", this.key, p.iv);
      for (;;) {
        const got = readSync(fd, this.raw, 0, this.raw.length, null);
        if (got > 0) {
          if (at > 0) {
            stage.copy(stage, 0, at, have);
            have -= at;
            at = 0;
          }
          have += decipher.update(this.raw.subarray(0, got)).copy(stage, have);
          read += got;
        }
        while (have - at >= HEADER) {
          const len = stage.readUInt16LE(at);
          if (have - at < HEADER + len) break;
          if (i >= p.records || used + len > arenaBytes || stage.readUInt16LE(at + 2) + WINDOW > len) throw damaged();
          indexAt[i] = stage.readUInt16LE(at + 2);
          tags[i] = stage.readInt32LE(at + 4);
          first[i] = stage.readInt32LE(at + 8);
          strongest[i] = stage.readInt32LE(at + 12);
          offsets[i] = used;
          arena.set(stage.subarray(at + HEADER, at + HEADER + len), used);
          used += len;
          at += HEADER + len;
          i++;
        }
        if (got === 0) break;
        if (read > p.bytes) throw damaged();
      }
    } catch (e) {
      throw e instanceof BuildError ? e : damaged();
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
    if (at !== have || read !== p.bytes || i !== p.records) throw damaged();
    for (const c of p.containers) {
      offsets[i] = used;
      tags[i] = c.tag;
      indexAt[i] = c.at;
      arena.set(c.bytes, used);
      used += c.bytes.length;
      i++;
    }
    offsets[n] = used;
    return { set: new PatternSet(arena, offsets, tags, indexAt, reuse), first, strongest };
  }

  /** Patterns in the largest partition (originals and containers). */
  get largestPartition(): number {
    return this.parts.reduce((a, p) => Math.max(a, p.records + p.containers.length), 0);
  }

  /** Bytes one loaded partition holds (the reused arrays, sized for the largest): pass 2's memory beside the filter. */
  get loadedBytes(): number {
    return this.reuse.bytes + this.stage.length + this.raw.length;
  }

  /** Remove the partitions (idempotent). */
  dispose(): void {
    this.temp.remove();
  }
}

/** The UTF-16LE form of UTF-8 bytes (as the spill and collectOriginals make it); ASCII without a string, into `scratch` (valid until the next call). */
function utf16Of(utf8: Uint8Array, scratch: Buffer): Uint8Array {
  let ascii = utf8.length * 2 <= scratch.length;
  for (let i = 0; ascii && i < utf8.length; i++) ascii = utf8[i]! < 0x80;
  if (!ascii) return Buffer.from(Buffer.from(utf8.buffer, utf8.byteOffset, utf8.length).toString("utf8"), "utf16le");
  for (let i = 0; i < utf8.length; i++) {
    scratch[2 * i] = utf8[i]!;
    scratch[2 * i + 1] = 0;
  }
  return scratch.subarray(0, 2 * utf8.length);
}

function damaged(): BuildError {
  return new BuildError(
    "a partition of the leak scan's originals was cut short or changed on disk, so nothing was published. Check the free space of the build's work directory and build again.",
  );
}
