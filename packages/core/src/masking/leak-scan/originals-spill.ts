// Originals past a memory budget, kept outside Node's heap until the sealed disk is scanned: hash
// buckets in a private directory (mode 0700, under the build's work directory), encrypted with AES-256-CTR under a key
// that lives only in this process's memory, removed by dispose() and, as a backstop, when the
// process exits. At the end of the stream each bucket is deduplicated and sorted (ids are then
// deterministic, whatever order the families arrived in) and the buckets are grouped into
// batches of at most `budget` bytes (ids follow them). The one-pass leak scan reads them all once,
// in id order (forEachOriginal), into its index (window-index.ts); load() serves the per-batch
// path of a scan without a prepared plan (leakScanOrFail's sealed disk without read-back).
import crypto from "node:crypto";
import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from "node:fs";
import path from "node:path";
import { BuildError } from "../../errors.js";
import { batchSet, tagOfOriginal, type BatchParts, type OriginalSet, type OriginalSource } from "./originals.js";
import { PatternSetBuilder, WINDOW } from "./pattern-set.js";
import { dedupeBucket, RECORD_HEADER, type DedupedBucket } from "./bucket-dedupe.js";
import { mapLimit } from "../../util/map-limit.js";
import { makePrivateTempDir, type PrivateTempDir } from "../../util/private-temp-dir.js";

export { bytesPerOriginal } from "./bucket-dedupe.js";

/** Runs dedupeBucket somewhere (e.g. a worker thread); the records may be transferred, not copied. */
export type DedupeRunner = (records: Uint8Array) => Promise<DedupedBucket>;

const FLUSH_AT = 64 * 1024;

interface Bucket {
  file: string;
  iv: Buffer;
  cipher?: crypto.Cipher;
  /** Records not yet written (one buffer per bucket, allocated at its first record). */
  pending?: Buffer;
  pendingBytes: number;
  /** After finish: distinct long originals in the bucket, and their estimated loaded bytes. */
  count: number;
  bytes: number;
}

interface Batch {
  buckets: number[];
  firstId: number;
  count: number;
}

export class OriginalsSpill {
  /** The private directory of the spill (removed by dispose()). */
  readonly dir: string;
  private readonly temp: PrivateTempDir;
  private readonly key = crypto.randomBytes(32);
  private readonly buckets: Bucket[];
  private batches: Batch[] = [];
  private disposed = false;
  searched = 0;
  distinctTotal = 0;

  constructor(
    readonly sources: OriginalSource[],
    bucketCount: number,
    private readonly budget: number,
    /** Where the private directory goes (the build's work directory, which gc removes after a crash). */
    parent?: string,
  ) {
    this.temp = makePrivateTempDir("dbclone-originals-", parent);
    this.dir = this.temp.path;
    this.buckets = Array.from({ length: bucketCount }, (_, i) => ({
      file: path.join(this.dir, `b${i}`),
      iv: crypto.randomBytes(16),
      pendingBytes: 0,
      count: 0,
      bytes: 0,
    }));
    for (const b of this.buckets) {
      b.cipher = crypto.createCipheriv("aes-256-ctr", this.key, b.iv);
      closeSync(openSync(b.file, "wx", 0o600));
    }
  }

  /** One original (UTF-8, at most maxBytes; shorter than WINDOW: counted, not searched) with its first and first high-cardinality column. */
  add(utf8: Uint8Array, hash: number, first: number, firstHigh: number): void {
    const b = this.buckets[hash % this.buckets.length]!;
    // Written in place into the bucket's buffer: no object per original (the stream passes tens of millions).
    b.pending ??= Buffer.allocUnsafe(FLUSH_AT + RECORD_HEADER + 255);
    const at = b.pendingBytes;
    b.pending[at] = utf8.length;
    b.pending.writeInt32LE(first, at + 1);
    b.pending.writeInt32LE(firstHigh, at + 5);
    b.pending.set(utf8, at + RECORD_HEADER);
    b.pendingBytes += RECORD_HEADER + utf8.length;
    if (b.pendingBytes >= FLUSH_AT) this.flush(b);
  }

  private flush(b: Bucket): void {
    if (b.pendingBytes === 0) return;
    const fd = openSync(b.file, "a");
    try {
      writeSync(fd, b.cipher!.update(b.pending!.subarray(0, b.pendingBytes)));
    } finally {
      closeSync(fd);
    }
    b.pendingBytes = 0;
  }

  private read(b: Bucket): Buffer {
    return crypto.createDecipheriv("aes-256-ctr", this.key, b.iv).update(readFileSync(b.file));
  }

  /** End of the stream: deduplicate and sort each bucket, count, and group buckets into batches. */
  finish(): void {
    let shorts = 0;
    for (const b of this.buckets) shorts += this.store(b, dedupeBucket(this.close(b)));
    this.groupBatches(shorts);
  }

