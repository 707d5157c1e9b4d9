// The one-pass leak scan of spilled originals: every byte of the published data and of the data
// files (and of the sealed disk) is hashed once against all originals, however many there are.
//   Pass 1 (one sequential read): each window passing the global filter (window-index.ts) is
//     written as a candidate to the partition of its hash (candidates.ts).
//   Pass 2 (per partition): the partition's patterns — only they can be indexed by those hashes —
//     verify its candidates byte for byte, reading the bytes around each (ascending offsets).
//   Then the verified matches of all partitions, merged in the order one scan would have found
//     them, go through the same logic as before (LogicalContent.addStoredMatches, HitJudge): the
//     same containers, copies, whole values, tallies and examples as a scan with every original
//     in one set.
import { closeSync, openSync, readSync } from "node:fs";
import type { Reporter } from "../../reporter.js";
import { CandidateWriter, RangeReader } from "./candidates.js";
import type { LogicalContent } from "./explain.js";
import type { CacheFile } from "./published-cache.js";
import { replayCacheFileYielding } from "./published-cache.js";
import { HitJudge, type FileSource, type ResidueTally } from "./residue-scan.js";
import { WINDOW, type PatternMatch } from "./pattern-set.js";
import { filterWindows } from "./window-filter.js";
import type { WindowIndex } from "./window-index.js";

/** Verified matches, kept compactly until all partitions are done (true hits: few next to the bytes scanned). */
class MatchList {
  length = 0;
  where = new Float64Array(1024); // record offset (published) or file index (data files)
  anchor = new Float64Array(1024);
  offset = new Float64Array(1024);
  size = new Uint32Array(1024);
  tag = new Int32Array(1024);
  column = new Int32Array(1024);

  push(where: number, anchor: number, offset: number, size: number, tag: number, column: number): void {
    if (this.length === this.tag.length) this.grow();
    const i = this.length++;
    this.where[i] = where;
    this.anchor[i] = anchor;
    this.offset[i] = offset;
    this.size[i] = size;
    this.tag[i] = tag;
    this.column[i] = column;
  }

  private grow(): void {
    const n = this.tag.length * 2;
    const g = <T extends Float64Array | Uint32Array | Int32Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a as never);
      return b;
    };
    this.where = g(this.where, (n) => new Float64Array(n));
    this.anchor = g(this.anchor, (n) => new Float64Array(n));
    this.offset = g(this.offset, (n) => new Float64Array(n));
    this.size = g(this.size, (n) => new Uint32Array(n));
    this.tag = g(this.tag, (n) => new Int32Array(n));
    this.column = g(this.column, (n) => new Int32Array(n));
  }

  /** Indexes in the order one scan finds them: by record or file, then window, then tag. */
  order(): Uint32Array {
    const idx = new Uint32Array(this.length);
    for (let i = 0; i < idx.length; i++) idx[i] = i;
    const { where, anchor, tag } = this;
    return idx.sort((a, b) => where[a]! - where[b]! || anchor[a]! - anchor[b]! || tag[a]! - tag[b]!);
  }
}

export interface OnePassStats {
  bytes: number;
  /** Window positions hashed in pass 1: each once, whatever the number of partitions. */
  positions: number;
  /** Positions passing the filter; of them, those whose hash indexes some pattern (the rest: filter false positives). */
  candidates: number;
  hashHits: number;
  matches: number;
  pass1Seconds: number;
  pass2Seconds: number;
}

const mb = (n: number) => (n / 1048576).toFixed(0);
const rss = () => `${mb(process.memoryUsage.rss())} MB RSS`;

function logPass(reporter: Reporter, what: string, s: OnePassStats): void {
  const rate = s.bytes > 0 ? ((100 * s.candidates) / s.bytes).toFixed(3) : "0";
  reporter.info(
    `Leak scan, ${what}: pass 1 ${mb(s.bytes)} MB in ${s.pass1Seconds.toFixed(1)} s (${(s.bytes / 1048576 / Math.max(s.pass1Seconds, 1e-6)).toFixed(0)} MB/s), ` +
      `${s.candidates} candidates (${rate} % of positions; ${s.candidates - s.hashHits} filter false positives, ${s.hashHits} on an indexed hash); ` +
      `pass 2 ${s.matches} matches in ${s.pass2Seconds.toFixed(1)} s; ${rss()}`,
  );
}

