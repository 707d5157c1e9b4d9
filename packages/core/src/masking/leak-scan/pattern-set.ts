// A compact multi-pattern matcher for millions of byte patterns in bounded memory: the patterns
// live in one byte arena; their first WINDOW bytes are hashed into a typed-array hash table (with
// a bit filter in front); a rolling hash over the stream finds candidate positions, and each
// candidate is verified byte for byte. About (pattern bytes + 20) bytes per pattern, where an
// Aho-Corasick automaton took ~31 KB per value.

import type { ReusedArrays } from "./reused-arrays.js";

/** Bytes hashed per position: the shortest pattern allowed. */
export const WINDOW = 6;
const BASE = 0x01000193;
const BASE_POW = powMod32(BASE, WINDOW - 1);

function powMod32(b: number, e: number): number {
  let r = 1;
  for (let i = 0; i < e; i++) r = Math.imul(r, b);
  return r;
}

export function mix(h: number): number {
  return Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
}

/** The rolling hash of buf[at, at + WINDOW) before mixing (the value scans roll from one position to the next). */
export function rawWindowHash(buf: Uint8Array, at: number): number {
  let h = 0;
  for (let k = 0; k < WINDOW; k++) h = (Math.imul(h, BASE) + buf[at + k]!) | 0;
  return h;
}

/** The next position's rolling hash: `out` leaves the window, `inn` enters it. */
export const rollHash = (h: number, out: number, inn: number) => (Math.imul((h - Math.imul(out, BASE_POW)) | 0, BASE) + inn) | 0;

/** The mixed hash of the window at buf[at]: what a pattern indexed by that window is filed under. */
export const windowHash = (buf: Uint8Array, at: number) => mix(rawWindowHash(buf, at));

export class PatternSetBuilder {
  private arena = new Uint8Array(1 << 16);
  private used = 0;
  private offsets: number[] = [];
  private tags: number[] = [];

  get size(): number {
    return this.offsets.length;
  }

  /** Add a pattern (at least WINDOW bytes) carrying `tag`, a caller-defined non-negative integer. */
  add(bytes: Uint8Array, tag: number): void {
    if (bytes.length < WINDOW) throw new Error(`a leak-scan pattern needs at least ${WINDOW} bytes`);
    if (this.used + bytes.length > this.arena.length) {
      const bigger = new Uint8Array(Math.max(this.arena.length * 2, this.used + bytes.length));
      bigger.set(this.arena.subarray(0, this.used));
      this.arena = bigger;
    }
    this.arena.set(bytes, this.used);
    this.offsets.push(this.used);
    this.used += bytes.length;
    this.tags.push(tag);
  }

  /** The bytes of pattern `i` (a view into the arena: valid until the next add). */
  bytesAt(i: number): Uint8Array {
    return this.arena.subarray(this.offsets[i]!, i + 1 < this.offsets.length ? this.offsets[i + 1]! : this.used);
  }

  build(): PatternSet {
    const { arena, offsets, tags } = this.parts();
    return new PatternSet(arena, offsets, tags);
  }

  /** The patterns as plain arrays (no tables built): what a worker thread needs to build the same set. */
  parts(): PatternParts {
    const n = this.offsets.length;
    const offsets = new Uint32Array(n + 1);
    offsets.set(this.offsets);
    offsets[n] = this.used;
    return { arena: this.arena.slice(0, this.used), offsets, tags: Int32Array.from(this.tags) };
  }
}

export interface PatternParts {
  arena: Uint8Array;
  /** n + 1 entries: pattern i is arena[offsets[i], offsets[i + 1]). */
  offsets: Uint32Array;
  tags: Int32Array;
  /** Per pattern: the window it is indexed by, when chosen outside the set (see PatternSet). */
  indexAt?: Uint16Array;
}

export const patternSetOf = (p: PatternParts) => new PatternSet(p.arena, p.offsets, p.tags, p.indexAt);

export interface PatternMatch {
  pattern: number;
  tag: number;
  /** Offset of the match's first byte in the whole stream. */
  offset: number;
  length: number;
  /** Stream offset of the hashed window that found it (matches arrive in this order). */
  anchor: number;
}

export class PatternSet {
  readonly maxLength: number;
  private readonly hashes: Uint32Array;
  /** Per pattern: offset of the window it is indexed by (its least crowded one). */
  private readonly gramAt: Uint16Array;
  private readonly heads: Int32Array;
  private readonly next: Int32Array;
  private readonly filter: Uint32Array;
  private readonly tableShift: number;
  private readonly filterShift: number;

