// A server started on an image's data directory must have nothing to replay. Crash recovery replays
// whatever WAL the image carries, and some records act on the file system as the server's OS user
// before any check of ours can see them: a tablespace-create record makes a pg_tblspc link to any
// path and writes there. dbclone publishes a data directory only after a clean shutdown, so a clone
// refuses one that is not: pg_control must say "shut down", and the WAL record it names must be a
// shutdown checkpoint whose redo is itself. PostgreSQL decides to recover from exactly these (PG 15,
// InitWalRecovery: redo before the checkpoint, or a state other than shut down). Both are read here
// as bytes (a few KB, no child process), never executed; a record whose checksum is wrong makes
// PostgreSQL refuse to start on its own.
import { constants } from "node:fs";
import { type FileHandle, lstat, open, readdir } from "node:fs/promises";
import path from "node:path";

/** pg_control layout version of PostgreSQL 13–16 (PG_CONTROL_VERSION); its offsets are below. */
const KNOWN_CONTROL_VERSION = 1300;
const DB_SHUTDOWNED = 1;
/** floatFormat: PostgreSQL's own check that the file's layout is the one it expects. */
const FLOAT_FORMAT = 1234567.0;
const CONTROL = { version: 8, state: 16, checkPoint: 32, redo: 40, timeline: 48, floatFormat: 208, walBlockSize: 224, walSegmentSize: 228 };
/** XLogRecord: xl_tot_len 0, xl_info 16, xl_rmid 17; then block headers, then the main data. */
const RECORD_HEADER = 24;
const RM_XLOG_ID = 0;
const XLOG_CHECKPOINT_SHUTDOWN = 0x00;
const XLR_BLOCK_ID_DATA_SHORT = 255;
const XLR_BLOCK_ID_DATA_LONG = 254;
/** Page headers: short, or long where xlp_info says so (the first page of a segment). */
const XLP_LONG_HEADER = 0x0002;
const SHORT_PAGE_HEADER = 24;
const LONG_PAGE_HEADER = 40;
/** Record header + the longest main-data header + the CheckPoint's redo. */
const NEEDED = RECORD_HEADER + 5 + 8;

