// The one-pass leak scan's global filter: one bit array over the indexed windows of every pattern
// (all originals, then the containers), probed at every position of the scanned bytes. Each
// pattern is indexed by one of its windows, chosen over all patterns: the window fewest patterns
// share (a saturating count of every window of every pattern), so a common substring ("@mail",
// "xample") is nobody's index and its every occurrence in the data is no candidate. The first probe uses the rolling hash alone; a position passing it is hashed a second,
// independent way for the other probes, so the costly part runs only on few positions.
import { WINDOW, rawWindowHash, mix, rollHash } from "./pattern-set.js";

/** Filter bits per pattern: with 3 probes, about 0.5 % of random windows pass. */
const BITS_PER_PATTERN = 16;
const MAX_FILTER_BITS = 30; // 128 MiB at most: past ~67 M patterns more windows pass, memory stays put
const MAX_SKETCH_BITS = 25;
/** A sketch slot whose both counts are at their maximum. */
const SATURATED = 0xffff;

/** An independent hash of the window at buf[at] (FNV-1a, mixed): the filter's second and third probes. */
export function secondHash(buf: Uint8Array, at: number): number {
  let g = 0x811c9dc5;
  for (let k = 0; k < WINDOW; k++) g = Math.imul(g ^ buf[at + k]!, 0x01000193);
  return Math.imul(g ^ (g >>> 13), 0x5bd1e995) >>> 0;
}

export class WindowFilter {
  readonly bits: Uint32Array;
  readonly shift: number;
  /**
   * Per slot, high byte: how many windows of all patterns hash there (saturating: common
   * substrings score high); low byte: how many patterns are indexed by a window there. One array,
   * so choosing a window costs one memory access per window.
   */
  private score: Uint16Array;
  private readonly sketchShift: number;
  patterns = 0;

  /** `expected`: patterns it will hold (sizes the filter: ~16 bits each). */
  constructor(expected: number) {
    const filterBits = Math.min(MAX_FILTER_BITS, Math.max(10, Math.ceil(Math.log2(Math.max(2, expected * BITS_PER_PATTERN)))));
    this.shift = 32 - filterBits;
    this.bits = new Uint32Array(2 ** filterBits / 32);
    const sketchBits = Math.min(MAX_SKETCH_BITS, Math.max(8, Math.ceil(Math.log2(Math.max(2, expected * 2)))));
    this.sketchShift = 32 - sketchBits;
    this.score = new Uint16Array(2 ** sketchBits);
  }

  /**
   * Count every window of a pattern (call for all patterns before add()): a window many patterns
   * share ("person", "xample") is common in the scanned bytes too, and would make every occurrence
   * a candidate; add() indexes each pattern by its rarest window instead.
   */
  count(bytes: Uint8Array): void {
    const { score, sketchShift } = this;
    let h = rawWindowHash(bytes, 0);
    const lastGram = Math.min(bytes.length - WINDOW, 0xffff);
    for (let at = 0; ; ) {
      const s = mix(h) >>> sketchShift;
      if (score[s]! < 0xff00) score[s]! += 0x100;
      if (++at > lastGram) break;
      h = rollHash(h, bytes[at - 1]!, bytes[at + WINDOW - 1]!);
    }
  }

  /**
   * Index a pattern: choose its window (the one fewest windows of all patterns share, then the
   * one fewest patterns are indexed by, then the first), set its bits, and return the window's
   * offset and hash.
   */
  add(bytes: Uint8Array): { at: number; m: number } {
    const { score, sketchShift } = this;
    // Between saturated windows (common, and 255 patterns indexed by each), a hash of the whole
    // pattern chooses: when every window of many patterns is saturated (the UTF-16 forms'
    // 3-character windows: "p\0e\0r\0"), they spread over their windows, not all onto the first one
    // (one partition, and one hash chain, holding them all).
    let seed = 0x811c9dc5;
    for (let k = 0; k < bytes.length; k++) seed = Math.imul(seed ^ bytes[k]!, 0x01000193);
    let h = rawWindowHash(bytes, 0);
    let best = mix(h);
    let bestAt = 0;
    let bestScore = score[best >>> sketchShift]!;
    let bestTie = mix(best ^ seed);
    const lastGram = Math.min(bytes.length - WINDOW, 0xffff);
    for (let at = 1; at <= lastGram && bestScore > 0; at++) {
      h = rollHash(h, bytes[at - 1]!, bytes[at + WINDOW - 1]!);
      const m = mix(h);
      const here = score[m >>> sketchShift]!;
      if (here > bestScore) continue;
      const tie = mix(m ^ seed);
      if (here < bestScore || (here === SATURATED && tie < bestTie)) {
        best = m;
        bestAt = at;
        bestScore = here;
        bestTie = tie;
      }
    }
    const s = best >>> sketchShift;
    if ((score[s]! & 0xff) < 0xff) score[s]!++;
    this.set(best, secondHash(bytes, bestAt));
    this.patterns++;
    return { at: bestAt, m: best };
  }

  /** The sketches are needed no more (every pattern added): their memory goes back. */
  dropSketches(): void {
    this.score = new Uint16Array(0);
  }

  private set(m: number, g: number): void {
    const { bits, shift } = this;
    const a = m >>> shift;
    const b = g >>> shift;
    const c = mix(g ^ m) >>> shift;
    bits[a >>> 5]! |= 1 << (a & 31);
    bits[b >>> 5]! |= 1 << (b & 31);
    bits[c >>> 5]! |= 1 << (c & 31);
  }

  /** The second and third probes for a window whose first probe (m) passed. */
  passesRest(buf: Uint8Array, at: number, m: number): boolean {
    const { bits, shift } = this;
    const g = secondHash(buf, at);
    const b = g >>> shift;
    if ((bits[b >>> 5]! & (1 << (b & 31))) === 0) return false;
    const c = mix(g ^ m) >>> shift;
    return (bits[c >>> 5]! & (1 << (c & 31))) !== 0;
  }

  /** Bytes held (filter and sketches), for the memory report. */
  get bytes(): number {
    return this.bits.byteLength + this.score.byteLength;
  }
}

/** Every window starting in buf[from, to] (each lying wholly in buf) that passes the filter, as (position, hash); returns the windows hashed. */
export function filterWindows(filter: WindowFilter, buf: Uint8Array, from: number, to: number, onCandidate: (p: number, m: number) => void): number {
  if (from > to) return 0;
  const { bits, shift } = filter;
  let h = rawWindowHash(buf, from);
  for (let p = from; ; ) {
    const m = mix(h);
    const a = m >>> shift;
    if ((bits[a >>> 5]! & (1 << (a & 31))) !== 0 && filter.passesRest(buf, p, m)) onCandidate(p, m);
    if (++p > to) break;
    h = rollHash(h, buf[p - 1]!, buf[p + WINDOW - 1]!);
  }
  return to - from + 1;
}