  constructor(
    private readonly arena: Uint8Array,
    /** n + 1 entries: pattern i is arena[offsets[i], offsets[i + 1]). */
    private readonly offsets: Uint32Array,
    readonly tags: Int32Array,
    /**
     * Per pattern, the offset of the window it is indexed by, when the caller chose it (the one-pass
     * leak scan chooses it over all originals, and files each pattern in a partition by that
     * window's hash: windowHash(pattern, indexAt[i])). Without it, the least crowded window in this set.
     */
    indexAt?: Uint16Array,
    /** Where the tables go (the one-pass scan's partitions reuse one set): this set is valid until the next set built there. */
    reuse?: ReusedArrays,
  ) {
    const n = tags.length;
    const tableBits = Math.max(4, Math.ceil(Math.log2(Math.max(2, n * 2))));
    const filterBits = Math.min(31, tableBits + 3); // ~16 filter bits per pattern: few false candidates
    this.tableShift = 32 - tableBits;
    this.filterShift = 32 - filterBits;
    const filterWords = Math.max(1, (1 << filterBits) >>> 5);
    if (reuse) {
      this.heads = reuse.i32("set.heads", 1 << tableBits).fill(-1);
      this.next = reuse.i32("set.next", n).fill(-1);
      this.hashes = reuse.u32("set.hashes", n);
      this.gramAt = reuse.u16("set.gramAt", n);
      this.filter = reuse.u32("set.filter", filterWords).fill(0);
    } else {
      this.heads = new Int32Array(1 << tableBits).fill(-1);
      this.next = new Int32Array(n).fill(-1);
      this.hashes = new Uint32Array(n);
      this.gramAt = new Uint16Array(n);
      this.filter = new Uint32Array(filterWords);
    }
    // Patterns sharing a prefix (emails of one format) would make one long chain: each pattern is
    // indexed by whichever of its windows lands in the least crowded slot so far.
    const load = new Uint16Array(indexAt ? 0 : 1 << tableBits);
    let maxLength = 0;
    for (let i = 0; i < n; i++) {
      const start = offsets[i]!;
      const len = offsets[i + 1]! - start;
      maxLength = Math.max(maxLength, len);
      if (indexAt) {
        const at = indexAt[i]!;
        if (at > len - WINDOW) throw new Error("internal: a leak-scan pattern's indexed window lies outside it");
        this.file(i, windowHash(arena, start + at), at);
        continue;
      }
      let h = 0;
      for (let k = 0; k < WINDOW; k++) h = (Math.imul(h, BASE) + arena[start + k]!) | 0;
      let best = mix(h);
      let bestAt = 0;
      const lastGram = Math.min(len - WINDOW, 0xffff);
      for (let at = 1; at <= lastGram && load[best >>> this.tableShift]! > 0; at++) {
        h = (Math.imul((h - Math.imul(arena[start + at - 1]!, BASE_POW)) | 0, BASE) + arena[start + at + WINDOW - 1]!) | 0;
        const m = mix(h);
        if (load[m >>> this.tableShift]! < load[best >>> this.tableShift]!) {
          best = m;
          bestAt = at;
        }
      }
      const slot = best >>> this.tableShift;
      if (load[slot]! < 0xffff) load[slot]!++;
      this.file(i, best, bestAt);
    }
    this.maxLength = maxLength;
  }

  /** Size `reuse` once for sets of up to n patterns, so building smaller ones there later allocates nothing. */
  static reserve(reuse: ReusedArrays, n: number): void {
    const tableBits = Math.max(4, Math.ceil(Math.log2(Math.max(2, n * 2))));
    reuse.i32("set.heads", 1 << tableBits);
    reuse.i32("set.next", n);
    reuse.u32("set.hashes", n);
    reuse.u16("set.gramAt", n);
    reuse.u32("set.filter", Math.max(1, (1 << Math.min(31, tableBits + 3)) >>> 5));
  }

  /** Pattern i indexed by its window at `at`, of hash `m`. */
  private file(i: number, m: number, at: number): void {
    this.hashes[i] = m;
    this.gramAt[i] = at;
    const slot = m >>> this.tableShift;
    this.next[i] = this.heads[slot]!;
    this.heads[slot] = i;
    const f = m >>> this.filterShift;
    this.filter[f >>> 5]! |= 1 << (f & 31);
  }

  /**
   * The matches indexed by the window at buf[p] (of hash `m`, windowHash(buf, p)) that lie wholly
   * inside buf[lo, hi), verified byte for byte; offsets relative to `base` as scan() gives them.
   * Returns how many patterns are indexed by that hash (0: the candidate was a filter false positive).
   */
  matchesAt(buf: Uint8Array, p: number, m: number, lo: number, hi: number, base: number, onMatch: (m: PatternMatch) => void): number {
    const { arena, offsets, heads, next, hashes, gramAt, tags } = this;
    if (tags.length === 0) return 0;
    let sameHash = 0;
    for (let i = heads[m >>> this.tableShift]!; i >= 0; i = next[i]!) {
      if (hashes[i] !== m) continue;
      sameHash++;
      const start = offsets[i]!;
      const len = offsets[i + 1]! - start;
      const at = p - gramAt[i]!;
      if (at < lo || at + len > hi) continue;
      let k = 0;
      while (k < len && arena[start + k] === buf[at + k]) k++;
      if (k === len) onMatch({ pattern: i, tag: tags[i]!, offset: base + at, length: len, anchor: base + p });
    }
    return sameHash;
  }

