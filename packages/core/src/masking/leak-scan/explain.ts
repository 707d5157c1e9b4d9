// The logical side of the leak scan, read from the masked data before it is sealed: every value
// the image legitimately publishes (user tables and system catalogs of every database) is matched
// against the originals. A match yields (1) a *container*: the stored form of that value, so a
// raw-byte hit lying inside it is explained (the masked email stored behind its length byte,
// "Greenland" in a country column, its statistics, a catalog comment); and (2) for an unmasked
// user column, a *copy* of personal data, reported per column.
import { PatternSetBuilder, type PatternParts, type PatternSet } from "./pattern-set.js";
import { originalOfTag, type OriginalSet } from "./originals.js";

/** The bytes PostgreSQL stores for a varlena: 1-byte header up to 126 bytes, else 4-byte. */
export function storedForm(raw: Uint8Array): { bytes: Buffer; header: number } {
  if (raw.length + 1 <= 127) return { bytes: Buffer.concat([Buffer.from([((raw.length + 1) << 1) | 1]), raw]), header: 1 };
  const h = Buffer.alloc(4);
  h.writeUInt32LE(((raw.length + 4) << 2) >>> 0);
  return { bytes: Buffer.concat([h, raw]), header: 4 };
}

/** Why a raw-byte hit is explained: which kind of published bytes it lies inside. */
export const CONTAINER_KINDS = [
  "length-header",
  "masked-value",
  "unmasked-value",
  "catalog",
  "toast-chunk",
  "published-value",
  "compressed",
  "live-tuple",
] as const;
export type ContainerKind = (typeof CONTAINER_KINDS)[number];
const KINDS = CONTAINER_KINDS.length;
export const tagOfContainer = (index: number, kind: ContainerKind) => -1 - (index * KINDS + CONTAINER_KINDS.indexOf(kind));
export const containerKindOfTag = (tag: number): ContainerKind => CONTAINER_KINDS[(-1 - tag) % KINDS]!;

/**
 * Where a published value comes from: a masked or unmasked user column, a system catalog, or a
 * live TOAST chunk (a long value's bytes split into ~2 KB pieces, which splits its stored form).
 * Catalog text is published too, so an original inside it (a table comment quoting a customer, a
 * view or function body with an email literal) is a copy like one in an unmasked column, judged by
 * the same cardinality rule. Rows initdb made (stock comments, collation names) are explained only.
 */
export type ValueOrigin =
  | { kind: "masked" | "toast" }
  | { kind: "unmasked"; column: Omit<CopyFinding, "bySource"> }
  /** A catalog row about an object a user made carries its column (copies are judged); a stock row does not. */
  | { kind: "catalog"; column?: Omit<CopyFinding, "bySource"> };

const containerKindOf: Record<ValueOrigin["kind"], ContainerKind> = {
  masked: "masked-value",
  unmasked: "unmasked-value",
  catalog: "catalog",
  toast: "toast-chunk",
};

export interface CopyFinding {
  database: string;
  schema: string;
  table: string;
  column: string;
  /** Distinct originals found inside this column's values, per source column index. */
  bySource: Map<number, Set<number>>;
}

/** Accumulates containers and copies while the logical content is streamed through it. */
export class LogicalContent {
  private readonly containers = new PatternSetBuilder();
  private readonly seen = new Set<string>();
  readonly copies = new Map<string, CopyFinding>();
  /** Per original: 1 when some published value is exactly that original (see ScanPlan). */
  readonly wholeValues: Uint8Array;
  valuesRead = 0;

  /**
   * `total`: originals over all batches (default: this set's); a scan in batches reads the
   * published data once per batch (useOriginals), keeping containers, copies and whole values.
   */
  constructor(
    private originals: OriginalSet,
    total = originals.searched,
  ) {
    this.wholeValues = new Uint8Array(total);
  }

  /** The next batch of originals (ids past the previous batch's). */
  useOriginals(batch: OriginalSet): void {
    this.originals = batch;
  }

  /** One published value (already split into its text leaves); an unmasked column's may be a copy. */
  addValue(leaves: Iterable<Uint8Array>, origin: ValueOrigin): void {
    this.valuesRead++;
    for (const raw of leaves) {
      if (raw.length === 0) continue;
      const form = storedForm(raw);
      this.addStored(form.bytes, 0, form.bytes.length, form.header, origin);
    }
  }

