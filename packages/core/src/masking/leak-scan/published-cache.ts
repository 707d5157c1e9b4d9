// The published data read back from the server once per leak scan, whatever the number of batches
// of originals: each text leaf is written in its stored form (length header + bytes) to a private
// temporary file (directory 0700, file 0600), and every batch is matched against that file instead
// of re-reading the server. Removed by dispose() (the caller's finally) and, as a backstop, at exit.
// Fail closed: a record cut short, or fewer bytes or records than were written, stops the scan.
import { closeSync, openSync, readSync, writeSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { BuildError } from "../../errors.js";
import { storedForm, type ValueOrigin } from "./explain.js";
import { WINDOW } from "./pattern-set.js";
import { makePrivateTempDir, type PrivateTempDir } from "../../util/private-temp-dir.js";

/** What the engine streams the published data into (LogicalContent, or this cache). */
export interface PublishedSink {
  addValue(leaves: Iterable<Uint8Array>, origin: ValueOrigin): void;
}

/** Where one batch's matching consumes the cache: LogicalContent.addStored. */
export interface StoredLeafSink {
  addStored(buf: Uint8Array, lo: number, hi: number, header: number, origin: ValueOrigin): void;
}

/** The sealed file, its origins and what was written (a replay checks it read exactly that). */
export interface CacheFile {
  file: string;
  origins: ValueOrigin[];
  bytes: number;
  records: number;
}

const RECORD_HEADER = 8; // u32 origin index, u32 stored length
const BUFFER = 4 * 1024 * 1024;

export class PublishedCache implements PublishedSink {
  /** The private directory holding the file (removed by dispose()). */
  readonly dir: string;
  private readonly temp: PrivateTempDir;
  readonly file: string;
  private fd: number | undefined;
  private readonly out = Buffer.allocUnsafe(BUFFER);
  private used = 0;
  /** Origins are few (one per column of each relation): records carry an index. */
  private readonly origins: ValueOrigin[] = [];
  private readonly originIds = new Map<ValueOrigin, number>();
  private bytesWritten = 0;
  private records = 0;
  private sealed = false;
  valuesRead = 0;

  constructor(parent = os.tmpdir()) {
    this.temp = makePrivateTempDir("dbclone-published-", parent);
    this.dir = this.temp.path;
    this.file = path.join(this.dir, "published");
    this.fd = openSync(this.file, "wx", 0o600);
  }

  addValue(leaves: Iterable<Uint8Array>, origin: ValueOrigin): void {
    if (this.sealed) throw new BuildError("internal: a value was added to the leak scan's published-data cache after it was sealed");
    this.valuesRead++;
    for (const raw of leaves) {
      // A stored form shorter than the shortest pattern can hold no match: nothing to keep.
      if (raw.length === 0 || raw.length + 1 < WINDOW) continue;
      const { bytes } = storedForm(raw);
      if (this.used + RECORD_HEADER + bytes.length > this.out.length) this.flush();
      let id = this.originIds.get(origin);
      if (id === undefined) {
        id = this.origins.length;
        this.origins.push(origin);
        this.originIds.set(origin, id);
      }
      if (RECORD_HEADER + bytes.length > this.out.length) {
        const head = Buffer.allocUnsafe(RECORD_HEADER);
        head.writeUInt32LE(id, 0);
        head.writeUInt32LE(bytes.length, 4);
        this.write(head);
        this.write(bytes);
      } else {
        this.out.writeUInt32LE(id, this.used);
        this.out.writeUInt32LE(bytes.length, this.used + 4);
        this.out.set(bytes, this.used + RECORD_HEADER);
        this.used += RECORD_HEADER + bytes.length;
      }
      this.bytesWritten += RECORD_HEADER + bytes.length;
      this.records++;
    }
  }

  /** The last records written and the file closed; replay() may run now, any number of times. */
  seal(): void {
    this.flush();
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    this.sealed = true;
  }

  /** What a worker thread needs to replay the file (replayCacheFile). */
  describe(): CacheFile {
    if (!this.sealed) throw new BuildError("internal: the leak scan's published-data cache was read before it was sealed");
    return { file: this.file, origins: this.origins, bytes: this.bytesWritten, records: this.records };
  }

  /** Every stored leaf, in the order it was read from the server, into `sink` (one batch's matching). */
  replay(sink: StoredLeafSink): void {
    replayCacheFile(this.describe(), sink);
  }

  private flush(): void {
    if (this.used === 0) return;
    this.write(this.out.subarray(0, this.used));
    this.used = 0;
  }

  private write(bytes: Uint8Array): void {
    if (this.fd === undefined) throw new BuildError("internal: the leak scan's published-data cache is closed");
    let done = 0;
    while (done < bytes.length) done += writeSync(this.fd, bytes, done, bytes.length - done);
  }

  /** Remove the file and its directory (idempotent). */
  dispose(): void {
    if (this.fd !== undefined) {
      closeSync(this.fd);
      this.fd = undefined;
    }
    this.temp.remove();
  }
}

/** Every stored leaf of a sealed cache file, in order, into `sink`; fails closed on a file cut short or changed. */
export function replayCacheFile(cache: CacheFile, sink: StoredLeafSink): void {
  const replay = new CacheReplay(cache);
  try {
    while (replay.step(sink));
  } finally {
    replay.close();
  }
}

/**
 * replayCacheFile(), letting the event loop run after every buffer read (a few MiB): a long
 * synchronous pass would freeze the progress bar and every timer until it ends.
 */
export async function replayCacheFileYielding(cache: CacheFile, sink: StoredLeafSink): Promise<void> {
  const replay = new CacheReplay(cache);
  try {
    while (replay.step(sink)) await new Promise<void>((resolve) => setImmediate(resolve));
  } finally {
    replay.close();
  }
}

/** A cache file read buffer by buffer: each step() passes the whole records it read to the sink. */
class CacheReplay {
  private readonly fd: number;
  private buf = Buffer.allocUnsafe(BUFFER);
  private have = 0; // valid bytes in buf
  private at = 0; // next record in buf
  private read = 0;
  private records = 0;

  constructor(private readonly cache: CacheFile) {
    this.fd = openSync(cache.file, "r");
  }

  /** One buffer's records into `sink`; false at the end of the file (checked whole). */
  step(sink: StoredLeafSink): boolean {
    const { cache } = this;
    // Move the unread tail to the front and fill the rest.
    if (this.at > 0) {
      this.buf.copy(this.buf, 0, this.at, this.have);
      this.have -= this.at;
      this.at = 0;
    }
    const n = readSync(this.fd, this.buf, this.have, this.buf.length - this.have, null);
    this.have += n;
    this.read += n;
    const buf = this.buf;
    let at = this.at;
    while (this.have - at >= RECORD_HEADER) {
      const length = buf.readUInt32LE(at + 4);
      if (this.have - at < RECORD_HEADER + length) break;
      const origin = cache.origins[buf.readUInt32LE(at)];
      if (!origin) throw damaged();
      const lo = at + RECORD_HEADER;
      sink.addStored(buf, lo, lo + length, length <= 127 ? 1 : 4, origin);
      at = lo + length;
      this.records++;
    }
    this.at = at;
    if (n === 0) {
      if (this.at !== this.have || this.read !== cache.bytes || this.records !== cache.records) throw damaged();
      return false;
    }
    // A record longer than the buffer: grow it to hold the whole record.
    if (this.at === 0 && this.have === buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(buf.length * 2, RECORD_HEADER + buf.readUInt32LE(4)));
      buf.copy(bigger, 0, 0, this.have);
      this.buf = bigger;
    }
    return true;
  }

  close(): void {
    closeSync(this.fd);
  }
}

function damaged(): BuildError {
  return new BuildError(
    "the leak scan's copy of the published data was cut short or changed while it was read, so nothing was published. Check the free space of the temporary directory and build again.",
  );
}
