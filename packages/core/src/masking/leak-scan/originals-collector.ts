// The originals of the leak scan, collected from the masking stream as each chunk of distinct
// values passes (no second read of the tables, no Set of strings in Node): the same OriginalSet
// collectOriginals() builds from whole columns, deduplicated by a hash table over the pattern arena.
// Past a memory budget the originals go to an encrypted spill on disk (originals-spill.ts) and the
// leak scan indexes them for one pass (window-index.ts).
import { isHighCardinality, OriginalSet, tagOfOriginal, type OriginalSource } from "./originals.js";
import { bytesPerOriginal, OriginalsSpill, type DedupeRunner } from "./originals-spill.js";
import { PatternSetBuilder, WINDOW } from "./pattern-set.js";

/** Default memory budget of the originals (in memory while collected, and per leak-scan batch). */
export const ORIGINALS_BUDGET = 128 * 1024 * 1024;
const SHORT_BYTES = 48; // a short value in the Set, for the budget

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
  private builder = new PatternSetBuilder();
  private readonly minBytes = WINDOW;
  private readonly maxBytes = 64;
  /** The current value's UTF-8 (every consumer copies it before the next add). */
  private readonly scratch = Buffer.allocUnsafe(64);
  private count = 0;
  /** Per original: its UTF-8 pattern's index in the builder, its first column, its first high-cardinality column (−1: none). */
  private patternOf = new Int32Array(1024);
  private firstOf = new Int32Array(1024);
  private firstHighOf = new Int32Array(1024);
  private table = new Int32Array(2048).fill(-1);
  private short = new Set<string>(); // too short to search: counted, not searched
  private estimated = 0;
  private spill?: OriginalsSpill;
  private readonly budget: number;
  /** Where a spill goes (the build's work directory; default: the OS temporary directory). */
  private readonly tempDir: string | undefined;

  /**
   * `sources` in column order (the order collectOriginals would read them); their counts
   * (distinct, rows) may be filled in before the first value arrives. `budget`: bytes of
   * originals held in memory before they are spilled (and per batch of the leak scan).
   */
  constructor(
    readonly sources: OriginalSource[],
    opts: { budget?: number; tempDir?: string } = {},
  ) {
    this.budget = Math.max(1, opts.budget ?? ORIGINALS_BUDGET);
    this.tempDir = opts.tempDir;
  }

  /** Where the originals went past the budget (the leak scan then runs in batches), if they did. */
  get spillDirectory(): string | undefined {
    return this.spill?.dir;
  }

  /** One distinct value of a family, with the first source column holding it and the first high-cardinality one (or −1). */
  add(value: string, first: number, firstHigh: number): void {
    // truncateUtf8() without a Buffer per value: write() stops before a character that does not fit whole.
    const utf8 = this.scratch.subarray(0, this.scratch.write(value, 0, this.maxBytes, "utf8"));
    if (this.spill) {
      this.spill.add(utf8, hashBytes(utf8), first, firstHigh);
      return;
    }
    if (utf8.length < this.minBytes) {
      if (!this.short.has(value)) this.estimated += SHORT_BYTES;
      this.short.add(value);
      if (this.estimated > this.budget) this.spillAll();
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
    this.estimated += bytesPerOriginal(utf8.length);
    if (this.estimated > this.budget) this.spillAll();
  }

  /** Over budget: everything so far to the spill, and every later value straight there. */
  private spillAll(): void {
    // The bucket count follows from the staged counts and the budget only (not from what came
    // first), so ids come out the same whatever order the families were streamed in.
    const expected = this.sources.reduce((n, s) => n + s.distinct, 0) || this.count + this.short.size;
    const buckets = Math.min(4096, Math.max(16, Math.ceil((expected * bytesPerOriginal(24)) / (this.budget / 4))));
    const spill = new OriginalsSpill(this.sources, buckets, this.budget, this.tempDir);
    for (let id = 0; id < this.count; id++) {
      const utf8 = this.builder.bytesAt(this.patternOf[id]!);
      spill.add(utf8, hashBytes(utf8), this.firstOf[id]!, this.firstHighOf[id]!);
    }
    // A short value's columns are not kept (it is only counted): any column will do.
    for (const v of this.short) {
      const utf8 = Buffer.from(v, "utf8");
      spill.add(utf8, hashBytes(utf8), 0, -1);
    }
    this.spill = spill;
    this.builder = new PatternSetBuilder();
    this.short = new Set();
    this.patternOf = new Int32Array(0);
    this.firstOf = new Int32Array(0);
    this.firstHighOf = new Int32Array(0);
    this.table = new Int32Array(0);
    this.count = 0;
  }

  /** Remove spilled originals (a failed build; a finished set removes them with its own dispose()). */
  dispose(): void {
    this.spill?.dispose();
  }

  /** Is the source at this index high-cardinality (its counts must be known): decides firstHigh. */
  isHigh(source: number): boolean {
    return isHighCardinality(this.sources[source]!);
  }

  finish(): OriginalSet {
    if (this.spill) {
      this.spill.finish();
      return new OriginalSet(this.sources, new PatternSetBuilder().build(), [], [], 0, 0, this.spill);
    }
    return this.inMemory();
  }

  /** finish(), with a spill's buckets deduplicated and sorted by `dedupe` (worker threads), `parallel` at a time. */
  async finishWith(dedupe: DedupeRunner, parallel: number): Promise<OriginalSet> {
    if (!this.spill) return this.inMemory();
    await this.spill.finishWith(dedupe, parallel);
    return new OriginalSet(this.sources, new PatternSetBuilder().build(), [], [], 0, 0, this.spill);
  }

  private inMemory(): OriginalSet {
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
