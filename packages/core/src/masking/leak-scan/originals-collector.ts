// The originals of the leak scan, collected from the masking stream as each chunk of distinct
// values passes (no second read of the tables, no Set of strings in Node): the same OriginalSet
// collectOriginals() builds from whole columns, deduplicated by a hash table over the pattern arena.
import { isHighCardinality, OriginalSet, tagOfOriginal, truncateUtf8, type OriginalSource } from "./originals.js";
import { PatternSetBuilder, WINDOW } from "./pattern-set.js";

function hashBytes(b: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return (h ^ (h >>> 16)) >>> 0;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function growInt32(a: Int32Array<ArrayBuffer>, need: number): Int32Array<ArrayBuffer> {
  if (need <= a.length) return a;
  const b = new Int32Array(Math.max(need, a.length * 2));
  b.set(a);
  return b;
}

export class OriginalsCollector {
  private readonly builder = new PatternSetBuilder();
  private readonly minBytes = WINDOW;
  private readonly maxBytes = 64;
  private count = 0;
  /** Per original: its UTF-8 pattern's index in the builder, its first column, its first high-cardinality column (−1: none). */
  private patternOf = new Int32Array(1024);
  private firstOf = new Int32Array(1024);
  private firstHighOf = new Int32Array(1024);
  private table = new Int32Array(2048).fill(-1);
  private readonly short = new Set<string>(); // too short to search: counted, not searched

  /**
   * `sources` in column order (the order collectOriginals would read them); their counts
   * (distinct, rows) may be filled in before the first value arrives.
   */
  constructor(readonly sources: OriginalSource[]) {}

  /** One distinct value of a family, with the first source column holding it and the first high-cardinality one (or −1). */
  add(value: string, first: number, firstHigh: number): void {
    const utf8 = truncateUtf8(value, this.maxBytes);
    if (utf8.length < this.minBytes) {
      this.short.add(value);
      return;
    }
    const known = this.find(utf8);
    if (known >= 0) {
      if (first < this.firstOf[known]!) this.firstOf[known] = first;
      if (firstHigh >= 0 && (this.firstHighOf[known]! < 0 || firstHigh < this.firstHighOf[known]!)) this.firstHighOf[known] = firstHigh;
      return;
    }
    const id = this.count++;
    this.patternOf = growInt32(this.patternOf, this.count);
    this.firstOf = growInt32(this.firstOf, this.count);
    this.firstHighOf = growInt32(this.firstHighOf, this.count);
    this.patternOf[id] = this.builder.size;
    this.firstOf[id] = first;
    this.firstHighOf[id] = firstHigh;
    this.builder.add(utf8, tagOfOriginal(id, false));
    const utf16 = Buffer.from(utf8.toString("utf8"), "utf16le");
    if (utf16.length >= WINDOW) this.builder.add(utf16, tagOfOriginal(id, true));
    this.insert(utf8, id);
  }

  /** Is the source at this index high-cardinality (its counts must be known): decides firstHigh. */
  isHigh(source: number): boolean {
    return isHighCardinality(this.sources[source]!);
  }

  finish(): OriginalSet {
    const sourceOf = Array.from(this.firstOf.subarray(0, this.count));
    const strongest = sourceOf.map((f, i) => (this.firstHighOf[i]! >= 0 ? this.firstHighOf[i]! : f));
    return new OriginalSet(this.sources, this.builder.build(), sourceOf, strongest, this.count + this.short.size);
  }

  private find(utf8: Uint8Array): number {
    const mask = this.table.length - 1;
    for (let i = hashBytes(utf8) & mask; ; i = (i + 1) & mask) {
      const id = this.table[i]!;
      if (id < 0) return -1;
      if (sameBytes(this.builder.bytesAt(this.patternOf[id]!), utf8)) return id;
    }
  }

  private insert(utf8: Uint8Array, id: number): void {
    if (this.count > this.table.length / 2) {
      this.rehash(); // the rehash places `id` too
      return;
    }
    const mask = this.table.length - 1;
    let i = hashBytes(utf8) & mask;
    while (this.table[i]! >= 0) i = (i + 1) & mask;
    this.table[i] = id;
  }

  private rehash(): void {
    this.table = new Int32Array(this.table.length * 2).fill(-1);
    const mask = this.table.length - 1;
    for (let id = 0; id < this.count; id++) {
      let i = hashBytes(this.builder.bytesAt(this.patternOf[id]!)) & mask;
      while (this.table[i]! >= 0) i = (i + 1) & mask;
      this.table[i] = id;
    }
  }
}