  /**
   * One leaf in its stored form (`header` length byte(s), then the value), at buf[lo, hi): what
   * addValue does per leaf, on bytes read back from the published-data cache (no copy per leaf).
   */
  addStored(buf: Uint8Array, lo: number, hi: number, header: number, origin: ValueOrigin): void {
    const { patterns, strongestSourceOf, firstId } = this.originals;
    this.addStoredMatches(buf, lo, hi, header, origin, (found) =>
      patterns.scanRange(buf, lo, hi, (m) => found(m.offset, m.length, m.tag, strongestSourceOf[originalOfTag(m.tag).index - firstId]!)),
    );
  }

  /**
   * One leaf in its stored form with its matches (offset in the leaf, length, tag, the original's
   * strongest column), given by `matches`: addStored's matching, or the one-pass scan's verified
   * matches of this leaf (all partitions), which carry the column with them.
   */
  addStoredMatches(
    buf: Uint8Array,
    lo: number,
    hi: number,
    header: number,
    origin: ValueOrigin,
    matches: (found: (offset: number, length: number, tag: number, strongest: number) => void) => void,
  ): void {
    const copyOf = origin.kind === "unmasked" || origin.kind === "catalog" ? origin.column : undefined;
    const rawLength = hi - lo - header;
    let inside = false;
    let acrossHeader = false;
    matches((offset, length, tag, strongest) => {
      if (offset >= header) {
        inside = true;
        if (offset === header && length === rawLength) this.wholeValues[originalOfTag(tag).index] = 1;
        if (copyOf) this.recordCopy(copyOf, originalOfTag(tag).index, strongest);
      } else acrossHeader = true;
    });
    if (inside) this.addContainer(Buffer.from(buf.subarray(lo + header, hi)), containerKindOf[origin.kind]);
    else if (acrossHeader) this.addContainer(Buffer.from(buf.subarray(lo, hi)), "length-header");
  }

  private addContainer(bytes: Buffer, kind: ContainerKind): void {
    const key = bytes.toString("latin1");
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.containers.add(bytes, tagOfContainer(this.containers.size, kind));
  }

  private recordCopy(col: Omit<CopyFinding, "bySource">, original: number, source: number): void {
    const key = [col.database, col.schema, col.table, col.column].join("\u0000");
    let f = this.copies.get(key);
    if (!f) {
      f = { ...col, bySource: new Map() };
      this.copies.set(key, f);
    }
    let set = f.bySource.get(source);
    if (!set) {
      set = new Set();
      f.bySource.set(source, set);
    }
    set.add(original);
  }

  /** Every container so far, as one set's parts (the one-pass index adds them: WindowIndex.addContainers). */
  containerParts(): PatternParts {
    return this.containers.parts();
  }

  get containerCount(): number {
    return this.containers.size;
  }

  /** Originals and containers in one set, for the raw-byte scan. */
  scanSet(): PatternSet {
    const all = new PatternSetBuilder();
    const { patterns } = this.originals;
    for (let i = 0; i < patterns.size; i++) all.add(patterns.pattern(i), patterns.tags[i]!);
    const containers = this.containers.build();
    for (let i = 0; i < containers.size; i++) all.add(containers.pattern(i), containers.tags[i]!);
    return all.build();
  }
}

/** The text leaves of a value as the driver returns it: strings, bytes, array elements, JSON keys and strings. */
export function* textLeaves(value: unknown, composite = false): Generator<Uint8Array> {
  if (value === null || value === undefined) return;
  if (typeof value === "string") {
    const b = Buffer.from(value, "utf8");
    yield b;
    // A composite's text form "(a,"b c")": its fields are stored one by one.
    if (composite) for (const part of value.split(/[(),"\\]+/)) if (part) yield Buffer.from(part, "utf8");
    return;
  }
  if (value instanceof Uint8Array) {
    yield value;
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) yield* textLeaves(v, composite);
    return;
  }
  if (value instanceof Date) return;
  if (typeof value === "object") {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      yield Buffer.from(k, "utf8");
      yield* textLeaves(v, composite);
    }
  }
  // numbers and booleans are stored in binary: no text to find
}