  /** finish(), with the buckets deduplicated by `dedupe` (worker threads), `parallel` at a time. */
  async finishWith(dedupe: DedupeRunner, parallel: number): Promise<void> {
    const shorts = await mapLimit(this.buckets, parallel, async (b) => this.store(b, await dedupe(this.close(b))));
    this.groupBatches(shorts.reduce((a, n) => a + n, 0));
  }

  /** The bucket's last records written, and all of them read back (decrypted). */
  private close(b: Bucket): Buffer {
    this.flush(b);
    b.cipher = undefined;
    b.pending = undefined;
    return this.read(b);
  }

  /** Keep a deduplicated bucket (encrypted under a fresh IV); returns its originals too short to search. */
  private store(b: Bucket, d: DedupedBucket): number {
    b.count = d.count;
    b.bytes = d.bytes;
    b.iv = crypto.randomBytes(16);
    writeFileSync(b.file, crypto.createCipheriv("aes-256-ctr", this.key, b.iv).update(d.data), { mode: 0o600 });
    return d.shorts;
  }

  private groupBatches(shorts: number): void {
    // Consecutive buckets up to the budget make one batch (a bucket larger than the budget is a batch of its own).
    let current: Batch | undefined;
    let currentBytes = 0;
    let nextId = 0;
    this.buckets.forEach((b, i) => {
      if (b.count === 0) return;
      if (!current || currentBytes + b.bytes > this.budget) {
        current = { buckets: [], firstId: nextId, count: 0 };
        currentBytes = 0;
        this.batches.push(current);
      }
      current.buckets.push(i);
      current.count += b.count;
      currentBytes += b.bytes;
      nextId += b.count;
    });
    // A pattern's tag is (id << 1) | encoding in an int32: ids stay below 2^30.
    if (nextId >= 2 ** 30)
      throw new BuildError(`the leak scan cannot search ${nextId} distinct originals (at most ${2 ** 30 - 1}); mask fewer columns per build`);
    this.searched = nextId;
    this.distinctTotal = nextId + shorts;
  }

  get batchCount(): number {
    return this.batches.length;
  }

  /** Batch i as an OriginalSet whose ids (pattern tags) start at the batch's first id. */
  load(i: number): OriginalSet {
    return batchSet(this.parts(i));
  }

  /** Batch i as plain arrays (the matcher's tables not built). */
  private parts(i: number): BatchParts {
    if (this.disposed) throw new BuildError("internal: the leak scan's originals were read after they were removed");
    const batch = this.batches[i]!;
    const builder = new PatternSetBuilder();
    const sourceOf: number[] = [];
    const strongest: number[] = [];
    this.eachRecord(batch, (utf8, id, first, strong) => {
      sourceOf.push(first);
      strongest.push(strong);
      builder.add(utf8, tagOfOriginal(id, false));
      const utf16 = Buffer.from(Buffer.from(utf8.buffer, utf8.byteOffset, utf8.byteLength).toString("utf8"), "utf16le");
      if (utf16.length >= WINDOW) builder.add(utf16, tagOfOriginal(id, true));
    });
    return {
      sources: this.sources,
      patterns: builder.parts(),
      sourceOf: Int32Array.from(sourceOf),
      strongest: Int32Array.from(strongest),
      distinctTotal: this.distinctTotal,
      firstId: batch.firstId,
    };
  }

  /** Estimated bytes of all searchable originals once loaded (the sum of the batches' budgets). */
  get loadedBytes(): number {
    return this.buckets.reduce((a, b) => a + b.bytes, 0);
  }

  /** Every searchable original in id order (batch by batch), with its first and strongest column: the one-pass index reads them once. */
  forEachOriginal(each: (utf8: Uint8Array, id: number, first: number, strongest: number) => void): void {
    if (this.disposed) throw new BuildError("internal: the leak scan's originals were read after they were removed");
    for (const batch of this.batches) this.eachRecord(batch, each);
  }

  /** One batch's records in id order; a batch cut short or grown on disk stops the build (nothing is published). */
  private eachRecord(batch: (typeof this.batches)[number], each: (utf8: Uint8Array, id: number, first: number, strongest: number) => void): void {
    let id = batch.firstId;
    for (const bi of batch.buckets) {
      const data = this.read(this.buckets[bi]!);
      for (let at = 0; at < data.length; id++) {
        const len = data[at]!;
        const first = data.readInt32LE(at + 1);
        const high = data.readInt32LE(at + 5);
        each(data.subarray(at + RECORD_HEADER, at + RECORD_HEADER + len), id, first, high >= 0 ? high : first);
        at += RECORD_HEADER + len;
      }
    }
    if (id !== batch.firstId + batch.count)
      throw new BuildError("the leak scan's spilled originals were cut short or changed on disk, so nothing was published. Build again.");
  }

  dispose(): void {
    this.disposed = true;
    this.temp.remove();
  }
}
