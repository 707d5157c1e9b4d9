// Collision handling of a unique family, chunk by chunk, with the same result as mapFamily():
// inputs arrive in the same sorted order, and while an output equals an earlier output or any
// input of the family the next attempt is tried. Node keeps only 32-bit fingerprints of what is
// taken (an open-addressing table, ~8 bytes per value); a fingerprint hit is confirmed exactly
// by the caller (the staging server holds every input and every earlier output).
import { BuildError } from "../../errors.js";
import { MAX_ATTEMPTS, withSuffix } from "./family-mapping.js";

/** Two independent 32-bit FNV-1a style hashes of a string's UTF-16 code units. */
function hashes(s: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 13;
  }
  return [a >>> 0, (b ^ (b >>> 15)) >>> 0 || 1];
}

/** A set of fingerprints: `mightHave` has no false negatives; a positive must be confirmed. */
export class FingerprintSet {
  private slots: Uint32Array;
  private mask: number;
  private count = 0;

  constructor(expected: number) {
    let size = 1024;
    while (size < expected / 0.75) size *= 2; // never fuller than 3/4: short probe runs, ~5 bytes per value
    this.slots = new Uint32Array(size);
    this.mask = size - 1;
  }

  add(s: string): void {
    if (this.count + 1 > this.slots.length * 0.8) this.grow();
    const [h, fp] = hashes(s);
    this.insert(h, fp);
  }

  mightHave(s: string): boolean {
    const [h, fp] = hashes(s);
    for (let i = h & this.mask; ; i = (i + 1) & this.mask) {
      const v = this.slots[i]!;
      if (v === 0) return false;
      if (v === fp) return true;
    }
  }

  get bytes(): number {
    return this.slots.byteLength;
  }

  private insert(h: number, fp: number): void {
    for (let i = h & this.mask; ; i = (i + 1) & this.mask) {
      const v = this.slots[i]!;
      if (v === fp) return; // same fingerprint already there: a lookup finds it either way
      if (v === 0) {
        this.slots[i] = fp;
        this.count++;
        return;
      }
    }
  }

  // The slot comes from the first hash, which is not stored; growing needs the strings again,
  // so the table is sized from the family's count up front and only grows when that was wrong.
  private grow(): void {
    throw new BuildError("internal: the unique-family fingerprint table was sized too small");
  }
}

export interface UniqueChunkContext {
  family: string;
  /** Every input of the family and every output so far (fingerprints). */
  taken: FingerprintSet;
  /** Exact check of a fingerprint hit: is this string an input of the family or an output of an earlier chunk? */
  isTaken(candidate: string): Promise<boolean>;
  /** The masked form of `value` at `attempt` (attempt 0 is what the workers computed). */
  remap(value: string, attempt: number): string;
}

/** Resolve one chunk (values in the family's sorted order, first attempts given); returns the outputs. */
export async function resolveUniqueChunk(values: string[], first: string[], ctx: UniqueChunkContext): Promise<string[]> {
  const here = new Set<string>(); // outputs of this chunk: not on the server yet
  const out = new Array<string>(values.length);
  // Exact checks only after a fingerprint hit (rare): the common case never awaits.
  const taken = async (m: string) => here.has(m) || (await ctx.isTaken(m));
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    let attempt = 0;
    let masked = first[i]!;
    while (ctx.taken.mightHave(masked) && (await taken(masked))) {
      attempt++;
      if (attempt < MAX_ATTEMPTS) masked = ctx.remap(v, attempt);
      else if (attempt < MAX_ATTEMPTS * 2) masked = withSuffix(ctx.remap(v, 0), attempt);
      else
        throw new BuildError(
          `masking family '${ctx.family}' ran out of distinct values for a unique column; use a transformer with more outputs (hash, email).`,
        );
    }
    ctx.taken.add(masked);
    here.add(masked);
    out[i] = masked;
  }
  return out;
}
