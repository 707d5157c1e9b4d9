// The originals the leak scan searches for: every distinct value (≥ minBytes) of every masked
// text-like column, no sample, each as UTF-8 and as UTF-16LE (how SQL Server stores nvarchar).
// Held in a PatternSet (bytes + ~20 per pattern), never written anywhere.
import { BuildError } from "../../errors.js";
import { PatternSetBuilder, patternSetOf, WINDOW, type PatternParts, type PatternSet } from "./pattern-set.js";
import { partitionsFor, WindowIndex } from "./window-index.js";

/** Spilled originals (originals-spill.ts), as OriginalSet reads them. */
export interface OriginalsSpillReader {
  readonly searched: number;
  readonly distinctTotal: number;
  readonly batchCount: number;
  load(batch: number): OriginalSet;
  /** Estimated bytes of all originals once loaded, and each original in id order (the one-pass scan's index). */
  readonly loadedBytes?: number;
  forEachOriginal?(each: (utf8: Uint8Array, id: number, first: number, strongest: number) => void): void;
  dispose(): void;
}

export interface OriginalSource {
  database: string;
  schema: string;
  table: string;
  column: string;
  /** Distinct original values of the column (all of them, short ones included). */
  distinct: number;
  /** Non-null rows of the column, when known: with `distinct` it decides the column's cardinality. */
  rows?: number;
  /** The policy declared the column unique (or a unique index says so). */
  unique?: boolean;
  /** The masking transformer (and address part): what kind of data the column holds. */
  transformer?: string;
  part?: string;
}

export interface OriginalColumn {
  source: OriginalSource;
  values: Iterable<string>;
}

export interface OriginalsOptions {
  /** Shorter values would match unrelated bytes by chance (default and minimum 6 bytes of UTF-8). */
  minBytes?: number;
  /** Longer values are searched by their first bytes (default 64 bytes of UTF-8). */
  maxBytes?: number;
}

/** One batch of spilled originals as plain arrays (the set's tables not built yet). */
export interface BatchParts {
  sources: OriginalSource[];
  patterns: PatternParts;
  sourceOf: Int32Array;
  strongest: Int32Array;
  distinctTotal: number;
  firstId: number;
}

/** Pattern tags: originals are (index << 1) | encoding; containers (see explain) are negative. */
export const tagOfOriginal = (index: number, utf16: boolean) => (index << 1) | (utf16 ? 1 : 0);
export const originalOfTag = (tag: number) => ({ index: tag >>> 1, utf16: (tag & 1) === 1 });

export class OriginalSet {
  /** Per original of this set (index − firstId): index into `sources` of the first column it came from. */
  readonly sourceOf: Int32Array;
  /** Per original of this set (index − firstId): the highest-cardinality column it came from (copies of it count by that column). */
  readonly strongestSourceOf: Int32Array;
  readonly #patterns: PatternSet;
  readonly #distinctTotal: number;

  constructor(
    readonly sources: OriginalSource[],
    /** Patterns: UTF-8 and UTF-16LE of every original (tags from tagOfOriginal). */
    patterns: PatternSet,
    sourceOf: ArrayLike<number>,
    strongest: ArrayLike<number>,
    /** Distinct originals of all masked text columns, and how many were long enough to search. */
    distinctTotal: number,
    /** The id of this set's first original: a batch of spilled originals starts past 0. */
    readonly firstId = 0,
    /** Originals past the memory budget, kept outside the heap: indexed for one pass (windowIndex()), or read batch by batch (batches()). */
    private readonly spill?: OriginalsSpillReader,
  ) {
    this.#patterns = patterns;
    this.#distinctTotal = distinctTotal;
    this.sourceOf = Int32Array.from(sourceOf);
    this.strongestSourceOf = Int32Array.from(strongest);
  }

  /** The patterns of an in-memory set; a spilled set has none in memory (read batches()), and says so rather than searching nothing. */
  get patterns(): PatternSet {
    if (this.spill) throw new BuildError("internal: the leak scan's originals were spilled to disk; read them with batches()");
    return this.#patterns;
  }

  get distinctTotal(): number {
    return this.spill ? this.spill.distinctTotal : this.#distinctTotal;
  }

  /** Originals searched (all batches). */
  get searched(): number {
    return this.spill ? this.spill.searched : this.sourceOf.length;
  }

  /** How many passes a scan makes: 1 in memory, one per batch when spilled. */
  get batchCount(): number {
    return this.spill ? this.spill.batchCount : 1;
  }

  /** Every original, one bounded batch at a time (ids global, in tags; per-original arrays local to the batch). */
  async *batches(): AsyncGenerator<OriginalSet> {
    if (!this.spill) {
      yield this;
      return;
    }
    for (let i = 0; i < this.spill.batchCount; i++) yield this.spill.load(i);
  }

  /** The first column of original `id` while its batch is loaded (this set). */
  sourceOfId(id: number): number {
    return this.sourceOf[id - this.firstId]!;
  }

  #index?: WindowIndex;

  /** Whether windowIndex() was built (and not yet disposed). */
  get hasWindowIndex(): boolean {
    return this.#index !== undefined;
  }

