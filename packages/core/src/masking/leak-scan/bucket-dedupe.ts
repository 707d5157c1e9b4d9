// One spilled bucket of originals made final: deduplicated (a value in two columns keeps its
// lowest column and lowest high-cardinality column) and sorted by its UTF-8 bytes, so ids do not
// depend on the order the families were streamed in. Pure (no I/O, no key): the spill runs it on
// the mapping worker threads, one bucket per thread, or inline.
import { WINDOW } from "./pattern-set.js";

/** Bytes a loaded original costs in a PatternSet (UTF-8 + UTF-16LE + tables) beyond its own UTF-8 bytes. */
export const bytesPerOriginal = (utf8Length: number) => 3 * utf8Length + 96;

export const RECORD_HEADER = 9; // length u8, first i32, first high i32

export interface DedupedBucket {
  /** The distinct searchable originals as records, sorted. */
  data: Uint8Array;
  count: number;
  /** Estimated bytes once loaded (bytesPerOriginal). */
  bytes: number;
  /** Distinct originals too short to search: counted, not kept. */
  shorts: number;
}

export function dedupeBucket(records: Uint8Array): DedupedBucket {
  const data = Buffer.from(records.buffer, records.byteOffset, records.byteLength);
  const seen = new Map<string, [number, number]>(); // latin1 of the UTF-8 bytes → first, first high
  for (let at = 0; at < data.length; ) {
    const len = data[at]!;
    const first = data.readInt32LE(at + 1);
    const high = data.readInt32LE(at + 5);
    const k = data.toString("latin1", at + RECORD_HEADER, at + RECORD_HEADER + len);
    at += RECORD_HEADER + len;
    const known = seen.get(k);
    if (!known) seen.set(k, [first, high]);
    else {
      if (first < known[0]) known[0] = first;
      if (high >= 0 && (known[1] < 0 || high < known[1])) known[1] = high;
    }
  }
  const keys = [...seen.keys()].filter((k) => k.length >= WINDOW).sort();
  // Its own memory (not the shared pool): a worker thread hands it back by transfer.
  const out = Buffer.allocUnsafeSlow(keys.reduce((n, k) => n + RECORD_HEADER + k.length, 0));
  let at = 0;
  let bytes = 0;
  for (const k of keys) {
    const [first, high] = seen.get(k)!;
    out[at] = k.length;
    out.writeInt32LE(first, at + 1);
    out.writeInt32LE(high, at + 5);
    out.write(k, at + RECORD_HEADER, "latin1");
    at += RECORD_HEADER + k.length;
    bytes += bytesPerOriginal(k.length);
  }
  return { data: out, count: keys.length, bytes, shorts: seen.size - keys.length };
}