/** Lets timers and I/O run (the progress bar, the bench's RSS sampler) between chunks and partitions. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

const seconds = (since: number) => (performance.now() - since) / 1000;

/** Every original matched against the published-data cache in one pass; findings into `content`, in the cache's order. */
export async function matchPublishedOnePass(index: WindowIndex, cache: CacheFile, content: LogicalContent, reporter: Reporter): Promise<OnePassStats> {
  let t = performance.now();
  const writer = new CandidateWriter(index.dir, "published", index.partitions);
  try {
    // Pass 1: each stored leaf's windows (a match lies inside one leaf), by its offset in the file.
    let cursor = 0;
    let positions = 0;
    await replayCacheFileYielding(cache, {
      addStored(buf, lo, hi) {
        const leafAt = cursor + 8;
        cursor = leafAt + (hi - lo);
        positions += filterWindows(index.filter, buf, lo, hi - WINDOW, (p, m) => writer.add(index.partitionOf(m), leafAt, p - lo, m));
      },
    });
    writer.close();
    const stats: OnePassStats = { bytes: cache.bytes, positions, candidates: writer.total, hashHits: 0, matches: 0, pass1Seconds: seconds(t), pass2Seconds: 0 };
    t = performance.now();
    // Pass 2: per partition, each candidate's leaf read back and the partition's patterns verified there.
    const matches = new MatchList();
    const reader = new RangeReader(cache.file);
    const leaf = new LeafReader(reader);
    try {
      for (let k = 0; k < index.partitions; k++) {
        if (writer.counts[k] === 0) continue;
        await yieldToEventLoop();
        const { set, strongest } = index.load(k);
        let at = 0; // the candidate's leaf, for the one callback below (no closure per candidate)
        const found = (x: PatternMatch) => matches.push(at, x.anchor, x.offset, x.length, x.tag, strongest[x.pattern]!);
        writer.read(k, (leafAt, within, m) => {
          at = leafAt;
          leaf.read(leafAt);
          const { lo } = leaf;
          if (set.matchesAt(leaf.buf, lo + within, m, lo, lo + leaf.length, -lo, found) > 0) stats.hashHits++;
        });
      }
      stats.matches = matches.length;
      // In the cache's order, leaf by leaf: what a scan of each leaf against all originals gives.
      const order = matches.order();
      for (let i = 0; i < order.length; ) {
        const leafAt = matches.where[order[i]!]!;
        let j = i;
        while (j < order.length && matches.where[order[j]!] === leafAt) j++;
        leaf.read(leafAt);
        const { buf, lo, length, origin } = leaf;
        const from = i;
        content.addStoredMatches(buf, lo, lo + length, length <= 127 ? 1 : 4, cache.origins[origin]!, (found) => {
          for (let x = from; x < j; x++) {
            const n = order[x]!;
            found(matches.offset[n]!, matches.size[n]!, matches.tag[n]!, matches.column[n]!);
          }
        });
        i = j;
      }
    } finally {
      reader.close();
    }
    stats.pass2Seconds = seconds(t);
    logPass(reporter, "published data", stats);
    return stats;
  } finally {
    writer.dispose();
  }
}

/** The leaf stored at an offset of the cache file (its record header is the 8 bytes before it): one object, reused. */
class LeafReader {
  buf: Buffer = Buffer.alloc(0);
  /** Index in buf of the leaf's first byte. */
  lo = 0;
  length = 0;
  origin = 0;

  constructor(private readonly reader: RangeReader) {}

  read(leafAt: number): void {
    const r = this.reader;
    const head = r.get(leafAt - 8, leafAt);
    this.origin = head.readUInt32LE(leafAt - 8 - r.base);
    this.length = head.readUInt32LE(leafAt - 4 - r.base);
    this.buf = r.get(leafAt, leafAt + this.length);
    this.lo = leafAt - r.base;
  }
}

