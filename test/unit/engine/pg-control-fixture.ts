// A data directory's pg_control and the WAL segment holding its last checkpoint, written as bytes
// in PostgreSQL 15's layout (as clean-shutdown.ts reads them): a clean shutdown by default; each
// field can be set to what a crafted image would carry.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

export interface ControlSpec {
  version?: number;
  state?: number;
  /** The last checkpoint's location; its record is written there. */
  checkPoint?: bigint;
  /** The control file's copy of the checkpoint's redo (default: checkPoint). */
  controlRedo?: bigint;
  /** The record's own redo (default: checkPoint). */
  recordRedo?: bigint;
  /** xl_info of the record (0x00 shutdown checkpoint, 0x10 online). */
  info?: number;
  rmid?: number;
  timeline?: number;
  /** Where the segment goes (pg_wal, or a directory pg_wal links to). */
  walDir?: string;
  /** Write the segment under this timeline instead of the checkpoint's (a second copy). */
  segmentTimeline?: number;
  /** Byte offsets (in the segment) of pages whose header says long, besides the first. */
  longPages?: number[];
}

export const WAL_BLOCK = 8192;
export const WAL_SEGMENT = 1 << 20;

const hex8 = (n: bigint | number) => n.toString(16).toUpperCase().padStart(8, "0");

export function segmentName(timeline: number, lsn: bigint): string {
  const segNo = lsn / BigInt(WAL_SEGMENT);
  const perId = 0x1_0000_0000n / BigInt(WAL_SEGMENT);
  return `${hex8(timeline)}${hex8(segNo / perId)}${hex8(segNo % perId)}`;
}

export function writeControl(dataDir: string, spec: ControlSpec = {}): void {
  const checkPoint = spec.checkPoint ?? 0x100028n;
  const c = Buffer.alloc(8192);
  c.writeUInt32LE(spec.version ?? 1300, 8);
  c.writeUInt32LE(spec.state ?? 1, 16);
  c.writeBigUInt64LE(checkPoint, 32);
  c.writeBigUInt64LE(spec.controlRedo ?? checkPoint, 40);
  c.writeUInt32LE(spec.timeline ?? 1, 48);
  c.writeDoubleLE(1234567.0, 208);
  c.writeUInt32LE(8192, 216);
  c.writeUInt32LE(WAL_BLOCK, 224);
  c.writeUInt32LE(WAL_SEGMENT, 228);
  mkdirSync(path.join(dataDir, "global"), { recursive: true });
  writeFileSync(path.join(dataDir, "global", "pg_control"), c);
  const walDir = spec.walDir ?? path.join(dataDir, "pg_wal");
  mkdirSync(walDir, { recursive: true });
  writeFileSync(path.join(walDir, segmentName(spec.segmentTimeline ?? spec.timeline ?? 1, checkPoint)), segmentWith(checkPoint, spec));
}

/** One segment: page headers (long on the first page) and the checkpoint record at its offset, split across a page if it falls so. */
export function segmentWith(checkPoint: bigint, spec: ControlSpec): Buffer {
  const seg = Buffer.alloc(WAL_SEGMENT);
  for (let page = 0; page < WAL_SEGMENT; page += WAL_BLOCK) {
    seg.writeUInt16LE(0xd110, page); // xlp_magic of PG 15
    // Long header on the first page (and where asked); the others: a continuation.
    seg.writeUInt16LE(page === 0 || spec.longPages?.includes(page) ? 0x0002 : 0x0001, page + 2);
  }
  const record = Buffer.alloc(24 + 2 + 88);
  record.writeUInt32LE(record.length, 0);
  record[16] = spec.info ?? 0x00;
  record[17] = spec.rmid ?? 0;
  record[24] = 255; // XLR_BLOCK_ID_DATA_SHORT
  record[25] = 88;
  record.writeBigUInt64LE(spec.recordRedo ?? checkPoint, 26);
  let at = Number(checkPoint % BigInt(WAL_SEGMENT));
  for (const byte of record) {
    if (at % WAL_BLOCK === 0) at += at === 0 || spec.longPages?.includes(at) ? 40 : 24;
    seg[at++] = byte;
  }
  return seg;
}
