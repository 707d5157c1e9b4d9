// What a raw-byte hit sits in, read from PostgreSQL's page layout (8 KB pages: a 24-byte header
// with pd_lower/pd_special, line pointers, tuples): the channel named in errors, and whether the hit
// lies inside a compressed datum, whose pglz literals are arbitrary pieces of published values.
import { open } from "node:fs/promises";
import path from "node:path";

const PAGE = 8192;

export function isRelationFile(rel: string): boolean {
  const parts = rel.split(path.sep);
  const at = parts.findIndex((p) => p === "base" || p === "global");
  return at >= 0 && /^\d+(\.\d+)?$/.test(parts[parts.length - 1]!);
}

/** A PostgreSQL data file's role, for the error: WAL, heap (table/TOAST) page or index page. */
export async function channelOfFile(full: string, rel: string, offset: number): Promise<string> {
  const parts = rel.split(path.sep);
  const dataAt = parts.findIndex((p) => p === "pg_wal" || p === "base" || p === "global");
  const inner = dataAt >= 0 ? parts.slice(dataAt) : parts;
  if (inner[0] === "pg_wal") return `a kept WAL segment (${inner.join("/")})`;
  if ((inner[0] === "base" || inner[0] === "global") && /^\d+(\.\d+)?$/.test(inner[inner.length - 1]!)) {
    const page = await pageKind(full, offset);
    return `${page} in relation file ${inner.join("/")}`;
  }
  return `file ${inner.join("/")}`;
}

/** Heap pages end at BLCKSZ (pd_special = 8192); index pages keep a special area before it. */
async function pageKind(full: string, offset: number): Promise<string> {
  const fh = await open(full, "r");
  try {
    const header = Buffer.alloc(24);
    await fh.read(header, 0, 24, offset - (offset % PAGE));
    const special = header.readUInt16LE(16);
    if (special === 8192) return "a table page (dead tuple or a row no longer published)";
    if (special > 0 && special < 8192) return "an index page (old or extra index entry)";
    return "an unrecognised page";
  } finally {
    await fh.close();
  }
}

/**
 * True when the hit lies inside an inline-compressed varlena of a tuple on its page: a 4-byte
 * header with the compressed flag (low bits 10), aligned, inside the tuple, long enough to cover
 * the hit, followed by a raw size larger than the stored one. Such bytes are judged by the fresh
 * rewrite, not by the raw scan (docs/masking.md).
 */
export async function insideCompressedDatum(full: string, offset: number, length: number): Promise<boolean> {
  const fh = await open(full, "r");
  try {
    const page = Buffer.alloc(PAGE);
    const pageStart = offset - (offset % PAGE);
    const { bytesRead } = await fh.read(page, 0, PAGE, pageStart);
    if (bytesRead < PAGE) return false;
    const at = offset - pageStart;
    const lower = page.readUInt16LE(12);
    const special = page.readUInt16LE(16);
    if (lower < 24 || lower > PAGE || special > PAGE) return false;
    for (let lp = 24; lp + 4 <= lower; lp += 4) {
      const word = page.readUInt32LE(lp);
      const lpOff = word & 0x7fff;
      const lpLen = word >>> 17;
      if (lpLen === 0 || lpOff < at - PAGE || lpOff > at || lpOff + lpLen < at + length || lpOff + lpLen > PAGE) continue;
      // Heap tuples keep their data after t_hoff; index tuples after their 8-byte header.
      const dataStart = special === PAGE ? lpOff + page[lpOff + 22]! : lpOff + 8;
      for (let q = dataStart + ((4 - (dataStart % 4)) % 4); q + 8 <= at; q += 4) {
        const header = page.readUInt32LE(q);
        if ((header & 0x03) !== 0x02) continue;
        const size = header >>> 2;
        const rawSize = page.readUInt32LE(q + 4) & 0x3fffffff;
        if (q + size >= at + length && q + size <= lpOff + lpLen && rawSize > size - 8) return true;
      }
    }
    return false;
  } finally {
    await fh.close();
  }
}

const LP_NORMAL = 1;
const HEAP_XMIN_COMMITTED = 0x0100;
const HEAP_XMIN_INVALID = 0x0200; // with COMMITTED as well it means frozen (VACUUM FREEZE), i.e. live
const HEAP_XMAX_INVALID = 0x0800;
const HEAP_XMAX_LOCK_ONLY = 0x0080;

/**
 * How the page explains a hit no published value covered: inside a live heap tuple (after the
 * fresh rewrite every live tuple is published data, its header and neighbours included) all but
 * fewer than `window` bytes → "live-tuple"; inside a compressed datum → "compressed". A dead tuple
 * (deleted or updated: xmax set), free space or an unused line pointer's bytes explain nothing.
 */
export async function explainInPage(full: string, offset: number, length: number, window: number): Promise<"live-tuple" | "compressed" | undefined> {
  const fh = await open(full, "r");
  let page: Buffer;
  try {
    page = Buffer.alloc(PAGE);
    const { bytesRead } = await fh.read(page, 0, PAGE, offset - (offset % PAGE));
    if (bytesRead < PAGE) return undefined;
  } finally {
    await fh.close();
  }
  const at = offset % PAGE;
  const lower = page.readUInt16LE(12);
  const special = page.readUInt16LE(16);
  if (special === PAGE && lower >= 24 && lower <= PAGE) {
    let covered = 0;
    for (let lp = 24; lp + 4 <= lower; lp += 4) {
      const word = page.readUInt32LE(lp);
      const lpOff = word & 0x7fff;
      const lpLen = word >>> 17;
      if (((word >>> 15) & 3) !== LP_NORMAL || lpLen < 24 || lpOff + lpLen > PAGE) continue;
      const infomask = page.readUInt16LE(lpOff + 20);
      const xmax = page.readUInt32LE(lpOff + 4);
      const xminAborted = (infomask & (HEAP_XMIN_COMMITTED | HEAP_XMIN_INVALID)) === HEAP_XMIN_INVALID;
      const live = !xminAborted && (xmax === 0 || (infomask & HEAP_XMAX_INVALID) !== 0 || (infomask & HEAP_XMAX_LOCK_ONLY) !== 0);
      if (!live) continue;
      covered += Math.max(0, Math.min(lpOff + lpLen, at + length) - Math.max(lpOff, at));
    }
    // In a table page anything outside live tuples (a dead tuple, compressed or not) is residue.
    return length - covered < window ? "live-tuple" : undefined;
  }
  return (await insideCompressedDatum(full, offset, length)) ? "compressed" : undefined;
}