  get size(): number {
    return this.tags.length;
  }

  /** Bytes held by this set (arena and tables), for the memory report. */
  get bytes(): number {
    return (
      this.arena.byteLength +
      this.offsets.byteLength +
      this.tags.byteLength +
      this.hashes.byteLength +
      this.gramAt.byteLength +
      this.heads.byteLength +
      this.next.byteLength +
      this.filter.byteLength
    );
  }

  pattern(i: number): Uint8Array {
    return this.arena.subarray(this.offsets[i]!, this.offsets[i + 1]!);
  }

  /**
   * Every match whose indexed window starts at a position in [from, to] of `buf`; a match must lie
   * wholly inside `buf` (callers keep maxLength bytes of context on both sides). `base` is the
   * absolute offset of buf[0].
   */
  scan(buf: Uint8Array, from: number, to: number, base: number, onMatch: (m: PatternMatch) => void): void {
    this.scanWithin(buf, 0, buf.length, from, to, base, onMatch);
  }

  /** Every match inside buf[lo, hi) (one record of a larger buffer: no view allocated per record); offsets relative to lo. */
  scanRange(buf: Uint8Array, lo: number, hi: number, onMatch: (m: PatternMatch) => void): void {
    this.scanWithin(buf, lo, hi, lo, hi - WINDOW, -lo, onMatch);
  }

  private scanWithin(buf: Uint8Array, lo: number, hi: number, from: number, to: number, base: number, onMatch: (m: PatternMatch) => void): void {
    const end = Math.min(to, hi - WINDOW);
    if (this.tags.length === 0 || from > end) return;
    const { arena, offsets, heads, next, hashes, gramAt, filter, tableShift, filterShift, tags } = this;
    let h = 0;
    for (let k = 0; k < WINDOW; k++) h = (Math.imul(h, BASE) + buf[from + k]!) | 0;
    for (let p = from; p <= end; p++) {
      if (p > from) h = (Math.imul((h - Math.imul(buf[p - 1]!, BASE_POW)) | 0, BASE) + buf[p + WINDOW - 1]!) | 0;
      const m = mix(h);
      const f = m >>> filterShift;
      if ((filter[f >>> 5]! & (1 << (f & 31))) === 0) continue;
      for (let i = heads[m >>> tableShift]!; i >= 0; i = next[i]!) {
        if (hashes[i] !== m) continue;
        const start = offsets[i]!;
        const len = offsets[i + 1]! - start;
        const at = p - gramAt[i]!;
        if (at < lo || at + len > hi) continue;
        let k = 0;
        while (k < len && arena[start + k] === buf[at + k]) k++;
        if (k === len) onMatch({ pattern: i, tag: tags[i]!, offset: base + at, length: len, anchor: base + p });
      }
    }
  }

  /** Every match inside one whole buffer. */
  scanAll(buf: Uint8Array, onMatch: (m: PatternMatch) => void): void {
    this.scan(buf, 0, buf.length - WINDOW, 0, onMatch);
  }
}

/**
 * Feeds a stream chunk by chunk. Windows are tried once each, in stream order, and only where
 * maxLength bytes are visible on both sides, so a match straddling a chunk boundary is found once.
 */
export class StreamScanner {
  private buf: Uint8Array = new Uint8Array(0);
  /** Absolute offset of buf[0]. */
  private base = 0;
  /** Index in buf of the next window to try. */
  private from = 0;

  constructor(
    private readonly set: PatternSet,
    private readonly onMatch: (m: PatternMatch) => void,
  ) {}

  feed(chunk: Uint8Array): void {
    const buf = this.buf.length ? concat(this.buf, chunk) : chunk;
    const reach = Math.max(this.set.maxLength, WINDOW);
    const to = buf.length - reach;
    if (to >= this.from) {
      this.set.scan(buf, this.from, to, this.base, this.onMatch);
      const keepFrom = Math.max(0, to + 1 - reach); // history for matches that begin before the next window
      this.buf = new Uint8Array(buf.subarray(keepFrom)); // a copy: the chunk is not kept alive
      this.base += keepFrom;
      this.from = to + 1 - keepFrom;
    } else this.buf = new Uint8Array(buf);
  }

  /** End of stream: the remaining windows. */
  finish(): void {
    this.set.scan(this.buf, this.from, this.buf.length - WINDOW, this.base, this.onMatch);
    this.base += this.buf.length;
    this.buf = new Uint8Array(0);
    this.from = 0;
  }
}
function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
