// The one-pass leak scan's candidate positions: every window of the scanned bytes that passes the
// global filter, written to the partition of its hash (16-byte records: f64 position, u32 aux,
// u32 window hash) in the index's private directory (0600 files), and read back partition by
// partition in the order they were written (ascending position: the verifying reads are sequential).
// A partition file whose size is not what was written stops the scan (fail closed).
import { closeSync, fstatSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import path from "node:path";
import { BuildError } from "../../errors.js";

const RECORD = 16;
const BUFFER_RECORDS = 4096;
/** Write buffers of all partitions together: past 256 partitions each gets less than 64 KiB (at least 4 KiB). */
const WRITE_BUFFERS = 16 * 1024 * 1024;

export class CandidateWriter {
  private readonly fds: number[];
  private readonly bufs: Buffer[];
  private readonly used: Int32Array;
  readonly counts: Float64Array;
  private readonly files: string[];
  private closed = false;
  /** read()'s buffer, one for every partition (no megabyte left to the collector per partition). */
  private readBuffer: Buffer | undefined;

  constructor(dir: string, name: string, partitions: number) {
    this.files = Array.from({ length: partitions }, (_, k) => path.join(dir, `${name}-${k}`));
    this.fds = this.files.map((f) => openSync(f, "wx", 0o600));
    const records = Math.max(256, Math.min(BUFFER_RECORDS, Math.floor(WRITE_BUFFERS / RECORD / partitions)));
    this.bufs = this.files.map(() => Buffer.allocUnsafeSlow(RECORD * records));
    this.used = new Int32Array(partitions);
    this.counts = new Float64Array(partitions);
  }

  add(partition: number, position: number, aux: number, m: number): void {
    const b = this.bufs[partition]!;
    const at = this.used[partition]!;
    b.writeDoubleLE(position, at);
    b.writeUInt32LE(aux >>> 0, at + 8);
    b.writeUInt32LE(m >>> 0, at + 12);
    this.counts[partition]!++;
    this.used[partition] = at + RECORD;
    if (at + RECORD === b.length) this.flush(partition);
  }

  private flush(k: number): void {
    const n = this.used[k]!;
    let done = 0;
    while (done < n) done += writeSync(this.fds[k]!, this.bufs[k]!, done, n - done);
    this.used[k] = 0;
  }

  /** Bytes of the write buffers (all partitions). */
  get bufferBytes(): number {
    return this.bufs.reduce((a, b) => a + b.length, 0);
  }

  get total(): number {
    return this.counts.reduce((a, n) => a + n, 0);
  }

  /** All written and closed: the partitions can be read. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (let k = 0; k < this.fds.length; k++) {
      this.flush(k);
      closeSync(this.fds[k]!);
    }
  }

  /** Partition k's candidates in the order written (no object per candidate); throws if the file is not what was written. */
  read(k: number, each: (position: number, aux: number, m: number) => void): void {
    if (!this.closed) throw new Error("internal: leak-scan candidates read before they were all written");
    const fd = openSync(this.files[k]!, "r");
    try {
      if (fstatSync(fd).size !== this.counts[k]! * RECORD) throw damaged();
      this.readBuffer ??= Buffer.allocUnsafeSlow(RECORD * BUFFER_RECORDS * 16);
      const buf = this.readBuffer;
      let seen = 0;
      for (;;) {
        const n = readFully(fd, buf, buf.length, null);
        if (n % RECORD !== 0) throw damaged();
        for (let at = 0; at < n; at += RECORD) each(buf.readDoubleLE(at), buf.readUInt32LE(at + 8), buf.readUInt32LE(at + 12));
        seen += n / RECORD;
        if (n < buf.length) break;
      }
      if (seen !== this.counts[k]) throw damaged();
    } finally {
      closeSync(fd);
    }
  }

  /** Remove the files (idempotent; the index's directory goes with the originals too). */
  dispose(): void {
    if (!this.closed) for (const fd of this.fds) closeSync(fd);
    this.closed = true;
    for (const f of this.files) rmSync(f, { force: true });
  }
}

const BLOCK = 1 << 20;

/** Reads byte ranges of one file, ascending, through one cached block, reused for every read (the candidates come sorted). */
export class RangeReader {
  private space: Buffer;
  private block: Buffer = Buffer.alloc(0);
  /** The file offset of the buffer get() returned last (no object per call: candidates are millions). */
  base = 0;
  private fd: number | undefined;
  readonly size: number;

  /** `space`: the block's buffer, to share one between readers used one after the other. */
  constructor(file: string, space?: Buffer) {
    this.fd = openSync(file, "r");
    this.size = fstatSync(this.fd).size;
    this.space = space ?? Buffer.allocUnsafeSlow(BLOCK);
  }

  /** The block's buffer (pass it to the next reader). */
  get buffer(): Buffer {
    return this.space;
  }

  /**
   * A buffer holding file[from, to) (clipped to the file); its first byte is at file offset `base`.
   * Valid until the next get(): the same memory is read into again.
   */
  get(from: number, to: number): Buffer {
    from = Math.max(0, from);
    to = Math.min(this.size, to);
    if (from < this.base || to > this.base + this.block.length) {
      const length = Math.min(this.size - from, Math.max(this.space.length, to - from));
      if (length > this.space.length) this.space = Buffer.allocUnsafeSlow(length); // a value longer than the block: rare
      const n = readFully(this.fd!, this.space, length, from);
      if (n < to - from) throw damaged();
      this.block = this.space.subarray(0, n);
      this.base = from;
    }
    return this.block;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** Up to `length` bytes into buf (fewer only at the end of the file), from `position` (null: the file's own position). */
function readFully(fd: number, buf: Buffer, length: number, position: number | null): number {
  let n = 0;
  for (;;) {
    const r = readSync(fd, buf, n, length - n, position === null ? null : position + n);
    if (r <= 0) return n;
    n += r;
    if (n === length) return n;
  }
}

function damaged(): BuildError {
  return new BuildError(
    "the leak scan's candidate positions or the bytes under them were cut short or changed on disk, so nothing was published. Check the free space of the build's work directory and build again.",
  );
}