  /** Whether the spilled originals can be scanned in one pass (windowIndex()). */
  get onePass(): boolean {
    return this.spill?.forEachOriginal !== undefined && this.spill.loadedBytes !== undefined;
  }

  /**
   * The one-pass scan's index of all spilled originals (built on first use, kept until dispose()):
   * partitions of about `budget` loaded bytes each, in a private directory under `parent`.
   */
  windowIndex(budget: number, parent?: string): WindowIndex {
    if (this.#index) return this.#index;
    const spill = this.spill;
    if (!spill?.forEachOriginal || spill.loadedBytes === undefined)
      throw new BuildError("internal: these originals are not spilled, so they have no one-pass index");
    const index = new WindowIndex(spill.searched, partitionsFor(spill.loadedBytes, budget), parent);
    try {
      index.addOriginals((each) => spill.forEachOriginal!(each), tagOfOriginal);
    } catch (e) {
      index.dispose();
      throw e;
    }
    this.#index = index;
    return index;
  }

  /** Remove spilled originals and their index (idempotent; an in-memory set has nothing to remove). */
  dispose(): void {
    this.#index?.dispose();
    this.#index = undefined;
    this.spill?.dispose();
  }

  /** Per original: 1 when a masked output holds it (used where the published data cannot be read back). */
  insideOutputs = new Uint8Array(0);

  markInsideOutput(output: Uint8Array): void {
    if (this.insideOutputs.length !== this.searched) this.insideOutputs = new Uint8Array(this.searched);
    this.patterns.scanAll(output, (m) => {
      if (!originalOfTag(m.tag).utf16) this.insideOutputs[originalOfTag(m.tag).index] = 1;
    });
  }
}

/** A batch's OriginalSet from its parts (the matcher's tables built here). */
export function batchSet(p: BatchParts): OriginalSet {
  return new OriginalSet(p.sources, patternSetOf(p.patterns), p.sourceOf, p.strongest, p.distinctTotal, p.firstId);
}

/**
 * Whether copies of a column's originals in an unmasked column fail the build. High-cardinality
 * (identifying on their own): unique columns, and what the transformer says identifies a person —
 * email, phone, national id, IBAN, card, full name, street or full address. Low (reported, not
 * failing): first and last names, company, city, postcode, country. Any other column by its data:
 * ≥ 90 % distinct values per non-null row.
 */
export const HIGH_CARDINALITY_RATIO = 0.9;
const IDENTIFYING = new Set(["email", "phone", "nationalId", "iban", "creditCard", "fullName"]);
const LOW_BY_NATURE = new Set(["firstName", "lastName", "company"]);

export function isHighCardinality(s: OriginalSource): boolean {
  if (s.unique) return true;
  if (s.transformer && IDENTIFYING.has(s.transformer)) return true;
  if (s.transformer === "address") return s.part === undefined || s.part === "street" || s.part === "full";
  if (s.transformer && LOW_BY_NATURE.has(s.transformer)) return false;
  if (s.rows === undefined || s.rows === 0) return true; // unknown: assume the worst
  return s.distinct / s.rows >= HIGH_CARDINALITY_RATIO;
}

export function collectOriginals(columns: OriginalColumn[], opts: OriginalsOptions = {}): OriginalSet {
  const minBytes = Math.max(WINDOW, opts.minBytes ?? WINDOW);
  const maxBytes = Math.max(minBytes, opts.maxBytes ?? 64);
  const builder = new PatternSetBuilder();
  const index = new Map<string, number>();
  const sourceOf: number[] = [];
  const strongest: number[] = [];
  const short = new Set<string>(); // too short to search: counted, not searched
  columns.forEach((col, sourceIndex) => {
    for (const value of col.values) {
      const utf8 = truncateUtf8(value, maxBytes);
      if (utf8.length < minBytes) {
        short.add(value);
        continue;
      }
      const key = utf8.toString("latin1");
      const known = index.get(key);
      if (known !== undefined) {
        if (isHighCardinality(col.source) && !isHighCardinality(columns[strongest[known]!]!.source)) strongest[known] = sourceIndex;
        continue;
      }
      const id = sourceOf.length;
      index.set(key, id);
      sourceOf.push(sourceIndex);
      strongest.push(sourceIndex);
      builder.add(utf8, tagOfOriginal(id, false));
      const utf16 = Buffer.from(utf8.toString("utf8"), "utf16le");
      if (utf16.length >= WINDOW) builder.add(utf16, tagOfOriginal(id, true)); // two CJK characters are 6 bytes of UTF-8, 4 of UTF-16
    }
  });
  return new OriginalSet(
    columns.map((c) => c.source),
    builder.build(),
    sourceOf,
    strongest,
    index.size + short.size,
  );
}

/** The first maxBytes of UTF-8, cut on a character boundary. */
export function truncateUtf8(value: string, maxBytes: number): Buffer {
  const b = Buffer.from(value, "utf8");
  if (b.length <= maxBytes) return b;
  let end = maxBytes;
  while (end > 0 && (b[end]! & 0xc0) === 0x80) end--; // not inside a multi-byte character
  return b.subarray(0, end);
}

/** No originals (a build whose masking reads none, before it has read them). */
export const emptyOriginals = (): OriginalSet => collectOriginals([]);
