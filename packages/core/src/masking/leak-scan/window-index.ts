// The one-pass leak scan's index of every original: the global window filter (window-filter.ts)
// and the originals split into K partitions by the hash of the window each is indexed by, so a
// candidate position (its window hash) needs only its own partition's patterns to be verified.
// Partitions live in a private directory (0700), one file each (0600), encrypted with AES-256-CTR
// under a key held only in memory, like the originals spill; each file's record count and size are
// checked when it is read back, so a cut or garbled partition stops the scan.
import crypto from "node:crypto";
import { closeSync, openSync, readFileSync, writeSync } from "node:fs";
import path from "node:path";
import { BuildError } from "../../errors.js";
import { makePrivateTempDir, type PrivateTempDir } from "../../util/private-temp-dir.js";
import { PatternSet, type PatternParts } from "./pattern-set.js";
import { WindowFilter } from "./window-filter.js";

/** One searched original in id order, as the spill holds it: UTF-8, its first column and its strongest. */
export type OriginalsReader = (each: (utf8: Uint8Array, id: number, first: number, strongest: number) => void) => void;

const HEADER = 16; // u16 length, u16 indexed window, i32 tag, i32 first column, i32 strongest column
const FLUSH_AT = 256 * 1024;

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
    this.parts = Array.from({ length: partitions }, (_, i) => {
      const file = path.join(this.dir, `p${i}`);
      closeSync(openSync(file, "wx", 0o600));
      const iv = crypto.randomBytes(16);
      return {
        file,
        iv,
        cipher: crypto.createCipheriv("aes-256-ctr", this.key, iv),
        pending: Buffer.allocUnsafe(FLUSH_AT + HEADER + 0xffff),
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
    if (p.used >= FLUSH_AT) this.flush(p);
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

  /** Partition k's originals (and its containers, when added), indexed by the windows chosen for them. */
  load(k: number): LoadedPartition {
    const p = this.parts[k]!;
    let data: Buffer;
    try {
      data = crypto.createDecipheriv("aes-256-ctr", this.key, p.iv).update(readFileSync(p.file));
    } catch {
      throw damaged();
    }
    if (data.length !== p.bytes) throw damaged();
    const n = p.records + p.containers.length;
    let arenaBytes = data.length - p.records * HEADER;
    for (const c of p.containers) arenaBytes += c.bytes.length;
    const arena = new Uint8Array(arenaBytes);
    const offsets = new Uint32Array(n + 1);
    const tags = new Int32Array(n);
    const indexAt = new Uint16Array(n);
    const first = new Int32Array(n).fill(-1);
    const strongest = new Int32Array(n).fill(-1);
    let used = 0;
    let i = 0;
    for (let at = 0; at < data.length; i++) {
      if (i >= p.records || at + HEADER > data.length) throw damaged();
      const len = data.readUInt16LE(at);
      if (at + HEADER + len > data.length || data.readUInt16LE(at + 2) + 6 > len) throw damaged();
      indexAt[i] = data.readUInt16LE(at + 2);
      tags[i] = data.readInt32LE(at + 4);
      first[i] = data.readInt32LE(at + 8);
      strongest[i] = data.readInt32LE(at + 12);
      offsets[i] = used;
      arena.set(data.subarray(at + HEADER, at + HEADER + len), used);
      used += len;
      at += HEADER + len;
    }
    if (i !== p.records) throw damaged();
    for (const c of p.containers) {
      offsets[i] = used;
      tags[i] = c.tag;
      indexAt[i] = c.at;
      arena.set(c.bytes, used);
      used += c.bytes.length;
      i++;
    }
    offsets[n] = used;
    return { set: new PatternSet(arena, offsets, tags, indexAt), first, strongest };
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