/**
 * Every original and container over the files of `sources` in one pass, into `tally` (each file
 * judged as scanStream() judges it). `wholeValues`: originals published as a whole value.
 */
export async function scanFilesOnePass(
  index: WindowIndex,
  sources: FileSource[],
  tally: ResidueTally,
  wholeValues: Uint8Array | undefined,
  reporter: Reporter,
  what: string,
  onProgress?: (bytes: number) => void,
): Promise<OnePassStats> {
  let t = performance.now();
  const writer = new CandidateWriter(index.dir, "files", index.partitions);
  try {
    let bytes = 0;
    let positions = 0;
    const chunk = Buffer.allocUnsafe(4 * 1024 * 1024 + WINDOW);
    for (const [f, source] of sources.entries()) {
      // Pass 1: the file read once, in chunks that keep the last WINDOW − 1 bytes of the one before.
      const fd = openSync(source.path, "r");
      try {
        let carry = 0;
        let base = 0; // file offset of chunk[0]
        for (;;) {
          const n = readSync(fd, chunk, carry, chunk.length - carry, null);
          if (n === 0) break;
          bytes += n;
          const have = carry + n;
          positions += filterWindows(index.filter, chunk, 0, have - WINDOW, (p, m) => writer.add(index.partitionOf(m), base + p, f, m));
          carry = Math.min(WINDOW - 1, have);
          chunk.copy(chunk, 0, have - carry, have);
          base += have - carry;
          onProgress?.(bytes);
          await yieldToEventLoop();
        }
      } finally {
        closeSync(fd);
      }
    }
    tally.bytesScanned += bytes;
    writer.close();
    const stats: OnePassStats = { bytes, positions, candidates: writer.total, hashHits: 0, matches: 0, pass1Seconds: seconds(t), pass2Seconds: 0 };
    t = performance.now();
    // Pass 2: per partition, each candidate verified in the bytes around it (reach on both sides).
    const matches = new MatchList();
    const reach = index.maxLength;
    let space: Buffer | undefined; // one block buffer for every file's reader
    for (let k = 0; k < index.partitions; k++) {
      if (writer.counts[k] === 0) continue;
      await yieldToEventLoop();
      const { set, first } = index.load(k);
      let file = -1;
      let reader: RangeReader | undefined;
      try {
        const found = (x: PatternMatch) => matches.push(file, x.anchor, x.offset, x.length, x.tag, first[x.pattern]!);
        writer.read(k, (p, f, m) => {
          if (f !== file) {
            reader?.close();
            reader = new RangeReader(sources[f]!.path, space);
            space = reader.buffer;
            file = f;
          }
          const buf = reader!.get(p - reach, p + reach + WINDOW);
          const base = reader!.base;
          const hi = Math.min(buf.length, reader!.size - base);
          if (set.matchesAt(buf, p - base, m, 0, hi, base, found) > 0) stats.hashHits++;
        });
      } finally {
        space = reader?.buffer ?? space;
        reader?.close();
      }
    }
    stats.matches = matches.length;
    // Each file's matches in window order through the judge, as one scan with every pattern gives them.
    const order = matches.order();
    for (let i = 0; i < order.length; ) {
      const f = matches.where[order[i]!]!;
      const judge = new HitJudge(tally, reach, wholeValues);
      for (; i < order.length && matches.where[order[i]!] === f; i++) {
        const n = order[i]!;
        const tag = matches.tag[n]!;
        judge.onMatch({
          pattern: 0,
          tag,
          offset: matches.offset[n]!,
          length: matches.size[n]!,
          anchor: matches.anchor[n]!,
          ...(tag >= 0 ? { source: matches.column[n]! } : {}),
        });
      }
      await judge.finish(sources[f]!);
    }
    stats.pass2Seconds = seconds(t);
    logPass(reporter, what, stats);
    return stats;
  } finally {
    writer.dispose();
  }
}
