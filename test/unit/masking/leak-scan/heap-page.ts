// Synthetic PostgreSQL pages for the leak scan's unit tests, built byte by byte from the page
// layout (src/include/storage/bufpage.h, itemid.h, access/htup_details.h): a 24-byte
// PageHeaderData (pd_lower at 12, pd_upper at 14, pd_special at 16), 4-byte line pointers
// (lp_off:15, lp_flags:2, lp_len:15) after it, tuples from the end of the page downwards.
export const PAGE = 8192;
export const LP_UNUSED = 0;
export const LP_NORMAL = 1;
export const LP_DEAD = 3;
export const HEAP_XMAX_LOCK_ONLY = 0x0080;
export const HEAP_XMIN_COMMITTED = 0x0100;
export const HEAP_XMIN_INVALID = 0x0200;
export const HEAP_XMAX_INVALID = 0x0800;
const HEAP_HEADER = 24; // t_xmin, t_xmax, t_cid, t_ctid (6), t_infomask2, t_infomask, t_hoff, padding

export interface HeapTuple {
  data: Buffer;
  xmin?: number;
  xmax?: number;
  infomask?: number;
  /** Line pointer flags (default LP_NORMAL). */
  flags?: number;
  /** Override the line pointer's length (a malformed or truncated item). */
  lpLen?: number;
}

/** A page whose tuples sit at the end, and where each tuple's data starts (page offset). */
export function heapPage(tuples: HeapTuple[], special = PAGE): { page: Buffer; dataAt: number[]; tupleAt: number[] } {
  const page = Buffer.alloc(PAGE);
  let upper = special;
  const dataAt: number[] = [];
  const tupleAt: number[] = [];
  tuples.forEach((t, i) => {
    const len = HEAP_HEADER + t.data.length;
    upper = (upper - len) & ~7; // MAXALIGN
    page.writeUInt32LE(t.xmin ?? 100, upper);
    page.writeUInt32LE(t.xmax ?? 0, upper + 4);
    page.writeUInt16LE(1, upper + 18); // t_infomask2: one attribute
    page.writeUInt16LE(t.infomask ?? HEAP_XMIN_COMMITTED | HEAP_XMAX_INVALID, upper + 20);
    page.writeUInt8(HEAP_HEADER, upper + 22); // t_hoff
    t.data.copy(page, upper + HEAP_HEADER);
    const word = (upper | ((t.flags ?? LP_NORMAL) << 15) | ((t.lpLen ?? len) << 17)) >>> 0;
    page.writeUInt32LE(word, 24 + 4 * i);
    dataAt.push(upper + HEAP_HEADER);
    tupleAt.push(upper);
  });
  page.writeUInt16LE(24 + 4 * tuples.length, 12); // pd_lower
  page.writeUInt16LE(upper, 14); // pd_upper
  page.writeUInt16LE(special, 16); // pd_special
  page.writeUInt16LE(PAGE | 4, 18); // pd_pagesize_version
  return { page, dataAt, tupleAt };
}

/** An index page (special area before the page's end) with one index tuple (8-byte IndexTupleData) holding `data`. */
export function indexPage(data: Buffer): { page: Buffer; dataAt: number } {
  const page = Buffer.alloc(PAGE);
  const special = PAGE - 16;
  const len = 8 + data.length;
  const off = (special - len) & ~7;
  page.writeUInt16LE(len, off + 6); // t_info: size
  data.copy(page, off + 8);
  page.writeUInt32LE((off | (LP_NORMAL << 15) | (len << 17)) >>> 0, 24);
  page.writeUInt16LE(28, 12);
  page.writeUInt16LE(off, 14);
  page.writeUInt16LE(special, 16);
  return { page, dataAt: off + 8 };
}

/** An inline-compressed varlena: 4-byte header (size << 2 | 0b10), 4-byte raw size, then pglz bytes. */
export function compressedDatum(payload: Buffer, rawSize: number): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt32LE((((8 + payload.length) << 2) | 0x02) >>> 0, 0);
  h.writeUInt32LE(rawSize, 4);
  return Buffer.concat([h, payload]);
}