const lsnText = (lsn: bigint) => `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
const hex8 = (n: bigint | number) => n.toString(16).toUpperCase().padStart(8, "0");

interface ControlFacts {
  checkPoint: bigint;
  timeline: number;
  walBlockSize: number;
  walSegmentSize: number;
}

/** Why the data directory would start with crash recovery, or undefined when it starts clean. */
export async function uncleanShutdown(dataDir: string): Promise<string | undefined> {
  if (!(await lstat(path.join(dataDir, "global")).catch(() => undefined))?.isDirectory()) return "has no global directory (or a link in its place)";
  const control = await readPrefix(path.join(dataDir, "global", "pg_control"), 512);
  if (!control || control.length < 512) return "has no readable global/pg_control";
  const facts = controlFacts(control);
  if (typeof facts === "string") return facts;
  const walDir = path.join(dataDir, "pg_wal");
  const segNo = facts.checkPoint / BigInt(facts.walSegmentSize);
  const perId = 0x1_0000_0000n / BigInt(facts.walSegmentSize);
  const segName = `${hex8(segNo / perId)}${hex8(segNo % perId)}`;
  // PostgreSQL reads the segment from the newest timeline its history allows: every copy of it,
  // whatever its timeline, must hold the clean checkpoint, so whichever one it picks is clean.
  const copies = (await readdir(walDir).catch(() => [] as string[])).filter(
    (n) => /^[0-9A-F]{8}$/.test(n.slice(0, 8)) && n.length === 24 && n.slice(8) === segName && Number.parseInt(n.slice(0, 8), 16) <= facts.timeline,
  );
  if (!copies.includes(`${hex8(facts.timeline)}${segName}`)) return `has no WAL segment holding its last checkpoint (${lsnText(facts.checkPoint)})`;
  for (const copy of copies) {
    const why = await checkpointRecordProblem(walDir, copy, facts);
    if (why) return why;
  }
  return undefined;
}

function controlFacts(b: Buffer): ControlFacts | string {
  if (b.readUInt32LE(CONTROL.version) !== KNOWN_CONTROL_VERSION || b.readDoubleLE(CONTROL.floatFormat) !== FLOAT_FORMAT)
    return "has a pg_control of a layout dbclone does not read (PostgreSQL 13–16 only)";
  if (b.readUInt32LE(CONTROL.state) !== DB_SHUTDOWNED) return "was not shut down cleanly (pg_control), so it would start with crash recovery";
  const checkPoint = b.readBigUInt64LE(CONTROL.checkPoint);
  if (b.readBigUInt64LE(CONTROL.redo) !== checkPoint) return "has a last checkpoint whose redo is not itself (pg_control), so it would replay WAL";
  const walBlockSize = b.readUInt32LE(CONTROL.walBlockSize);
  const walSegmentSize = b.readUInt32LE(CONTROL.walSegmentSize);
  const pow2 = (n: number) => n > 0 && (n & (n - 1)) === 0;
  if (!pow2(walBlockSize) || walBlockSize < 1024 || !pow2(walSegmentSize) || walSegmentSize < walBlockSize || walSegmentSize > 1 << 30)
    return "has a pg_control with impossible WAL sizes";
  return { checkPoint, timeline: b.readUInt32LE(CONTROL.timeline), walBlockSize, walSegmentSize };
}

/** The checkpoint record in one segment file: a shutdown checkpoint whose redo is its own location. */
async function checkpointRecordProblem(walDir: string, segmentFile: string, f: ControlFacts): Promise<string | undefined> {
  const fh = await openPlainFile(path.join(walDir, segmentFile));
  if (!fh) return `has an unreadable WAL segment ${segmentFile}`;
  try {
    const bytes = await recordBytes(fh, Number(f.checkPoint % BigInt(f.walSegmentSize)), f);
    const notClean = `has a last checkpoint record in ${segmentFile} that is not a clean shutdown's, so it would replay WAL`;
    if (!bytes) return notClean;
    if (bytes[17] !== RM_XLOG_ID || (bytes[16]! & 0xf0) !== XLOG_CHECKPOINT_SHUTDOWN) return notClean;
    const id = bytes[RECORD_HEADER];
    const dataAt = id === XLR_BLOCK_ID_DATA_SHORT ? RECORD_HEADER + 2 : id === XLR_BLOCK_ID_DATA_LONG ? RECORD_HEADER + 5 : -1;
    if (dataAt < 0 || bytes.readBigUInt64LE(dataAt) !== f.checkPoint) return notClean;
    return undefined;
  } finally {
    await fh.close();
  }
}

/** The record's first NEEDED bytes, read across page headers as PostgreSQL reads them (within its segment). */
async function recordBytes(fh: FileHandle, start: number, f: ControlFacts): Promise<Buffer | undefined> {
  const out = Buffer.alloc(NEEDED);
  let got = 0;
  let at = start;
  if (at % f.walBlockSize < SHORT_PAGE_HEADER) return undefined; // a record never starts inside a page header
  while (got < NEEDED) {
    // A record this short crosses into the next segment only when it starts in a segment's last
    // ~40 bytes: refused (fails closed) rather than read from a second file.
    if (at >= f.walSegmentSize) return undefined;
    if (at % f.walBlockSize === 0) {
      const head = Buffer.alloc(4);
      if ((await fh.read(head, 0, 4, at)).bytesRead < 4) return undefined;
      at += head.readUInt16LE(2) & XLP_LONG_HEADER ? LONG_PAGE_HEADER : SHORT_PAGE_HEADER;
      continue;
    }
    const n = Math.min(NEEDED - got, f.walBlockSize - (at % f.walBlockSize));
    const { bytesRead } = await fh.read(out, got, n, at);
    if (bytesRead < n) return undefined;
    got += n;
    at += n;
  }
  return out;
}

/** A regular file, opened without following a link and without blocking on a FIFO planted in its place. */
async function openPlainFile(file: string): Promise<FileHandle | undefined> {
  const fh = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch(() => undefined);
  if (fh && !(await fh.stat()).isFile()) {
    await fh.close();
    return undefined;
  }
  return fh;
}

async function readPrefix(file: string, n: number): Promise<Buffer | undefined> {
  const fh = await openPlainFile(file);
  if (!fh) return undefined;
  try {
    const b = Buffer.alloc(n);
    const { bytesRead } = await fh.read(b, 0, n, 0);
    return b.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}
